"""The distribution key reaches every hot-path query (docs/howto/scaling-out.md).

Citus routes a statement to one node when it pins the distribution column of every distributed
table it reads or changes. PostgreSQL's own hash partitioning prunes partitions by the same
rule, so this test builds adk-store's schema with the per-user tables hash-partitioned by
``user_id``, records every statement the service sends for create, get, append, delete and
list-by-user, and asks PostgreSQL's planner (``EXPLAIN``) which partitions each one touches:
exactly one per per-user table it reads or updates. Rows it inserts must carry the call's own
``app_name`` and ``user_id``. Listing an app's sessions without a user is the one fan-out: its
plan reads every partition, and among all compiled statements it is the only one about the
per-user tables without ``user_id``.

Read replicas: a session read from a streaming replica that lags behind is refused on append to
the primary (``StaleSessionError``), and a service on the replica cannot write.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import databases
import pytest

from adk_store import (
    SCHEMA_VERSION,
    DatabaseError,
    Event,
    EventActions,
    SessionService,
    StaleSessionError,
)

from .._postgres import PostgresServer, find_pg_bin, start_server
from ..reliability._support import QueryHook
from ._markdown import ROOT

pytestmark = pytest.mark.postgresql

PER_USER_TABLES = ("adk_sessions", "adk_events", "adk_user_states")
PARTITIONS = 4
MIGRATIONS = ROOT / "migrations" / "postgresql"


def _partitioned_schema(script: str) -> list[str]:
    """The migration's statements, with the per-user tables hash-partitioned by user_id."""
    statements = []
    for statement in (part.strip() for part in script.split(";\n")):
        lines = [line for line in statement.splitlines() if not line.startswith("--")]
        statement = "\n".join(lines).strip().rstrip(";")
        if not statement:
            continue
        created = re.match(r"CREATE TABLE (\w+) \(", statement)
        if created and created.group(1) in PER_USER_TABLES:
            table = created.group(1)
            statements.append(f"{statement} PARTITION BY HASH (user_id)")
            statements.extend(
                f"CREATE TABLE {table}_p{n} PARTITION OF {table} "
                f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {n})"
                for n in range(PARTITIONS)
            )
        else:
            statements.append(statement)
    return statements


async def _create_partitioned_schema(url: str) -> None:
    async with databases.Database(url) as database:
        for script in sorted(MIGRATIONS.glob("*.sql")):
            for statement in _partitioned_schema(script.read_text()):
                await database.execute(statement)
            version = int(script.name.split("_", 1)[0])
            await database.execute(
                "INSERT INTO adk_schema_versions (version, applied_time) VALUES (:v, :t)",
                {"v": version, "t": time.time()},
            )
        stored = await database.fetch_val("SELECT max(version) FROM adk_schema_versions")
        assert stored == SCHEMA_VERSION


def _plan_relations(plan: Any) -> Iterator[str]:
    """Every relation a plan scans.

    The target named by an insert, update or delete node is left out: inserted rows go to the
    partition their values pick (checked separately), and the rows an update or delete
    changes are those its child scans find, which are listed.
    """
    if isinstance(plan, dict):
        modifying = plan.get("Node Type") == "ModifyTable"
        if "Relation Name" in plan and not modifying:
            yield plan["Relation Name"]
        for key, value in plan.items():
            if key in ("Plans", "Plan"):
                yield from _plan_relations(value)
    elif isinstance(plan, list):
        for item in plan:
            yield from _plan_relations(item)


def _partitions_read(plan: Any) -> dict[str, set[str]]:
    """Per per-user table, the partitions the plan reads or updates."""
    touched: dict[str, set[str]] = {table: set() for table in PER_USER_TABLES}
    for relation in _plan_relations(plan):
        match = re.fullmatch(r"(\w+)_p\d+", relation)
        if match and match.group(1) in touched:
            touched[match.group(1)].add(relation)
        assert relation not in PER_USER_TABLES, f"unpartitioned read of {relation}"
    return touched


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current.append(char)
    parts.append("".join(current).strip())
    return parts


_INSERT = re.compile(
    r"INSERT INTO (?P<table>\w+) \((?P<columns>[^)]*)\)\s*(?:VALUES \(|SELECT )(?P<rest>.*)",
    re.DOTALL,
)


def _inserted_keys(sql: str) -> list[tuple[str, str, str]]:
    """``(table, app_name expression, user_id expression)`` of each insert of a user's row."""
    found = []
    for insert in re.split(r"(?=INSERT INTO )", sql):
        match = _INSERT.match(insert)
        if match is None:
            continue
        columns = [column.strip() for column in match.group("columns").split(",")]
        rest = match.group("rest")
        end = re.search(r"\)\s*(?:ON CONFLICT|RETURNING|$)|\sFROM\s", rest)
        expressions = _split_top_level(rest[: end.start()] if end else rest)
        if "user_id" in columns:
            found.append(
                (
                    match.group("table"),
                    expressions[columns.index("app_name")],
                    expressions[columns.index("user_id")],
                )
            )
    return found


Operation = Callable[[SessionService], Awaitable[Any]]


async def _create(service: SessionService) -> Any:
    return await service.create_session(
        app_name="tutor",
        user_id="ada",
        session_id="s1",
        state={"app:model": "small", "user:language": "en", "topic": "sets"},
    )


async def _get(service: SessionService) -> Any:
    return await service.get_session(app_name="tutor", user_id="ada", session_id="s1")


async def _append(service: SessionService) -> Any:
    session = await service.get_session(app_name="tutor", user_id="ada", session_id="s1")
    assert session is not None
    delta = {"app:model": "large", "user:language": "fr", "turns": 1}
    return await service.append_event(session, Event(actions=EventActions(state_delta=delta)))


async def _list_by_user(service: SessionService) -> Any:
    return await service.list_sessions(app_name="tutor", user_id="ada", limit=10)


async def _user_state(service: SessionService) -> Any:
    return await service.get_user_state(app_name="tutor", user_id="ada")


async def _delete(service: SessionService) -> Any:
    return await service.delete_session(app_name="tutor", user_id="ada", session_id="s1")


async def _list_by_app(service: SessionService) -> Any:
    return await service.list_sessions(app_name="tutor", limit=10)


HOT_PATHS: dict[str, Operation] = {
    "create_session": _create,
    "append_event": _append,
    "get_session": _get,
    "list_sessions by user": _list_by_user,
    "get_user_state": _user_state,
    "delete_session": _delete,
}


async def _statements_of(
    url: str, hook: QueryHook, operation: Operation
) -> list[tuple[str, dict[str, Any]]]:
    """The SQL (with values) that ``operation`` sends that touches adk-store's tables."""
    async with SessionService(url, pool_size=1) as service:
        await service.list_sessions(app_name="warm-up", limit=1)  # opening is not a hot path
        hook.calls.clear()
        await operation(service)
        sent = [(str(call.query), dict(call.values or {})) for call in hook.calls]
    return [(sql, values) for sql, values in sent if "adk_" in sql]


async def _plan(url: str, sql: str, values: dict[str, Any]) -> Any:
    async with databases.Database(url) as database, database.connection() as connection:
        await connection.execute("SET plan_cache_mode = force_custom_plan")
        # EXPLAIN without ANALYZE plans the statement and runs nothing.
        plan = await connection.fetch_val(f"EXPLAIN (FORMAT JSON) {sql}", values)
    return json.loads(plan) if isinstance(plan, str) else plan


@pytest.fixture
def partitioned_url(postgres: Any) -> str:
    url: str = postgres.new_database()
    asyncio.run(_create_partitioned_schema(url))
    return url


def test_every_hot_path_statement_pins_app_name_and_user_id(
    partitioned_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = QueryHook().install(monkeypatch)

    inserted: set[str] = set()
    scanned: set[str] = set()

    async def check() -> None:
        for name, operation in HOT_PATHS.items():
            statements = await _statements_of(partitioned_url, hook, operation)
            assert statements, f"{name}: no statement recorded"
            for sql, values in statements:
                for table, app_name, user_id in _inserted_keys(sql):
                    assert ":app_name" in app_name, (name, table, sql)
                    assert ":user_id" in user_id, (name, table, sql)
                    inserted.add(table)
                if not re.match(r"\s*(WITH|SELECT|UPDATE|DELETE|INSERT)", sql):
                    continue
                touched = _partitions_read(await _plan(partitioned_url, sql, values))
                for table, partitions in touched.items():
                    assert len(partitions) <= 1, (name, table, sorted(partitions), sql)
                    scanned.update(partitions)

    asyncio.run(check())
    # Not vacuous: every per-user table was written and read along the way.
    assert inserted == set(PER_USER_TABLES)
    assert {re.sub(r"_p\d+$", "", partition) for partition in scanned} == set(PER_USER_TABLES)


def test_listing_an_apps_sessions_is_the_one_fan_out(
    partitioned_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = QueryHook().install(monkeypatch)

    async def check() -> None:
        statements = await _statements_of(partitioned_url, hook, _list_by_app)
        plans = [await _plan(partitioned_url, sql, values) for sql, values in statements]
        read = set().union(*(_partitions_read(plan)["adk_sessions"] for plan in plans))
        assert len(read) == PARTITIONS

    asyncio.run(check())


def _compiled_statements() -> dict[str, str]:
    """Every statement the service compiles for PostgreSQL, by a name that says what it is."""
    from adk_store._statements import Statements
    from adk_store.dialects import PostgresDialect

    statements = Statements(PostgresDialect())
    compiled = {name: sql for name, sql in vars(statements).items() if isinstance(sql, str)}
    for of_user in (False, True):
        for newest_first in (False, True):
            for page, after_token in ((False, False), (True, False), (True, True)):
                name = (
                    f"list_{'user' if of_user else 'app'}_sessions"
                    f"(page={page}, after_token={after_token}, newest_first={newest_first})"
                )
                compiled[name] = statements.session_list(
                    of_user=of_user, page=page, after_token=after_token, newest_first=newest_first
                )
    return compiled


def test_only_the_app_listing_leaves_user_id_out_of_a_per_user_statement() -> None:
    # The statements of ``list_sessions(app_name=...)`` without a user: the one fan-out of
    # the service; and the counts of every session and memory that removing the store (or
    # its memories) checks first, an administrator's operation, not a request's.
    compiled = _compiled_statements()
    assert ":app_name" not in compiled.pop("count_memories")
    app_listings = {name for name in compiled if name.startswith("list_app_sessions(")}
    assert len(app_listings) == 6
    per_user = {
        name
        for name, sql in compiled.items()
        if re.search(rf"\b({'|'.join(PER_USER_TABLES)})\b", sql)
    }
    without_user = {name for name in per_user if ":user_id" not in compiled[name]}
    assert without_user == app_listings | {"count_sessions"}
    assert ":app_name" not in compiled["count_sessions"]
    del compiled["count_sessions"]
    per_user.discard("count_sessions")
    assert all(":app_name" in compiled[name] for name in per_user)
    # The rest reads or writes only the tables every node holds a copy of.
    for name in compiled.keys() - per_user:
        assert re.findall(r"\badk_\w+", compiled[name]), name
        assert set(re.findall(r"\badk_\w+", compiled[name])) <= {
            "adk_app_states",
            "adk_schema_versions",
        }, name


@pytest.fixture
def primary_and_replica() -> Iterator[tuple[str, PostgresServer]]:
    """A primary and a streaming hot standby of it, each a throwaway cluster."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        message = "PostgreSQL's binaries are needed to start a replica"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    primary = start_server()
    replica = PostgresServer(bin_dir, Path(tempfile.mkdtemp(prefix="adk-store-replica-")))
    try:
        primary.create_database("agents")
        replica.socket_dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(replica.base_dir, "postgres", "postgres")
            shutil.chown(replica.socket_dir, "postgres", "postgres")
        replica._run(
            str(bin_dir / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *(
                "-D",
                str(replica.data_dir),
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
            ),
        )
        replica.start()
        yield primary.url_for("agents"), replica
    finally:
        replica.cleanup()
        primary.cleanup()


def _caught_up(primary_url: str, replica: PostgresServer) -> None:
    """Wait until the replica has replayed everything the primary committed so far."""
    target = asyncio.run(_fetch_val(primary_url, "SELECT pg_current_wal_insert_lsn()::text"))
    check = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
    deadline = time.monotonic() + 60
    while replica.psql(check, "agents").strip() != "t":
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


async def _fetch_val(url: str, sql: str) -> Any:
    async with databases.Database(url) as database:
        return await database.fetch_val(sql)


def test_a_session_read_from_a_lagging_replica_cannot_overwrite_the_primary(
    primary_and_replica: tuple[str, PostgresServer],
) -> None:
    primary_url, replica = primary_and_replica
    replica_url = replica.url_for("agents")
    key = {"app_name": "tutor", "user_id": "ada", "session_id": "s"}

    async def create() -> None:
        async with SessionService(primary_url) as primary:
            session = await primary.create_session(**key, state={"turns": 0})
            await primary.append_event(
                session, Event(actions=EventActions(state_delta={"turns": 1}))
            )

    asyncio.run(create())
    _caught_up(primary_url, replica)
    replica.psql("SELECT pg_wal_replay_pause()", "agents")

    async def append_from_a_stale_read() -> None:
        async with SessionService(primary_url) as primary, SessionService(replica_url) as copy:
            current = await primary.get_session(**key)
            assert current is not None
            await primary.append_event(
                current, Event(actions=EventActions(state_delta={"turns": 2}))
            )
            lagging = await copy.get_session(**key)  # still at the first event
            assert lagging is not None
            assert (lagging.revision, lagging.state["turns"]) == (1, 1)
            with pytest.raises(StaleSessionError):
                await primary.append_event(
                    lagging, Event(actions=EventActions(state_delta={"turns": 2}))
                )
            with pytest.raises(DatabaseError, match="read-only"):
                await copy.append_event(lagging, Event())
            stored = await primary.get_session(**key)
            assert stored is not None
            assert (stored.revision, stored.state["turns"]) == (2, 2)

    asyncio.run(append_from_a_stale_read())
