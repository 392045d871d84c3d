"""The verdict engine end to end (real embedding model) on questions it was not
built from. The held-out sets were written by people who never saw the engine, so
their floors are measured accuracy minus noise (docs/verdict-engine.md has the numbers
and how they were measured). The rules are checked alone too, so a regression in them
cannot hide behind the learned model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.advice.framework import KNOWLEDGE_GOALS
from bot.advice.signals import ExemplarIndex, extract_signals
from bot.advice.train_verdict_model import TEST_SETS, labelled_cases
from bot.advice.verdict import decide
from bot.advice.verdict_model import VerdictModel
from bot.rag.embeddings import MiniLMEmbedder
from tests.conftest import TODAY

DATA = Path(__file__).parent / "data"
DEV = DATA / "scenarios_dev.jsonl"  # copy of shared/reference/scenarios_dev.jsonl


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _verdict(turns: list[str], embedder: MiniLMEmbedder, index: ExemplarIndex,
             model: VerdictModel | None = None) -> str:
    signals = extract_signals(turns, embedder.encode_units, index)
    estimate = model.probabilities(turns) if model else None
    return decide(signals, TODAY, turns[-1], estimate).verdict.value


def _accuracy(path: Path, embedder: MiniLMEmbedder, index: ExemplarIndex,
              model: VerdictModel | None = None) -> float:
    """Share of questions (or of thread turns, each on the thread so far) answered right."""
    cases = labelled_cases(path)
    right = sum(_verdict(turns, embedder, index, model) == want for _, turns, want in cases)
    return right / len(cases)


def test_every_dev_scenario(embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex,
                            verdict_model: VerdictModel) -> None:
    for model in (None, verdict_model):
        got = {r["id"]: (_verdict([r["q"]], embedder, exemplar_index, model), r["verdict"])
               for r in _rows(DEV)}
        assert {k: v for k, v in got.items() if v[0] != v[1]} == {}


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("paraphrases.jsonl", 0.90),
        ("heldout_questions.jsonl", 0.95),
        ("heldout_questions_b.jsonl", 0.92),
        ("heldout_questions_c.jsonl", 0.92),
        ("heldout_questions_d.jsonl", 0.93),
        ("heldout_questions_e.jsonl", 0.92),
        ("heldout_questions_f.jsonl", 0.94),
        ("heldout_questions_g.jsonl", 0.94),
        ("heldout_questions_h.jsonl", 0.94),
        ("heldout_questions_i.jsonl", 0.92),
        ("heldout_questions_j.jsonl", 0.94),
        ("heldout_questions_k.jsonl", 0.92),
        ("heldout_questions_l.jsonl", 0.95),
        ("heldout_questions_m.jsonl", 0.94),
        ("heldout_questions_n.jsonl", 0.95),
        ("heldout_questions_o.jsonl", 0.94),
        ("heldout_questions_p.jsonl", 0.94),
        ("heldout_questions_q.jsonl", 0.93),
        ("heldout_questions_r.jsonl", 0.94),
        ("heldout_questions_s.jsonl", 0.94),
        ("heldout_questions_t.jsonl", 0.88),
        ("heldout_questions_v.jsonl", 0.88),
        ("heldout_questions_w.jsonl", 0.89),
        ("heldout_questions_x.jsonl", 0.88),
        ("heldout_questions_za.jsonl", 0.89),
        ("heldout_questions_zb.jsonl", 0.89),
        ("heldout_questions_zc.jsonl", 0.86),  # never opened: a test set
        ("heldout_questions_zd.jsonl", 0.89),  # never opened: a test set
        ("heldout_conversations.jsonl", 0.92),
        ("heldout_conversations_u.jsonl", 0.89),
        ("heldout_conversations_y.jsonl", 0.85),
        ("heldout_questions_ze.jsonl", 0.92),
        ("heldout_questions_zf.jsonl", 0.90),
        ("heldout_questions_zg.jsonl", 0.92),
        ("heldout_questions_zh.jsonl", 0.77),
        ("heldout_questions_zi.jsonl", 0.88),
        ("heldout_questions_zj.jsonl", 0.93),
        ("heldout_questions_zk.jsonl", 0.89),
        ("heldout_questions_zl.jsonl", 0.89),
        ("heldout_questions_zm.jsonl", 0.89),
        ("heldout_questions_zn.jsonl", 0.92),
        ("heldout_questions_zo.jsonl", 0.93),
        ("heldout_questions_zp.jsonl", 0.86),
        ("heldout_conversations_zq.jsonl", 0.85),
        ("heldout_conversations_zr.jsonl", 0.86),
        ("heldout_questions_zs.jsonl", 0.92),
        ("heldout_questions_zt.jsonl", 0.91),
        ("heldout_questions_zu.jsonl", 0.91),
        ("heldout_questions_zv.jsonl", 0.88),
        ("heldout_conversations_zw.jsonl", 0.87),
        ("heldout_conversations_ta.jsonl", 0.88),
        ("heldout_conversations_tb.jsonl", 0.82),
        ("heldout_conversations_tc.jsonl", 0.76),
        ("heldout_conversations_td.jsonl", 0.74),
        ("heldout_conversations_te.jsonl", 0.88),
        ("heldout_conversations_tf.jsonl", 0.88),
        ("heldout_questions_ya.jsonl", 0.82),
        ("heldout_questions_yb.jsonl", 0.88),
    ],
)
def test_rules_alone(name: str, floor: float, embedder: MiniLMEmbedder,
                     exemplar_index: ExemplarIndex) -> None:
    assert _accuracy(DATA / name, embedder, exemplar_index) >= floor


@pytest.mark.parametrize(("name", "floor"), [
    ("heldout_questions_i.jsonl", 0.97),
    ("heldout_questions_k.jsonl", 0.98),
    ("heldout_questions_zc.jsonl", 0.96),
    ("heldout_questions_zd.jsonl", 0.97),
    ("heldout_questions_ze.jsonl", 0.97),
    ("heldout_questions_zf.jsonl", 0.96),
    ("heldout_questions_zg.jsonl", 0.97),
    ("heldout_questions_zh.jsonl", 0.97),
    ("heldout_questions_zi.jsonl", 0.96),
    ("heldout_questions_zj.jsonl", 0.98),
    ("heldout_conversations_zr.jsonl", 0.90),
    ("heldout_questions_zs.jsonl", 0.97),
    ("heldout_questions_zt.jsonl", 0.97),
    ("heldout_questions_zu.jsonl", 0.97),
    ("heldout_questions_zv.jsonl", 0.97),
    ("heldout_conversations_zw.jsonl", 0.93),
])
def test_rules_with_the_model_on_sets_it_never_trained_on(
    name: str, floor: float, embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex,
    verdict_model: VerdictModel,
) -> None:
    assert Path(name).stem in TEST_SETS
    assert _accuracy(DATA / name, embedder, exemplar_index, verdict_model) >= floor


def test_more_data_in_a_later_turn_changes_the_verdict(
    embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex
) -> None:
    first = "We need consistent JSON from the model and prompting has hit its limit."
    assert _verdict([first], embedder, exemplar_index) == "unclear"
    assert _verdict([first, "we have 2,000 checked examples"], embedder,
                    exemplar_index) == "fine_tune"
    assert _verdict([first, "only about 80 examples so far"], embedder,
                    exemplar_index) == "collect_data"


def _signals(text: str, embedder: MiniLMEmbedder, index: ExemplarIndex) -> dict:
    return extract_signals([text], embedder.encode_units, index).to_dict()


def test_fine_tunings_own_price_is_not_a_cost_goal_in_any_clause(
    embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex
) -> None:
    # without reading the clause in its sentence, "Is it possible to fine-tune GPT-4o mini"
    # alone matches the cheaper-model goal
    text = "Is it possible to fine-tune GPT-4o mini, and what would that cost us?"
    assert "cost_latency" not in _signals(text, embedder, exemplar_index)["goals"]


def test_doubt_in_the_clause_after_the_data_is_about_the_data(
    embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex
) -> None:
    text = ("We kept 900 forms from the old system but nobody can say how many are right, "
            "and the prompt is maxed out.")
    signals = _signals(text, embedder, exemplar_index)
    assert (signals["examples"], signals["data_quality"]) == (900, "unreviewed")


def test_rules_the_model_ignores_are_not_knowledge_it_lacks(
    embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex
) -> None:
    text = ("Our intake assistant must ask for the policy number first, never quote a "
            "premium, and escalate anything about injuries. It keeps skipping the "
            "escalation rule. Would fine-tuning make it stick?")
    goals = _signals(text, embedder, exemplar_index)["goals"]
    assert "complex_instructions" in goals
    assert not set(goals) & {g.value for g in KNOWLEDGE_GOALS}


def test_a_later_turn_saying_the_rules_are_followed_now_settles_them(
    embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex
) -> None:
    turns = ["Our triage bot keeps skipping half the rules in its prompt.",
             "We restructured the prompt and the rules are respected now."]
    first = extract_signals(turns[:1], embedder.encode_units, exemplar_index)
    both = extract_signals(turns, embedder.encode_units, exemplar_index)
    assert (first.instructions_ignored, both.instructions_ignored) == (True, False)


def test_praise_for_the_data_rules_no_goal_out(
    embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex
) -> None:
    text = ("We want replies that sound like our studio, warm and a bit nerdy. Prompting is "
            "maxed out. There are maybe 90 replies the founders think are good.")
    signals = _signals(text, embedder, exemplar_index)
    assert "tone_style" in signals["goals"]
    assert _verdict([text], embedder, exemplar_index) == "collect_data"


def test_a_positive_statement_of_a_goal_beats_an_inferred_ruling_out(
    embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex
) -> None:
    text = ("The newsletters are fine content-wise, but they read like a tax form. Prompting "
            "is exhausted and we have 1,500 editor-approved issues.")
    assert _verdict([text], embedder, exemplar_index) == "fine_tune"


def test_more_prompt_work_on_it_in_a_later_turn_counts_as_prompting(
    embedder: MiniLMEmbedder, exemplar_index: ExemplarIndex
) -> None:
    turns = ["we want push notifications in our cheeky brand voice, fine-tune?",
             "tbh we've only tried one quick prompt",
             "ok we went back and spent three weeks on it, still off-brand"]
    assert [_verdict(turns[:n], embedder, exemplar_index) for n in (1, 2, 3)] == [
        "prompt", "prompt", "unclear"]
