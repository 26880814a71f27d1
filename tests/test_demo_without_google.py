"""Without google-adk, ``python -m adk_store demo`` says what to install instead of failing.

The demo runs in a Python whose import path holds every installed distribution except the
``google`` namespace package, so not even ``google`` itself can be imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _site_without_google(folder: Path) -> Path:
    """A folder of links to the installed packages, leaving out everything named google*."""
    folder.mkdir()
    installed = {Path(sysconfig.get_paths()[kind]) for kind in ("purelib", "platlib")}
    for site in installed:
        for entry in site.iterdir():
            if not entry.name.lower().startswith("google") and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return folder


def _run_without_google(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    return subprocess.run(
        # -S: no site module, so the real site-packages (which has google) is not on the path.
        [sys.executable, "-S", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_without_any_google_package_prints_the_install_hint(tmp_path: Path) -> None:
    site = _site_without_google(tmp_path / "site")
    no_google = _run_without_google(site, tmp_path, "-c", "import google")
    assert no_google.returncode != 0
    assert "No module named 'google'" in no_google.stderr

    finished = _run_without_google(
        site, tmp_path, "-m", "adk_store", "demo", "--db", str(tmp_path / "demo.db")
    )
    assert finished.returncode == 2, finished.stderr
    assert "pip install 'adk-store[adk]'" in finished.stdout
    assert "Traceback" not in finished.stderr
    assert not (tmp_path / "demo.db").exists()
