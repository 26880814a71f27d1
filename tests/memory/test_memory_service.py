"""MemoryService on every database and backend: adding is idempotent, search is ranked,
scoped to one user, finds unspaced scripts and survives hostile queries; deletes and counts."""

from __future__ import annotations

import logging

import pytest

import adk_store
from adk_store import AdkStoreError, Event, MemoryService, NewMemory, SessionService

from .._db import raw_fetch

APP = "cafe"


def said(author: str, text: str, **fields: object) -> Event:
    role = "user" if author == "user" else "model"
    return Event(author=author, content={"role": role, "parts": [{"text": text}]}, **fields)  # type: ignore[arg-type]


async def session_saying(
    service: SessionService, user_id: str, *texts: str, session_id: str | None = None
) -> adk_store.Session:
    session = await service.create_session(app_name=APP, user_id=user_id, session_id=session_id)
    for index, text in enumerate(texts):
        await service.append_event(session, said("user" if index % 2 == 0 else "barista", text))
    return session


async def test_adding_again_logs_nothing(
    service: SessionService, caplog: pytest.LogCaptureFixture
) -> None:
    # On MariaDB a memory stored again is a duplicate INSERT IGNORE skips: the driver must not
    # log it (its log line would put ids on the application's error stream).
    memory = MemoryService(service)
    said_once = [NewMemory(text="I love flat whites")]
    stored = await memory.add_memories(app_name=APP, user_id="ada", memories=said_once)
    with caplog.at_level(logging.DEBUG):
        again = await memory.add_memories(app_name=APP, user_id="ada", memories=said_once)
    assert again == stored
    assert await memory.count(app_name=APP, user_id="ada") == 1
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


async def test_adding_a_session_twice_or_after_new_events_stores_no_duplicates(
    service: SessionService,
) -> None:
    memory = MemoryService(service)
    session = await session_saying(service, "ada", "I love flat whites", "Noted!")
    assert await memory.add_session(session) == 2
    assert await memory.add_session(session) == 0
    await service.append_event(session, said("user", "and almond croissants"))
    assert await memory.add_session(session) == 1
    assert await memory.count(app_name=APP, user_id="ada", session_id=session.id) == 3
    listed = await memory.list_memories(app_name=APP, user_id="ada")
    assert [m.text for m in listed] == ["I love flat whites", "Noted!", "and almond croissants"]
    first = listed[0]
    assert (first.session_id, first.event_id, first.author) == (
        session.id,
        session.events[0].id,
        "user",
    )
    assert first.timestamp == session.events[0].timestamp
    assert first.content == session.events[0].content


async def test_events_without_text_and_thoughts_are_not_remembered(
    service: SessionService,
) -> None:
    memory = MemoryService(service)
    events = [
        Event(author="model", content={"parts": [{"text": "thinking", "thought": True}]}),
        Event(author="model", content={"parts": [{"function_call": {"name": "f"}}]}),
        Event(author="model"),
        said("model", "   "),
    ]
    assert await memory.add_events(app_name=APP, user_id="ada", events=events) == 0
    assert await memory.count() == 0


async def test_explicit_memories_are_idempotent_and_carry_metadata(
    service: SessionService,
) -> None:
    memory = MemoryService(service)
    new = [NewMemory(text="Ada is allergic to hazelnuts", author="user")]
    ids = await memory.add_memories(
        app_name=APP, user_id="ada", memories=new, custom_metadata={"source": "form"}
    )
    again = await memory.add_memories(app_name=APP, user_id="ada", memories=new)
    assert ids == again
    (stored,) = await memory.list_memories(app_name=APP, user_id="ada")
    assert stored.id == ids[0]
    assert stored.custom_metadata == {"source": "form"}
    assert stored.session_id is None
    assert stored.content is None


async def test_search_ranks_the_best_match_first_and_honours_the_limit(
    service: SessionService,
) -> None:
    memory = MemoryService(service)
    texts = [
        "The weather was rainy on Tuesday",
        "Ada's favourite drink is a flat white with oat milk",
        "Oat milk is sold out",
        "Grace ordered a cortado",
    ]
    await memory.add_memories(
        app_name=APP, user_id="ada", memories=[NewMemory(text=text) for text in texts]
    )
    found = await memory.search(app_name=APP, user_id="ada", query="favourite oat milk drink")
    assert found[0].text == texts[1]
    assert {m.text for m in found} == {texts[1], texts[2]}
    limited = await memory.search(app_name=APP, user_id="ada", query="oat", limit=1)
    assert len(limited) == 1
    assert await memory.search(app_name=APP, user_id="ada", query="espresso") == []


async def test_a_search_never_returns_another_users_or_apps_memories(
    service: SessionService,
) -> None:
    memory = MemoryService(service)
    for app, user in (("cafe", "ada"), ("cafe", "grace"), ("bakery", "ada")):
        await memory.add_memories(
            app_name=app, user_id=user, memories=[NewMemory(text=f"secret of {app} {user}")]
        )
    found = await memory.search(app_name="cafe", user_id="ada", query="secret cafe bakery grace")
    assert [m.text for m in found] == ["secret of cafe ada"]


async def test_scripts_without_spaces_are_found_by_any_two_adjacent_characters(
    service: SessionService,
) -> None:
    memory = MemoryService(service)
    texts = ["我昨天去了东京塔", "私はラーメンが大好きです", "I went to the tower"]
    await memory.add_memories(
        app_name=APP, user_id="ada", memories=[NewMemory(text=text) for text in texts]
    )
    chinese = await memory.search(app_name=APP, user_id="ada", query="东京塔在哪里")
    assert [m.text for m in chinese] == [texts[0]]
    japanese = await memory.search(app_name=APP, user_id="ada", query="ラーメン")
    assert [m.text for m in japanese] == [texts[1]]


HOSTILE_QUERIES = [
    '"',
    "'",
    '"oat" OR "milk',
    "oat AND NOT milk",
    "oat:* & !milk | (",
    "NEAR(oat milk, 2)",
    "adk_memory_search:oat",
    "oat\x00milk",
    "-oat",
    "*",
    "\\",
    "')); DROP TABLE adk_memories; --",
    " ".join(f"w{n}" for n in range(10_000)),
    "oat " * 10_000,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=lambda q: repr(q[:24]))
async def test_queries_hostile_to_the_search_syntax_are_plain_words(
    service: SessionService, db_url: str, query: str
) -> None:
    memory = MemoryService(service)
    await memory.add_memories(
        app_name=APP, user_id="ada", memories=[NewMemory(text="oat milk, please")]
    )
    found = await memory.search(app_name=APP, user_id="ada", query=query)
    expected = ["oat milk, please"] if ("oat" in query or "milk" in query) else []
    assert [m.text for m in found] == expected
    assert await raw_fetch(db_url, "SELECT count(*) FROM adk_memories") == [(1,)]


async def test_deleting_one_memory_a_sessions_or_a_users(service: SessionService) -> None:
    memory = MemoryService(service)
    first = await session_saying(service, "ada", "flat white", "coming up")
    second = await session_saying(service, "ada", "oat milk")
    other = await session_saying(service, "grace", "cortado")
    for session in (first, second, other):
        await memory.add_session(session)
    (one, *_) = await memory.list_memories(app_name=APP, user_id="ada", session_id=first.id)
    assert await memory.delete_memory(app_name=APP, user_id="ada", memory_id=one.id) is True
    assert await memory.delete_memory(app_name=APP, user_id="ada", memory_id=one.id) is False
    assert await memory.search(app_name=APP, user_id="ada", query="flat white") == []
    assert (
        await memory.delete_session_memories(app_name=APP, user_id="ada", session_id=first.id) == 1
    )
    assert await memory.delete_user_memories(app_name=APP, user_id="ada") == 1
    assert await memory.count(app_name=APP, user_id="ada") == 0
    assert await memory.count() == 1
    assert [m.text for m in await memory.search(app_name=APP, user_id="grace", query="cortado")]


async def test_bad_arguments_raise_and_store_nothing(service: SessionService, db_url: str) -> None:
    memory = MemoryService(service)
    bad_calls = [
        lambda: memory.add_memories(app_name=APP, user_id="ada", memories=[NewMemory()]),
        lambda: memory.add_memories(
            app_name=APP,
            user_id="ada",
            memories=[
                NewMemory(text="fine"),
                NewMemory(text="x", custom_metadata={"n": float("nan")}),
            ],
        ),
        lambda: memory.add_memories(app_name=APP, user_id="a\x00", memories=[NewMemory(text="x")]),
        lambda: memory.add_events(app_name=APP, user_id="ada", events=["not an event"]),  # type: ignore[list-item]
        lambda: memory.search(app_name=APP, user_id="ada", query=b"oat"),  # type: ignore[arg-type]
        lambda: memory.search(app_name=APP, user_id="ada", query="oat", limit=0),
        lambda: memory.count(user_id="ada"),
    ]
    for call in bad_calls:
        with pytest.raises(AdkStoreError):
            await call()
    assert await raw_fetch(db_url, "SELECT count(*) FROM adk_memories") == [(0,)]


async def test_a_memory_service_of_its_own_url_shares_the_database(db_url: str) -> None:
    async with MemoryService(db_url) as memory:
        await memory.add_memories(app_name=APP, user_id="ada", memories=[NewMemory(text="hi")])
        assert await memory.sessions.list_sessions(app_name=APP) is not None
    async with SessionService(db_url) as sessions:
        assert await MemoryService(sessions).count() == 1
