"""Writes the answer text with an LLM through LangChain's `ChatOpenAI` (OpenAI, or
any OpenAI-compatible server such as Ollama or vLLM via `OPENAI_BASE_URL`).

The LLM only phrases the explanation: the verdict, the reasons, the sources and the
follow-up questions come from the engine. Retrieved text is passed inside
<source> tags as untrusted data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from bot.advice.answer import Evidence
from bot.config import Settings
from bot.paths import bundled_dir

PROMPT_NAME = "answer"


def load_prompt(name: str) -> Any:
    """`prompts/NAME.system.md` + `prompts/NAME.user.md` as a chat prompt template."""
    from langchain_core.prompts import ChatPromptTemplate

    folder = bundled_dir("prompts")
    system = (folder / f"{name}.system.md").read_text(encoding="utf-8")
    user = (folder / f"{name}.user.md").read_text(encoding="utf-8")
    return ChatPromptTemplate.from_messages([("system", system), ("human", user)])


def _data(text: str) -> str:
    """Text from users or documents, made inert inside our tags."""
    return escape(text, quote=False)


def prompt_variables(conversation: Sequence[str], evidence: Evidence, today: str) -> dict[str, str]:
    decision = evidence.decision
    sources = "\n".join(
        f'<source id="{n}" title="{escape(s.title)}" section="{escape(s.section)}">\n'
        f"{_data(s.snippet)}\n</source>"
        for n, s in enumerate(evidence.sources, 1)
    )
    return {
        "conversation": "\n---\n".join(_data(turn) for turn in conversation),
        "verdict": decision.verdict.value,
        "headline": decision.headline,
        "reasons": "\n".join(f"- {rule.text} [source {n}]" for rule, n in evidence.reasons),
        "sources": sources,
        "today": today,
    }


class LLMWriter:
    def __init__(self, chat_model: Any, today: Callable[[], dt.date]) -> None:
        self._chain = load_prompt(PROMPT_NAME) | chat_model
        self._today = today

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMWriter:
        from langchain_openai import ChatOpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        model = ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.openai_base_url,
            # A local OpenAI-compatible server usually needs no key, but the client does.
            api_key=key or "not-needed",
            timeout=settings.llm_timeout_s,
            max_retries=2,
            temperature=0.2,
        )
        return cls(model, settings.current_date)

    def write(self, conversation: Sequence[str], evidence: Evidence) -> str:
        variables = prompt_variables(conversation, evidence, self._today().isoformat())
        message = self._chain.invoke(variables)
        text = str(message.content).strip()
        if not text:
            raise ValueError("the LLM returned an empty answer")
        return text
