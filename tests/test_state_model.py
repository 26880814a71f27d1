"""Property tests: state routing and merging against a plain in-memory model of the rules."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adk_store
from adk_store import Event, EventActions
from adk_store._state import merge_scopes, split_state_delta

_apps = itertools.count()

# Text both databases store: anything but lone surrogates (not UTF-8); NUL and U+0001 (its
# escape on PostgreSQL) are drawn often.
storable_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs",)) | st.sampled_from("\x00\x01")
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | storable_text,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(storable_text.filter(lambda k: len(k) <= 5), children, max_size=3)
    ),
    max_leaves=6,
)
keys = st.sampled_from(
    [
        *("a", "b", "app:a", "app:b", "user:a", "user:b", "temp:a", "app:"),
        *("a\x00", "a\x01", "a\x010", "app:a\x00", "user:\x00", "user:\x010"),
    ]
)
deltas = st.dictionaries(keys, json_values, max_size=4)


@given(delta=st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_split_then_merge_restores_every_persistent_key(delta: dict[str, Any]) -> None:
    scoped = split_state_delta(delta)
    merged = merge_scopes(scoped.app_state, scoped.user_state, scoped.session_state)
    persistent = {k: v for k, v in delta.items() if not k.startswith("temp:")}
    assert merged == persistent
    assert scoped.temp_state == {k: v for k, v in delta.items() if k.startswith("temp:")}


class Model:
    """The rules of brief §3 on plain dicts."""

    def __init__(self) -> None:
        self.app: dict[str, Any] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}

    def apply(self, user_id: str, session_key: str, delta: dict[str, Any]) -> None:
        for key, value in delta.items():
            if key.startswith("app:"):
                self.app[key[4:]] = value
            elif key.startswith("user:"):
                self.users.setdefault(user_id, {})[key[5:]] = value
            elif not key.startswith("temp:"):
                self.sessions.setdefault(session_key, {})[key] = value

    def state(self, user_id: str, session_key: str) -> dict[str, Any]:
        merged = dict(self.sessions.get(session_key, {}))
        merged.update({"app:" + k: v for k, v in self.app.items()})
        merged.update({"user:" + k: v for k, v in self.users.get(user_id, {}).items()})
        return merged


operations = st.lists(
    st.tuples(st.sampled_from(["u1", "u2"]), st.integers(0, 2), deltas, st.booleans()),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=operations)
async def test_stored_state_matches_the_model(
    service: adk_store.SessionService, steps: list[tuple[str, int, dict[str, Any], bool]]
) -> None:
    app_name = f"model-{next(_apps)}"
    model = Model()
    sessions: dict[tuple[str, int], adk_store.Session] = {}
    for user_id, number, delta, via_create in steps:
        key = (user_id, number)
        session_key = f"{user_id}/{number}"
        if key not in sessions and via_create:
            sessions[key] = await service.create_session(
                app_name=app_name, user_id=user_id, session_id=str(number), state=delta
            )
        else:
            if key not in sessions:
                sessions[key] = await service.create_session(
                    app_name=app_name, user_id=user_id, session_id=str(number)
                )
            await service.append_event(
                sessions[key], Event(author="t", actions=EventActions(state_delta=dict(delta)))
            )
        model.apply(user_id, session_key, delta)

        for (other_user, other_number), held in sessions.items():
            loaded = await service.get_session(
                app_name=app_name, user_id=other_user, session_id=held.id
            )
            assert loaded is not None
            assert loaded.state == model.state(other_user, f"{other_user}/{other_number}")
        assert await service.get_app_state(app_name=app_name) == model.app
        for user in ("u1", "u2"):
            stored = await service.get_user_state(app_name=app_name, user_id=user)
            assert stored == model.users.get(user, {})


@pytest.mark.parametrize("prefix", ["app:", "user:"])
async def test_bare_prefix_key_is_an_empty_key_in_its_scope(
    service: adk_store.SessionService, prefix: str
) -> None:
    session = await service.create_session(app_name="a", user_id="u", state={prefix: 1})
    loaded = await service.get_session(app_name="a", user_id="u", session_id=session.id)
    assert loaded is not None
    assert loaded.state == {prefix: 1}
