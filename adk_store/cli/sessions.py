"""``sessions list``, ``sessions show`` and ``sessions delete``."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import click
from rich.table import Table

from .. import (
    GetSessionConfig,
    InvalidArgumentError,
    Session,
    SessionNotFoundError,
    SessionService,
)
from .._jsonlines import event_json
from .._models import JsonDict
from .._state import split_state_delta
from ._common import (
    example,
    json_option,
    open_store,
    print_json,
    run,
    stdout_console,
    url_option,
)
from ._render import (
    escaped,
    event_text,
    event_tool_calls,
    literal,
    state_delta_text,
    utc_time,
)

PAGE_SIZE = 200


@click.group(epilog=example("adk-store sessions list --app tutor --limit 20"))
def sessions() -> None:
    """List, show and delete sessions."""


@sessions.command(
    "list",
    epilog=example(
        "adk-store sessions list --app tutor --user ada",
        "adk-store sessions list --oldest-first --limit 500 --json",
    ),
)
@url_option
@click.option("--app", "app_name", help="Only this app's sessions.")
@click.option("--user", "user_id", help="Only this user's sessions (needs --app).")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many."
)
@click.option("--oldest-first", is_flag=True, help="Oldest update first (default: newest first).")
@json_option
def list_sessions(
    url: str | None,
    app_name: str | None,
    user_id: str | None,
    limit: int,
    oldest_first: bool,
    as_json: bool,
) -> None:
    """Sessions by last update time, without their events (per app when --app is absent)."""
    if user_id is not None and app_name is None:
        raise InvalidArgumentError("--user needs --app")

    async def collect() -> list[Session]:
        async with open_store(url) as service:
            found: list[Session] = []
            async for session in _sessions(service, app_name, user_id, not oldest_first):
                found.append(session)
                if len(found) == limit:
                    break
            return found

    listed = run(collect)
    if as_json:
        print_json([_session_summary(session) for session in listed])
        return
    table = Table(
        "app", "user", "session", "updated (UTC)", "created (UTC)", "events", "state keys"
    )
    for session in listed:
        table.add_row(
            literal(session.app_name),
            literal(session.user_id),
            literal(session.id),
            utc_time(session.last_update_time),
            utc_time(session.create_time),
            str(session.revision),
            str(len(session.state)),
        )
    stdout_console().print(table)


async def _sessions(
    service: SessionService, app_name: str | None, user_id: str | None, newest_first: bool
) -> AsyncIterator[Session]:
    """Every matching session, page by page through ``list_sessions``' keyset pagination."""
    app_names = [app_name] if app_name is not None else await service.list_app_names()
    for app in app_names:
        token: str | None = None
        while True:
            page = await service.list_sessions(
                app_name=app,
                user_id=user_id,
                limit=PAGE_SIZE,
                page_token=token,
                newest_first=newest_first,
            )
            for session in page.sessions:
                yield session
            token = page.next_page_token
            if token is None:
                break


def _session_summary(session: Session) -> JsonDict:
    return {
        "app_name": session.app_name,
        "user_id": session.user_id,
        "id": session.id,
        "create_time": session.create_time,
        "update_time": session.last_update_time,
        "events": session.revision,
        "state": session.state,
    }


@sessions.command(epilog=example("adk-store sessions show tutor ada 5d1f0c2e --events 10"))
@url_option
@click.argument("app_name", metavar="APP")
@click.argument("user_id", metavar="USER")
@click.argument("session_id")
@click.option(
    "--events", "event_count", type=click.IntRange(min=0), help="Only the N most recent events."
)
@json_option
def show(
    url: str | None,
    app_name: str,
    user_id: str,
    session_id: str,
    event_count: int | None,
    as_json: bool,
) -> None:
    """A session: its app, user and session state, and its events."""

    async def load() -> tuple[Session, JsonDict, JsonDict]:
        async with open_store(url) as service:
            session = await service.get_session(
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
                config=GetSessionConfig(num_recent_events=event_count),
            )
            if session is None:
                raise SessionNotFoundError(app_name, user_id, session_id)
            app_state = await service.get_app_state(app_name=app_name)
            user_state = await service.get_user_state(app_name=app_name, user_id=user_id)
            return session, app_state, user_state

    session, app_state, user_state = run(load)
    session_state = split_state_delta(session.state).session_state
    if as_json:
        print_json(
            {
                **_session_summary(session),
                "state": {"app": app_state, "user": user_state, "session": session_state},
                "events": [event_json(event) for event in session.events],
            }
        )
        return
    console = stdout_console()
    console.print(
        literal(
            f"{_described(session.app_name, session.user_id, session.id)}: "
            f"{session.revision} events, created {utc_time(session.create_time)}, "
            f"updated {utc_time(session.last_update_time)}"
        )
    )
    for scope, state in (("app", app_state), ("user", user_state), ("session", session_state)):
        console.print(literal(f"{scope} state: {_state_text(state)}"))
    table = Table("time (UTC)", "author", "text", "tool calls", "state delta")
    for event in session.events:
        table.add_row(
            utc_time(event.timestamp),
            literal(event.author),
            literal(event_text(event)),
            literal(event_tool_calls(event)),
            literal(state_delta_text(event)),
        )
    console.print(table)


def _described(app_name: str, user_id: str, session_id: str) -> str:
    """The session as one line names it (its ids escaped)."""
    return f"session {escaped(session_id)} of user {escaped(user_id)} in app {escaped(app_name)}"


def _state_text(state: JsonDict) -> str:
    return json.dumps(state, ensure_ascii=False, sort_keys=True) if state else "{}"


@sessions.command(epilog=example("adk-store sessions delete tutor ada 5d1f0c2e --yes"))
@url_option
@click.argument("app_name", metavar="APP")
@click.argument("user_id", metavar="USER")
@click.argument("session_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(url: str | None, app_name: str, user_id: str, session_id: str, yes: bool) -> None:
    """Delete a session and its events (app and user state stay)."""

    async def count_events() -> int:
        async with open_store(url) as service:
            session = await service.get_session(
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
                config=GetSessionConfig(num_recent_events=0),
            )
            if session is None:
                raise SessionNotFoundError(app_name, user_id, session_id)
            return session.revision

    events = run(count_events)
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidArgumentError("pass --yes to delete without a terminal to confirm on")
        click.confirm(
            f"delete {_described(app_name, user_id, session_id)} and its {events} events?",
            abort=True,
        )

    async def delete_session() -> None:
        async with open_store(url) as service:
            await service.delete_session(app_name=app_name, user_id=user_id, session_id=session_id)

    run(delete_session)
    click.echo(f"deleted {_described(app_name, user_id, session_id)} ({events} events)")


COMMANDS: list[Any] = [sessions]
