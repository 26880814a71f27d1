"""Each command against a real database (SQLite file, PostgreSQL, MariaDB), run as a
subprocess."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import pytest

import adk_store

from ._run import adk_store_command, fetch_rows, filled_store, remember, succeeded


def test_init_creates_the_schema_then_status_reports_it(db_url: str, db_kind: str) -> None:
    assert f"created schema version {adk_store.SCHEMA_VERSION}" in succeeded("init", url=db_url)
    assert "nothing to do" in succeeded("init", url=db_url)

    status = json.loads(succeeded("status", "--json", url=db_url))

    assert status == {
        "schema_version": adk_store.SCHEMA_VERSION,
        "database": db_kind,
        "apps": 0,
        "users": 0,
        "sessions": 0,
        "events": 0,
        "memories": 0,
        "oldest_update_time": None,
        "newest_update_time": None,
    }


def test_status_counts_what_the_store_holds(db_url: str) -> None:
    remembered = remember(db_url, filled_store(db_url, sessions_per_user=2, events_per_session=3))

    status = json.loads(succeeded("status", "--json", url=db_url))
    table = succeeded("status", url=db_url)

    assert (status["apps"], status["users"], status["sessions"], status["events"]) == (
        2,
        6,
        11,
        33,
    )
    assert status["memories"] == remembered
    assert "sessions        11" in table
    assert f"memories        {remembered}" in table


def test_migrate_takes_the_url_as_an_argument_or_from_the_environment(db_url: str) -> None:
    check = adk_store_command("migrate", db_url, "--check")
    assert check.returncode == 1
    assert "schema version 0" in check.stdout

    assert "upgraded from version 0" in succeeded("migrate", db_url)
    again = adk_store_command("migrate", "--check", env_url=db_url)
    assert again.returncode == 0
    assert f"schema version {adk_store.SCHEMA_VERSION}" in again.stdout


def test_sessions_list_newest_first_or_oldest_first(db_url: str) -> None:
    sessions = filled_store(db_url, sessions_per_user=2, events_per_session=1)
    tutor = sorted(
        (s for s in sessions if s.app_name == "tutor"), key=lambda s: s.last_update_time
    )

    newest = json.loads(succeeded("sessions", "list", "--app", "tutor", "--json", url=db_url))
    oldest = json.loads(
        succeeded(
            "sessions",
            "list",
            "--app",
            "tutor",
            "--oldest-first",
            "--limit",
            "2",
            "--json",
            url=db_url,
        )
    )

    assert [s["id"] for s in newest] == [s.id for s in reversed(tutor)]
    assert [s["id"] for s in oldest] == [s.id for s in tutor[:2]]
    assert newest[0]["events"] == 1


def test_sessions_list_of_one_user_and_of_every_app(db_url: str) -> None:
    sessions = filled_store(db_url, sessions_per_user=2, events_per_session=1)

    of_user = json.loads(
        succeeded("sessions", "list", "--app", "barista", "--user", "ada", "--json", url=db_url)
    )
    every = json.loads(succeeded("sessions", "list", "--limit", "1000", "--json", url=db_url))
    table = succeeded("sessions", "list", url=db_url)

    assert {s["user_id"] for s in of_user} == {"ada"}
    assert len(of_user) == 2
    assert {s["id"] for s in every} == {s.id for s in sessions}
    assert sessions[0].id in table


def test_sessions_show_gives_state_scopes_and_events(db_url: str) -> None:
    session = filled_store(db_url, sessions_per_user=1, events_per_session=3)[0]

    shown = json.loads(
        succeeded(
            "sessions", "show", session.app_name, session.user_id, session.id, "--json", url=db_url
        )
    )
    recent = json.loads(
        succeeded(
            "sessions",
            "show",
            session.app_name,
            session.user_id,
            session.id,
            "--events",
            "1",
            "--json",
            url=db_url,
        )
    )
    readable = succeeded(
        "sessions", "show", session.app_name, session.user_id, session.id, url=db_url
    )

    assert shown["state"]["session"]["topic"] == "tides"
    assert shown["state"]["app"]["greeting"] == "hi"
    assert shown["state"]["user"]["lang"] == "en"
    assert [e["id"] for e in shown["events"]] == [e.id for e in session.events]
    assert [e["id"] for e in recent["events"]] == [session.events[-1].id]
    assert "turn 1: héllo" in readable
    assert 'lookup({"n":1,"q":"tides"})' in readable
    assert 'lookup → {"ok":true}' in readable
    assert '"turns":2' in readable


def test_sessions_delete_removes_the_session_and_its_events(db_url: str) -> None:
    session = filled_store(db_url, sessions_per_user=1, events_per_session=2)[0]

    refused = adk_store_command(
        "sessions", "delete", session.app_name, session.user_id, session.id, url=db_url
    )
    assert refused.returncode == 2
    assert "--yes" in refused.stderr

    output = succeeded(
        "sessions", "delete", session.app_name, session.user_id, session.id, "--yes", url=db_url
    )

    assert "(2 events)" in output
    assert fetch_rows(
        db_url, f"SELECT count(*) FROM adk_events WHERE session_id = '{session.id}'"
    ) == [(0,)]
    assert fetch_rows(db_url, f"SELECT count(*) FROM adk_sessions WHERE id = '{session.id}'") == [
        (0,)
    ]


def test_export_import_export_is_byte_identical(db_url: str, tmp_path: Path) -> None:
    filled_store(db_url, sessions_per_user=3, events_per_session=4)
    first = tmp_path / "first.jsonl"
    succeeded("export", str(first), url=db_url)
    copy = f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"
    succeeded("init", url=copy)

    imported = adk_store_command("import", str(first), url=copy)
    assert imported.returncode == 0, imported.stderr
    assert "imported 18 sessions (72 events), 2 app states, 6 user states" in imported.stderr
    again = succeeded("export", "-", url=copy)

    assert again.encode("utf-8") == first.read_bytes()


def test_export_to_stdout_and_import_from_stdin(db_url: str, tmp_path: Path) -> None:
    filled_store(db_url, sessions_per_user=1, events_per_session=2)
    exported = succeeded("export", "--app", "tutor", "--user", "ada", "-", url=db_url)
    lines = exported.splitlines()
    copy = f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"
    succeeded("init", url=copy)

    succeeded("import", "-", url=copy, stdin=exported)

    assert [json.loads(line)["kind"] for line in lines] == [
        "header",
        "app_state",
        "user_state",
        "session",
        "trailer",
    ]
    assert succeeded("export", "-", url=copy) == exported


def test_import_refuses_existing_sessions_unless_told_to_skip(db_url: str, tmp_path: Path) -> None:
    filled_store(db_url, sessions_per_user=1, events_per_session=2)
    export = tmp_path / "export.jsonl"
    succeeded("export", str(export), url=db_url)
    before = succeeded("export", "-", url=db_url)

    refused = adk_store_command("import", str(export), url=db_url)
    skipped = adk_store_command("import", "--skip-existing", str(export), url=db_url)

    assert refused.returncode == 2
    assert "already stored" in refused.stderr
    assert "--skip-existing" in refused.stderr
    assert skipped.returncode == 0, skipped.stderr
    assert "skipped 6 existing sessions" in skipped.stderr
    assert succeeded("export", "-", url=db_url) == before


def test_import_again_leaves_stored_memories_and_says_so(db_url: str, tmp_path: Path) -> None:
    sessions = filled_store(db_url, sessions_per_user=1, events_per_session=2)
    remembered = remember(db_url, sessions)
    export = tmp_path / "export.jsonl"
    succeeded("export", str(export), url=db_url)
    copy = f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"
    succeeded("init", url=copy)

    first = adk_store_command("import", str(export), url=copy)
    again = adk_store_command("import", "--skip-existing", str(export), url=copy)

    assert first.returncode == 0, first.stderr
    assert f"user states, {remembered} memories; skipped 0" in first.stderr
    assert again.returncode == 0, again.stderr
    assert f"{remembered} stored memories" in again.stderr
    assert succeeded("export", "-", url=copy).encode("utf-8") == export.read_bytes()


def test_prune_lists_then_deletes_old_sessions(db_url: str) -> None:
    async def fill() -> None:
        async with adk_store.SessionService(db_url, create_schema=True) as service:
            await service.import_user_state(adk_store.UserStateRecord("app", "u", {"kept": 1}))
            for name, age in (("old", 3 * 86_400), ("new", 0)):
                event = adk_store.Event(author="user", timestamp=time.time() - age)
                await service.import_session(
                    adk_store.SessionRecord(
                        "app",
                        "u",
                        name,
                        create_time=event.timestamp,
                        update_time=event.timestamp,
                        events=[event],
                    )
                )
            await adk_store.MemoryService(service).add_events(
                app_name="app",
                user_id="u",
                session_id="old",
                events=[adk_store.Event(author="user", content={"parts": [{"text": "tides"}]})],
            )

    anyio.run(fill)

    dry = succeeded("prune", "--older-than", "2d", "--dry-run", url=db_url)
    assert "would delete session old of user u in app app" in dry
    assert "would delete 1 sessions" in dry
    assert "memories stay" in dry
    assert fetch_rows(db_url, "SELECT count(*) FROM adk_sessions") == [(2,)]

    done = succeeded("prune", "--older-than", "36h", "--app", "app", url=db_url)
    assert "deleted session old of user u in app app" in done
    assert "memories stay" in done
    assert fetch_rows(db_url, "SELECT id FROM adk_sessions") == [("new",)]
    assert fetch_rows(db_url, "SELECT DISTINCT session_id FROM adk_events") == [("new",)]
    assert fetch_rows(db_url, "SELECT count(*) FROM adk_user_states") == [(1,)]
    assert fetch_rows(db_url, "SELECT session_id FROM adk_memories") == [("old",)]


@pytest.mark.databases("sqlite")
def test_backup_copies_a_sqlite_store_in_use(db_url: str, tmp_path: Path) -> None:
    filled_store(db_url, sessions_per_user=1, events_per_session=2)
    target = tmp_path / "backup.db"

    output = succeeded("backup", str(target), url=db_url)

    assert "backed up" in output
    copy = f"sqlite+aiosqlite:///{target}"
    assert succeeded("export", "-", url=copy) == succeeded("export", "-", url=db_url)
    again = adk_store_command("backup", str(target), url=db_url)
    assert again.returncode == 2
    assert "already exists" in again.stderr


@pytest.mark.databases("postgresql")
def test_backup_of_postgresql_prints_the_pg_dump_command(db_url: str, tmp_path: Path) -> None:
    succeeded("init", url=db_url)

    finished = adk_store_command("backup", str(tmp_path / "store.dump"), url=db_url)

    assert finished.returncode == 1
    assert "pg_dump" in finished.stderr
    assert finished.stdout.startswith("pg_dump --format=custom --table=adk_app_states")
    assert "--table=adk_events" in finished.stdout
    assert "postgresql://" in finished.stdout


@pytest.mark.databases("postgresql")
@pytest.mark.parametrize("where", ["user part", "query"])
def test_backup_of_postgresql_never_prints_the_password(
    db_url: str, tmp_path: Path, where: str
) -> None:
    succeeded("init", url=db_url)
    scheme, _, rest = db_url.partition("://")
    credentials, _, location = rest.rpartition("@")
    user = credentials.partition(":")[0]
    with_password = {
        "user part": f"{scheme}://{user}:s3cr%40t@{location}",
        "query": f"{scheme}://{user}@{location}?password=s3cr%40t&sslmode=prefer",
    }[where]

    finished = adk_store_command("backup", str(tmp_path / "store.dump"), url=with_password)

    assert finished.returncode == 1
    assert "s3cr" not in finished.stdout + finished.stderr
    assert f"postgresql://{user}@" in finished.stdout
    assert "PGPASSWORD" in finished.stderr


@pytest.mark.databases("mysql")
def test_backup_of_mariadb_prints_a_mariadb_dump_command_that_restores_the_store(
    db_url: str, new_db_url: Callable[[], str], tmp_path: Path
) -> None:
    (first, *_) = filled_store(db_url, sessions_per_user=1, events_per_session=2)
    target = tmp_path / "store.sql"

    finished = adk_store_command("backup", str(target), url=db_url)

    assert finished.returncode == 1
    assert "mariadb-dump" in finished.stderr
    assert finished.stdout.startswith("mariadb-dump --single-transaction --routines")
    subprocess.run(shlex.split(finished.stdout), check=True, capture_output=True)
    copy = new_db_url()
    parts = urlsplit(copy)
    with target.open("rb") as dump:
        subprocess.run(
            [
                "mariadb",
                f"--host={parts.hostname}",
                f"--port={parts.port}",
                f"--user={parts.username}",
                parts.path.lstrip("/"),
            ],
            stdin=dump,
            check=True,
            capture_output=True,
        )
    assert succeeded("export", "-", url=copy) == succeeded("export", "-", url=db_url)

    async def append_to_the_copy() -> int:
        # The append is a routine of the dump: the copy takes appends.
        async with adk_store.SessionService(copy) as service:
            session = await service.get_session(
                app_name=first.app_name, user_id=first.user_id, session_id=first.id
            )
            assert session is not None
            await service.append_event(session, adk_store.Event(author="user"))
            return session.revision

    assert anyio.run(append_to_the_copy) == first.revision + 1


@pytest.mark.databases("mysql")
def test_backup_of_mariadb_never_prints_the_password(db_url: str, tmp_path: Path) -> None:
    succeeded("init", url=db_url)
    scheme, _, rest = db_url.partition("://")
    user, _, location = rest.rpartition("@")
    with_password = f"{scheme}://{user}:s3cr%40t@{location}"

    finished = adk_store_command("backup", str(tmp_path / "store.sql"), url=with_password)

    assert finished.returncode == 1
    assert "s3cr" not in finished.stdout + finished.stderr
    assert f"--user={user} " in finished.stdout
    assert "--password" in finished.stderr
