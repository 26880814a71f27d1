"""An agent that recalls through google-adk's ``load_memory`` tool, with a scripted model.

The model saves nothing itself: a question (a message with ``?``) makes it call
``load_memory`` with the question as the query, and it answers with the texts of the
memories the tool returned; anything else gets "Noted.".

``python -m tests.adk._recall_agent URI USER_ID TEXT`` asks TEXT in a new session, in a new
process, with the session and memory services google-adk's registry builds from the
adk-store URI (as ``adk web --session_service_uri URI --memory_service_uri URI`` would), and
prints the replies as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import Runner
from google.adk.tools import load_memory
from google.genai import types

APP_NAME = "recall"


class ScriptedRecaller(BaseLlm):
    model: str = "scripted-recaller-1"

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        last = llm_request.contents[-1].parts or []
        results = [part.function_response for part in last if part.function_response]
        if results:
            yield _text(_recalled(results[-1].response or {}))
            return
        said = " ".join(part.text for part in last if part.text)
        if "?" in said:
            call = types.FunctionCall(name="load_memory", args={"query": said})
            yield LlmResponse(
                content=types.Content(role="model", parts=[types.Part(function_call=call)])
            )
            return
        yield _text("Noted.")


def _recalled(response: dict[str, Any]) -> str:
    # The tool's LoadMemoryResponse arrives as it was returned, under "result".
    result = response.get("result", response)
    if hasattr(result, "model_dump"):
        result = result.model_dump(mode="json")
    texts = [
        part["text"]
        for memory in result.get("memories", [])
        for part in memory["content"].get("parts", [])
        if part.get("text")
    ]
    return "You told me: " + " | ".join(texts) if texts else "I don't remember."


def _text(reply: str) -> LlmResponse:
    return LlmResponse(content=types.Content(role="model", parts=[types.Part(text=reply)]))


def build_agent() -> LlmAgent:
    return LlmAgent(name="recaller", model=ScriptedRecaller(), tools=[load_memory])


async def say(runner: Runner, user_id: str, session_id: str, text: str) -> list[str]:
    message = types.Content(role="user", parts=[types.Part(text=text)])
    replies = []
    async for event in runner.run_async(
        user_id=user_id, session_id=session_id, new_message=message
    ):
        replies.extend(part.text for part in (event.content.parts or []) if part.text)
    return replies


async def ask_in_a_new_session(uri: str, user_id: str, text: str) -> None:
    from google.adk.cli.service_registry import get_service_registry

    from adk_store.adk import register_memory_services, register_session_services

    register_session_services()
    register_memory_services()
    registry = get_service_registry()
    sessions = registry.create_session_service(uri)
    memory = registry.create_memory_service(uri)
    assert sessions is not None
    assert memory is not None
    runner = Runner(
        agent=build_agent(), app_name=APP_NAME, session_service=sessions, memory_service=memory
    )
    session = await sessions.create_session(app_name=APP_NAME, user_id=user_id)
    replies = await say(runner, user_id, session.id, text)
    await runner.close()
    await memory.close()  # type: ignore[attr-defined]
    await sessions.close()  # type: ignore[attr-defined]
    print(json.dumps({"type": type(memory).__name__, "replies": replies}))


if __name__ == "__main__":
    asyncio.run(ask_in_a_new_session(sys.argv[1], sys.argv[2], sys.argv[3]))
