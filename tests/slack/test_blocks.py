"""Block Kit builders: limits, splitting without loss, escaping. Pure, no Slack."""

from __future__ import annotations

import json

from bot.advice.answer import Answer, Source
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_SECTION,
    answer_messages,
    escape,
    help_blocks,
    home_view,
    split_text,
)
from bot.slack.commands import parse


def _answer(text: str, sources: int = 3) -> Answer:
    return Answer(
        verdict="rag", headline="Use RAG, not fine-tuning", answer=text,
        sources=[Source(f"Title {i}", f"knowledge/0{i}.md", f"Section {i}", "snippet", 0.5)
                 for i in range(sources)],
        follow_up_questions=["Where do the documents live?"], signals={})


def _section_texts(messages: list[list[dict]]) -> list[str]:
    return [b["text"]["text"] for m in messages for b in m if b["type"] == "section"]


def test_a_50000_character_answer_is_split_not_cut() -> None:
    words = " ".join(f"word{i}" for i in range(9000))
    text = "\n\n".join(words[i : i + 5000] for i in range(0, len(words), 5000))
    assert len(text) > 50_000
    messages = answer_messages(_answer(text))
    assert len(messages) >= 1
    for blocks in messages:
        assert len(blocks) <= MAX_BLOCKS
        for block in blocks:
            if block["type"] == "section":
                assert 0 < len(block["text"]["text"]) <= MAX_SECTION
    body = "".join(_section_texts(messages))
    assert all(f"word{i} " in body or f"word{i}\n" in body or body.endswith(f"word{i}")
               for i in range(0, 9000, 97))
    assert messages[-1][-1]["type"] == "actions"


def test_huge_answers_spread_over_several_messages() -> None:
    text = "x" * (MAX_SECTION * 60)
    messages = answer_messages(_answer(text))
    assert len(messages) >= 2
    assert all(len(blocks) <= MAX_BLOCKS for blocks in messages)
    assert "".join(t for t in _section_texts(messages) if set(t) == {"x"}) == text


def test_split_text_keeps_everything() -> None:
    text = "alpha beta\n\ngamma " * 700
    pieces = split_text(text, 500)
    assert all(len(p) <= 500 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())


def test_everything_echoed_is_escaped() -> None:
    answer = _answer("Ask <!channel> & <@U123> <https://evil|click>")
    answer.sources[0] = Source("<!here>", "knowledge/x.md", "<@U9>", "s", 0.1)
    dumped = json.dumps(answer_messages(answer, asked_by="U1", question="<!everyone> hi"))
    for raw in ("<!channel>", "<@U123>", "<!here>", "<@U9>", "<!everyone>", "<https://evil"):
        assert raw not in dumped
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in dumped
    assert "<@U1> asked" in dumped  # the asker is named by the bot on purpose
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_feedback_buttons_carry_answer_and_verdict() -> None:
    answer = _answer("short")
    actions = answer_messages(answer)[-1][-1]
    values = {json.loads(e["value"])["answer"] for e in actions["elements"]}
    assert values == {answer.id}
    assert {e["action_id"] for e in actions["elements"]} == {"answer_feedback_up",
                                                             "answer_feedback_down"}


def test_header_is_plain_text_within_limits() -> None:
    answer = _answer("x")
    answer.headline = "H" * 400
    header = answer_messages(answer)[0][0]
    assert header["type"] == "header" and len(header["text"]["text"]) <= 150


def test_help_and_home() -> None:
    assert "/finetune ask" in json.dumps(help_blocks())
    view = home_view([])
    assert view["type"] == "home" and len(view["blocks"]) <= 100


def test_command_parsing() -> None:
    assert parse("") == ("help", "")
    assert parse("help") == ("help", "")
    assert parse("ask should we?") == ("ask", "should we?")
    assert parse("Should we fine-tune?") == ("ask", "Should we fine-tune?")
    assert parse("LAUNCH job") == ("launch", "job")
    assert parse("asking for a friend") == ("ask", "asking for a friend")
