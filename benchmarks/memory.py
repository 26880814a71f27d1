"""Memory search, side by side: adk-store's memory against google-adk's own memory services.

    python -m benchmarks.memory [--smoke] [--postgres URL]

The corpus is generated from a seed, so every run measures the same data. Each user tells
their agent facts ("My favourite fruit is mango") among small talk, in English or in
Chinese; each labelled query asks about one fact in other words ("Which fruit do I like?").
Every store gets the same sessions through google-adk's ``add_session_to_memory``; recall@5
counts the queries whose fact is among the five memories a search returns, and search time
is the median of every query. The last table times one user's searches while other users'
memories grow: flat when the scope is part of the index lookup.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import click
from google.adk.events import Event
from google.adk.memory import InMemoryMemoryService
from google.adk.memory._sqlite_memory_service import SqliteMemoryService
from google.adk.memory.base_memory_service import BaseMemoryService
from google.adk.sessions import Session
from google.genai import types

from adk_store.adk import AdkMemoryService

APP = "bench"
TOP = 5

TOPICS = {
    "fruit": ["mango", "papaya", "lychee", "apricot", "guava", "quince"],
    "drink": ["cortado", "matcha", "kombucha", "lassi", "horchata", "chai"],
    "city": ["lisbon", "osaka", "valparaiso", "tbilisi", "hobart", "tromso"],
    "sport": ["fencing", "curling", "bouldering", "rowing", "hurling", "judo"],
    "author": ["borges", "lispector", "murakami", "achebe", "szymborska", "calvino"],
    "instrument": ["cello", "oud", "theremin", "sitar", "bassoon", "kalimba"],
}
QUESTIONS = [
    "Which {topic} do I like most?",
    "Remind me of my favourite {topic}",
    "what {topic} did I tell you I love",
]
TOPICS_ZH = {
    "水果": ["芒果", "荔枝", "榴莲", "杨桃"],
    "城市": ["成都", "杭州", "厦门", "西安"],
    "饮料": ["奶茶", "豆浆", "酸梅汤", "乌龙茶"],
}
SMALL_TALK = [
    "Thanks, that was helpful",
    "Can you check the weather tomorrow",
    "Let's talk again next week",
    "I had a long day at work",
    "Please keep it short",
    "好的，谢谢你",
    "今天天气不错",
]


@dataclass(frozen=True)
class Corpus:
    sessions: list[Session]
    queries: list[tuple[str, str, str]]
    """(user, question, the text of the fact that answers it)."""
    memories: int


def said(author: str, text: str, number: int) -> Event:
    role = "user" if author == "user" else "model"
    return Event(
        id=f"e{number}",
        author=author,
        invocation_id=f"i{number}",
        timestamp=1_700_000_000.0 + number,
        content=types.Content(role=role, parts=[types.Part(text=text)]),
    )


def generate(users: int, sessions_per_user: int, seed: int = 19, prefix: str = "u") -> Corpus:
    rng = random.Random(seed)
    sessions: list[Session] = []
    queries: list[tuple[str, str, str]] = []
    number = 0
    for user_index in range(users):
        user_id = f"{prefix}{user_index}"
        facts: list[tuple[str, str]] = []
        for topic, values in TOPICS.items():
            fact = f"My favourite {topic} is {rng.choice(values)}"
            facts.append((fact, rng.choice(QUESTIONS).format(topic=topic)))
        for topic, values in TOPICS_ZH.items():
            fact = f"我最喜欢的{topic}是{rng.choice(values)}"
            facts.append((fact, f"我喜欢什么{topic}？"))
        rng.shuffle(facts)
        for session_index in range(sessions_per_user):
            events = []
            mine = facts[session_index::sessions_per_user]
            for fact, question in mine:
                events.append(said("user", fact, number := number + 1))
                events.append(said("agent", "Noted, I will remember that.", number := number + 1))
                queries.append((user_id, question, fact))
            for _ in range(4):
                events.append(said("user", rng.choice(SMALL_TALK), number := number + 1))
            sessions.append(
                Session(
                    id=f"s{session_index}",
                    app_name=APP,
                    user_id=user_id,
                    events=events,
                    last_update_time=0.0,
                )
            )
    memories = sum(len(session.events) for session in sessions)
    return Corpus(sessions, queries, memories)


@dataclass
class Outcome:
    store: str
    ingest_per_second: float
    recall_at_5: float
    recall_english: float
    recall_chinese: float
    median_search_ms: float


async def measure(name: str, service: BaseMemoryService, corpus: Corpus) -> Outcome:
    started = time.perf_counter()
    for session in corpus.sessions:
        await service.add_session_to_memory(session)
    ingest = corpus.memories / (time.perf_counter() - started)
    hits: dict[bool, list[bool]] = {True: [], False: []}
    times = []
    for user_id, question, fact in corpus.queries:
        began = time.perf_counter()
        found = await service.search_memory(app_name=APP, user_id=user_id, query=question)
        times.append(time.perf_counter() - began)
        texts = [part.text for m in found.memories[:TOP] for part in m.content.parts or []]
        hits[fact.isascii()].append(fact in texts)
    every = hits[True] + hits[False]
    return Outcome(
        name,
        ingest,
        sum(every) / len(every),
        sum(hits[True]) / max(1, len(hits[True])),
        sum(hits[False]) / max(1, len(hits[False])),
        statistics.median(times) * 1000,
    )


async def scaling(
    make: Callable[[str], Awaitable[AdkMemoryService]], folder: Path, sizes: list[int]
) -> list[tuple[int, float]]:
    """Median search time of one user while the memories of others grow to each size."""
    service = await make(str(folder / "scaling.db"))
    probe = generate(1, 3, seed=5, prefix="probe")
    for session in probe.sessions:
        await service.add_session_to_memory(session)
    held = 0
    rows = []
    for size in sizes:
        others = generate(max(1, (size - held) // 40), 3, seed=size, prefix=f"o{size}_")
        for session in others.sessions:
            await service.add_session_to_memory(session)
        held = await service.core.count() - probe.memories
        times = []
        for _ in range(5):
            for user_id, question, _fact in probe.queries:
                began = time.perf_counter()
                await service.search_memory(app_name=APP, user_id=user_id, query=question)
                times.append(time.perf_counter() - began)
        rows.append((held, statistics.median(times) * 1000))
    await service.close()
    return rows


async def run(smoke: bool, postgres: str | None) -> None:
    users = 8 if smoke else 240
    corpus = generate(users, 3)
    click.echo(
        f"corpus: {corpus.memories} memories of {users} users, {len(corpus.queries)} queries"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        stores: list[tuple[str, BaseMemoryService]] = [
            ("google-adk InMemoryMemoryService", InMemoryMemoryService()),
            (
                "google-adk SqliteMemoryService",
                SqliteMemoryService(path / "adk.db", max_results=TOP),
            ),
            (
                "adk-store SQLite",
                AdkMemoryService(f"sqlite+aiosqlite:///{path / 'store.db'}", max_results=TOP),
            ),
        ]
        if postgres:
            stores.append(("adk-store PostgreSQL", AdkMemoryService(postgres, max_results=TOP)))
        outcomes = []
        for name, service in stores:
            outcomes.append(await measure(name, service, corpus))
            close = getattr(service, "close", None)
            if close is not None:
                await close()
        click.echo(
            "\n| store | recall@5 | English | Chinese | median search (ms) "
            "| ingest (memories/s) |\n|---|---|---|---|---|---|"
        )
        for o in outcomes:
            click.echo(
                f"| {o.store} | {o.recall_at_5:.2f} | {o.recall_english:.2f} | "
                f"{o.recall_chinese:.2f} | {o.median_search_ms:.2f} | {o.ingest_per_second:.0f} |"
            )

        async def sqlite_store(file: str) -> AdkMemoryService:
            return AdkMemoryService(f"sqlite+aiosqlite:///{file}", max_results=TOP)

        sizes = [1_000, 5_000] if smoke else [1_000, 10_000, 100_000]
        rows = await scaling(sqlite_store, path, sizes)
        click.echo("\n| other users' memories | median search (ms), adk-store SQLite |\n|---|---|")
        for held, median in rows:
            click.echo(f"| {held} | {median:.2f} |")


@click.command()
@click.option("--smoke", is_flag=True, help="A small corpus: seconds, not minutes (for CI).")
@click.option("--postgres", help="Also measure adk-store on this PostgreSQL database URL.")
def main(smoke: bool, postgres: str | None) -> None:
    """Recall and search time of adk-store's memory against google-adk's."""
    asyncio.run(run(smoke, postgres))


if __name__ == "__main__":
    main()
