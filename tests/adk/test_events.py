"""Every event google-adk can produce reads back ``model_dump``-equal to what was appended."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.openapi.models import APIKey, APIKeyIn
from google.adk.auth.auth_credential import AuthCredential, AuthCredentialTypes
from google.adk.auth.auth_tool import AuthConfig
from google.adk.events import Event, EventActions
from google.adk.events.event_actions import EventCompaction
from google.adk.events.ui_widget import UiWidget
from google.adk.models.cache_metadata import CacheMetadata
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types

import adk_store
from adk_store.adk import AdkSessionService

from ._google_adk import GOOGLE_ADK_2

APP = "app"


def user_says(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


def model_event(**fields: Any) -> Event:
    return Event(author="assistant", invocation_id="inv-1", **fields)


EVENTS: dict[str, Event] = {
    "user text": Event(author="user", invocation_id="inv-1", content=user_says("héllo 👋")),
    "function call and response": model_event(
        content=types.Content(
            role="model",
            parts=[
                types.Part(
                    function_call=types.FunctionCall(
                        id="call-1", name="lookup", args={"city": "Zürich", "days": [1, 2]}
                    )
                ),
                types.Part(
                    function_response=types.FunctionResponse(
                        id="call-1", name="lookup", response={"result": None, "ok": True}
                    )
                ),
            ],
        ),
        long_running_tool_ids={"call-2", "call-1"},
    ),
    "inline binary data and files": model_event(
        content=types.Content(
            role="model",
            parts=[
                types.Part(inline_data=types.Blob(mime_type="image/png", data=bytes(range(256)))),
                types.Part(file_data=types.FileData(file_uri="gs://b/f.pdf", mime_type="a/pdf")),
            ],
        )
    ),
    "thoughts and code execution": model_event(
        content=types.Content(
            role="model",
            parts=[
                types.Part(text="let me think", thought=True, thought_signature=b"\x00sig\xff"),
                types.Part(
                    executable_code=types.ExecutableCode(
                        language=types.Language.PYTHON, code="print(1)"
                    )
                ),
                types.Part(
                    code_execution_result=types.CodeExecutionResult(
                        outcome=types.Outcome.OUTCOME_OK, output="1\n"
                    )
                ),
            ],
        )
    ),
    "model metadata": model_event(
        content=types.Content(role="model", parts=[types.Part(text="Sources below.")]),
        grounding_metadata=types.GroundingMetadata(
            web_search_queries=["adk sessions"],
            grounding_chunks=[
                types.GroundingChunk(web=types.GroundingChunkWeb(uri="https://x.test", title="X"))
            ],
        ),
        usage_metadata=types.GenerateContentResponseUsageMetadata(
            prompt_token_count=10, candidates_token_count=5, thoughts_token_count=2
        ),
        citation_metadata=types.CitationMetadata(
            citations=[types.Citation(start_index=0, end_index=7, uri="https://x.test")]
        ),
        finish_reason=types.FinishReason.STOP,
        model_version="gemini-x",
        avg_logprobs=-0.25,
        turn_complete=True,
        interrupted=False,
        custom_metadata={"trace": {"id": 7, "tags": ["a", None]}},
        cache_metadata=CacheMetadata(fingerprint="abc", contents_count=3),
        input_transcription=types.Transcription(text="hi", finished=True),
    ),
    "error": model_event(error_code="RESOURCE_EXHAUSTED", error_message="quota " * 200),
    "transfer and escalation": model_event(
        branch="root.helper",
        actions=EventActions(
            transfer_to_agent="helper",
            **({"transfer_reason": "needs a specialist"} if GOOGLE_ADK_2 else {}),
            escalate=True,
            skip_summarization=True,
            artifact_delta={"report.pdf": 2},
            state_delta={"k": None, "nested": {"x": [1, 2.5, "z"]}},
        ),
    ),
    "auth and tool confirmation requests": model_event(
        actions=EventActions(
            requested_auth_configs={
                "call-1": AuthConfig(
                    auth_scheme=APIKey(**{"in": APIKeyIn.header, "name": "X-Key"}),
                    raw_auth_credential=AuthCredential(
                        auth_type=AuthCredentialTypes.API_KEY, api_key="secret"
                    ),
                )
            },
            requested_tool_confirmations={
                "call-2": ToolConfirmation(hint="Spend 5 credits?", payload={"credits": 5})
            },
        )
    ),
    "compaction": model_event(
        actions=EventActions(
            compaction=EventCompaction(
                start_timestamp=1.5, end_timestamp=9.25, compacted_content=user_says("summary")
            )
        )
    ),
    "rewind and agent state": model_event(
        actions=EventActions(
            rewind_before_invocation_id="inv-0",
            end_of_agent=True,
            agent_state={"step": 3},
            render_ui_widgets=[UiWidget(id="w1", provider="mcp", payload={"a": 1})],
        ),
    ),
}
if GOOGLE_ADK_2:
    from google.adk.events.event import NodeInfo

    EVENTS["workflow fields (google-adk 2.x)"] = model_event(
        actions=EventActions(
            route=["left", 2, True],
            set_model_response={"answer": 42},
        ),
        output={"rows": [1, 2]},
        node_info=NodeInfo(path="wf/a@1", output_for=["wf"], message_as_output=True),
        isolation_scope="call-9",
    )


@pytest.mark.parametrize("name", list(EVENTS))
async def test_event_reads_back_equal(adk_service: AdkSessionService, name: str) -> None:
    event = EVENTS[name].model_copy(deep=True)
    appended = event.model_dump()
    session = await adk_service.create_session(app_name=APP, user_id="u1")
    await adk_service.append_event(session, event)
    loaded = await adk_service.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert loaded is not None
    assert [stored.model_dump() for stored in loaded.events] == [appended]


class FutureActions(EventActions):
    """EventActions as a later google-adk might declare them."""

    hologram: dict[str, Any] | None = None


class FutureEvent(Event):
    """An Event as a later google-adk might declare it."""

    actions: FutureActions = FutureActions()  # type: ignore[assignment]
    mood: str | None = None


async def test_fields_of_a_later_adk_survive(db_url: str) -> None:
    event = FutureEvent(author="a", mood="sunny", actions=FutureActions(hologram={"x": 1}))
    async with AdkSessionService(db_url, create_schema=True, event_type=FutureEvent) as service:
        session = await service.create_session(app_name=APP, user_id="u1")
        await service.append_event(session, event)
        loaded = await service.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert loaded is not None
    assert [stored.model_dump() for stored in loaded.events] == [event.model_dump()]

    async with AdkSessionService(db_url) as older_reader:
        seen = await older_reader.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert seen is not None
    assert seen.events[0].author == "a"

    async with adk_store.SessionService(db_url) as core:
        raw = await core.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert raw is not None
    assert raw.events[0].extra["mood"] == "sunny"
    assert raw.events[0].actions.extra["hologram"] == {"x": 1}


async def test_content_is_stored_as_genai_json(service: adk_store.SessionService) -> None:
    adapter = AdkSessionService(service)
    session = await adapter.create_session(app_name=APP, user_id="u1")
    await adapter.append_event(session, EVENTS["inline binary data and files"].model_copy())
    raw = await service.get_session(app_name=APP, user_id="u1", session_id=session.id)
    assert raw is not None
    content = raw.events[0].content
    assert content is not None
    assert content["parts"][1] == {"fileData": {"fileUri": "gs://b/f.pdf", "mimeType": "a/pdf"}}
    assert isinstance(content["parts"][0]["inlineData"]["data"], str)
