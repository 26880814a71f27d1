"""Argument checks and page tokens, without a database."""

from __future__ import annotations

import math
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adk_store import InvalidArgumentError
from adk_store._validate import (
    MAX_ID_BYTES,
    MAX_ID_CHARS,
    MAX_ROWS,
    check_id,
    check_page,
    check_recent,
    check_timestamp,
    decode_page_token,
    encode_page_token,
    new_session_id,
)


@pytest.mark.parametrize(
    "good",
    ["a", "s1", "ünïcode", "x" * MAX_ID_CHARS, "€" * (MAX_ID_BYTES // 3), "", " ", "s1\n"],
)
def test_storable_ids_pass(good: str) -> None:
    check_id(good, "session_id")


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (None, "must be a str"),
        (7, "must be a str"),
        ("x" * (MAX_ID_CHARS + 1), "too long"),
        ("€" * (MAX_ID_BYTES // 3 + 1), "too long"),
        ("a\x00b", "NUL"),
        ("a\ud800", "lone surrogate"),
    ],
)
def test_unstorable_ids_are_refused_naming_the_argument(bad: object, says: str) -> None:
    with pytest.raises(InvalidArgumentError, match=says) as caught:
        check_id(bad, "user_id")
    assert "user_id" in str(caught.value)


def test_a_new_session_id_is_the_given_one_exactly_or_a_uuid4_for_none() -> None:
    for chosen in ("  s1 ", "", "   ", "order-42\n"):
        assert new_session_id(chosen) == chosen
    assert uuid.UUID(new_session_id(None)).version == 4
    with pytest.raises(InvalidArgumentError, match="str or None"):
        new_session_id(3)


def test_recent_event_counts() -> None:
    assert check_recent(None) is None
    assert check_recent(0) == 0
    assert check_recent(2**70) == MAX_ROWS
    for bad in (-1, 1.0, True, "3"):
        with pytest.raises(InvalidArgumentError, match="num_recent_events"):
            check_recent(bad)


def test_timestamps_are_finite_numbers() -> None:
    assert check_timestamp(None, "after_timestamp") is None
    assert check_timestamp(3, "after_timestamp") == 3.0
    for bad in (math.nan, math.inf, True, "1"):
        with pytest.raises(InvalidArgumentError, match="after_timestamp"):
            check_timestamp(bad, "after_timestamp")


@pytest.mark.parametrize(
    ("limit", "page_token"), [(0, None), (-1, None), ("3", None), (None, "x")]
)
def test_bad_paging_arguments_are_refused(limit: object, page_token: object) -> None:
    with pytest.raises(InvalidArgumentError):
        check_page(limit, page_token)


@given(
    update_time=st.floats(allow_nan=False, allow_infinity=False),
    user_id=st.text(),
    session_id=st.text(),
    across_users=st.booleans(),
)
def test_a_page_token_decodes_to_the_position_it_encodes(
    update_time: float, user_id: str, session_id: str, across_users: bool
) -> None:
    token = encode_page_token(update_time, user_id, session_id, with_user_id=across_users)
    expected = {"after_time": update_time, "after_id": session_id}
    if across_users:
        expected["after_user_id"] = user_id
    assert decode_page_token(token, with_user_id=across_users) == expected


@pytest.mark.parametrize(
    "token", ["not-a-token", "", "W10=", "WyJ4IiwgInkiXQ==", "WzEuMCwgMl0=", "WzFlOTk5LCAieCJd"]
)
def test_anything_but_a_returned_token_is_refused(token: str) -> None:
    with pytest.raises(InvalidArgumentError, match="page_token"):
        decode_page_token(token, with_user_id=False)


def test_a_token_of_one_user_is_refused_across_users() -> None:
    token = encode_page_token(1.0, "u1", "s1", with_user_id=False)
    with pytest.raises(InvalidArgumentError, match="page_token"):
        decode_page_token(token, with_user_id=True)
