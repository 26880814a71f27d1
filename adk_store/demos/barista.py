"""A café barista agent whose model is a script: real google-adk, no network, no API key.

The demo and the end-to-end tests run this agent through google-adk's ``Runner``. The model
reads the conversation google-adk hands it and answers from a fixed script: it calls a tool
when the customer gives a name or orders a drink (the tools write ``user:``, ``app:`` and
session state), and otherwise answers from the state google-adk injected into its instruction
and the history it was sent, so a wrong state or a lost event shows in its reply.

>>> agent = build_barista_agent()
>>> runner = Runner(agent=agent, app_name=APP_NAME, session_service=service)
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.events import Event
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import Runner
from google.adk.tools.tool_context import ToolContext
from google.genai import types

APP_NAME = "adk_store_cafe"
MODEL_NAME = "scripted-barista-1"

_NAME_REQUEST = re.compile(r"\bmy name is (?P<name>[A-Z][\w-]*)", re.IGNORECASE)
_ORDER_REQUEST = re.compile(
    r"\b(?:i'd like|i would like|i'll have|can i have)\s+(?:an?\s+|some\s+)?(?P<drink>[\w\s-]+?)"
    r"(?:,|\.|!|\?|\s+please|$)",
    re.IGNORECASE,
)
_INSTRUCTION_FACT = re.compile(r"^(?P<label>[^:\n]+): (?P<value>.*)$", re.MULTILINE)

INSTRUCTION = """You are the barista of the adk-store café. Be brief and friendly.
Customer name: {user:name?}
Usual drink: {user:usual_drink?}
Orders this visit: {orders_this_visit?}
Orders served by the café: {app:orders_served?}
"""
"""google-adk fills the ``{...?}`` placeholders from the session's merged state."""


def remember_name(name: str, tool_context: ToolContext) -> dict[str, str]:
    """Remember the customer's name for every future visit (user state)."""
    tool_context.state["user:name"] = name
    return {"name": name}


def record_order(drink: str, tool_context: ToolContext) -> dict[str, Any]:
    """Serve a drink: count it for the café (app state), the customer and this visit."""
    orders_served = int(tool_context.state.get("app:orders_served") or 0) + 1
    tool_context.state["app:orders_served"] = orders_served
    tool_context.state["user:usual_drink"] = drink
    orders_this_visit = [*tool_context.state.get("orders_this_visit", []), drink]
    tool_context.state["orders_this_visit"] = orders_this_visit
    tool_context.state["temp:just_served"] = drink
    return {"drink": drink, "orders_served": orders_served}


class ScriptedBarista(BaseLlm):
    """A ``BaseLlm`` that answers from a script instead of calling a model service."""

    model: str = MODEL_NAME

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        """One scripted model turn for the conversation in ``llm_request``."""
        yield _usage_noted(_reply_to(llm_request), llm_request)


def build_barista_agent() -> LlmAgent:
    """The café agent: the scripted model and its two tools."""
    return LlmAgent(
        name="barista",
        model=ScriptedBarista(),
        instruction=INSTRUCTION,
        tools=[remember_name, record_order],
    )


async def converse(runner: Runner, *, user_id: str, session_id: str, text: str) -> list[Event]:
    """Send the customer's ``text`` through ``runner``; the events of the turn, in order.

    >>> events = await converse(runner, user_id="ada", session_id="s1", text="Hi!")
    """
    message = types.Content(role="user", parts=[types.Part(text=text)])
    return [
        event
        async for event in runner.run_async(
            user_id=user_id, session_id=session_id, new_message=message
        )
    ]


def _reply_to(llm_request: LlmRequest) -> LlmResponse:
    last = llm_request.contents[-1] if llm_request.contents else None
    last_parts = (last.parts or []) if last is not None else []
    tool_results = [part.function_response for part in last_parts if part.function_response]
    if tool_results:
        return _text(_confirm_tool_result(tool_results[-1]))
    said = " ".join(part.text for part in last_parts if part.text and not part.thought)
    if name := _NAME_REQUEST.search(said):
        return _call("remember_name", name=name["name"])
    if order := _ORDER_REQUEST.search(said):
        return _call("record_order", drink=order["drink"].strip().lower())
    return _text(_recall(llm_request))


def _confirm_tool_result(result: types.FunctionResponse) -> str:
    response = result.response or {}
    if result.name == "remember_name":
        return f"Nice to meet you, {response.get('name')}! I'll remember you."
    return (
        f"One {response.get('drink')} coming up! "
        f"That's order number {response.get('orders_served')} at this café."
    )


def _recall(llm_request: LlmRequest) -> str:
    facts = _instruction_facts(llm_request)
    name = facts.get("Customer name") or "a new face"
    usual = facts.get("Usual drink") or "nothing yet"
    served = facts.get("Orders served by the café") or "0"
    messages = sum(
        1
        for content in llm_request.contents
        if content.role == "user" and any(part.text for part in content.parts or [])
    )
    return (
        f"You're {name}, your usual is {usual}. You have sent me {messages} messages in "
        f"this conversation, and the café's order count stands at {served}."
    )


def _instruction_facts(llm_request: LlmRequest) -> dict[str, str]:
    instruction = llm_request.config.system_instruction if llm_request.config else None
    if isinstance(instruction, types.Content):
        text = "\n".join(part.text or "" for part in instruction.parts or [])
    else:
        text = str(instruction or "")
    return {fact["label"]: fact["value"].strip() for fact in _INSTRUCTION_FACT.finditer(text)}


def _text(reply: str) -> LlmResponse:
    return LlmResponse(content=types.Content(role="model", parts=[types.Part(text=reply)]))


def _call(tool_name: str, **args: Any) -> LlmResponse:
    call = types.FunctionCall(name=tool_name, args=args)
    return LlmResponse(content=types.Content(role="model", parts=[types.Part(function_call=call)]))


def _usage_noted(response: LlmResponse, llm_request: LlmRequest) -> LlmResponse:
    response.model_version = MODEL_NAME
    response.usage_metadata = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=len(llm_request.contents),
        candidates_token_count=1,
        total_token_count=len(llm_request.contents) + 1,
    )
    return response
