"""A real Alembic project in a folder, run with the real ``alembic`` command line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

ENV_URL = "APP_DATABASE_URL"
"""The URL the project's env.py connects to (set per command, so one project serves many
databases)."""


class AlembicProject:
    """``alembic init`` (the ``generic`` sync template or ``async``) in ``folder``; its env.py
    reads the URL from :data:`ENV_URL` and leaves adk-store's tables to
    ``migration.include_object``."""

    def __init__(self, folder: Path, template: str, *, include_adk_store: bool = True) -> None:
        self.folder = folder
        self.template = template
        folder.mkdir(parents=True, exist_ok=True)
        self.alembic("init", "-t", template, "alembic")
        env_py = folder / "alembic" / "env.py"
        source = env_py.read_text(encoding="utf-8")
        hook = "migration.include_object" if include_adk_store else "None"
        source = source.replace(
            "target_metadata = None\n",
            "import os\n"
            "import app_models\n"
            "from adk_store import migration\n\n"
            f'config.set_main_option("sqlalchemy.url", os.environ["{ENV_URL}"])\n'
            "target_metadata = app_models.metadata\n"
            f"include_object = {hook}\n",
        )
        source = source.replace(
            "target_metadata=target_metadata",
            "target_metadata=target_metadata, include_object=include_object",
        )
        env_py.write_text(source, encoding="utf-8")
        self.set_models("import sqlalchemy as sa\n\nmetadata = sa.MetaData()\n")

    @property
    def versions(self) -> Path:
        return self.folder / "alembic" / "versions"

    def set_models(self, source: str) -> None:
        """The application's own models module (``app_models.metadata`` is its metadata)."""
        (self.folder / "app_models.py").write_text(source, encoding="utf-8")

    def add_revision(
        self, revision: str, down_revision: str | None, upgrade: str, downgrade: str
    ) -> None:
        """A revision file whose ``upgrade()`` and ``downgrade()`` run the given lines."""
        body = f'''\
            """{revision}"""
            import sqlalchemy as sa  # noqa: F401
            from alembic import op  # noqa: F401

            from adk_store import migration

            revision = {revision!r}
            down_revision = {down_revision!r}
            branch_labels = None
            depends_on = None


            def upgrade() -> None:
                {upgrade}


            def downgrade() -> None:
                {downgrade}
            '''
        (self.versions / f"{revision}.py").write_text(textwrap.dedent(body), encoding="utf-8")

    def alembic(self, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``alembic ARGS`` in the project folder; fails the test if it fails."""
        finished = self.try_alembic(*args, url=url)
        assert finished.returncode == 0, finished.stderr
        return finished

    def try_alembic(self, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
        if url is not None:
            env[ENV_URL] = url
        return subprocess.run(
            [sys.executable, "-m", "alembic", *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=120,
            check=False,
        )


def app_url(store_url: str, template: str) -> str:
    """The application's URL for the store at ``store_url`` (an adk-store URL, async
    drivers): a sync driver for the ``generic`` template, the async one for ``async``."""
    if template == "async":
        return store_url
    if store_url.startswith("sqlite+aiosqlite:"):
        return store_url.replace("sqlite+aiosqlite:", "sqlite:", 1)
    if store_url.startswith("mysql+asyncmy:"):
        return store_url.replace("mysql+asyncmy:", "mysql+pymysql:", 1)
    return store_url.replace("postgresql+asyncpg:", "postgresql+psycopg:", 1)
