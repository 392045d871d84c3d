"""compare(): scores, bootstrap verdict, contrasting examples, renderings and chart."""

from __future__ import annotations

import json
from pathlib import Path

from bot.evaluation.chart import bar_chart_png
from bot.evaluation.compare import compare
from bot.evaluation.comparison import NOT_BETTER_ADVICE, Comparison
from bot.evaluation.json_fields import JsonFields
from bot.evaluation.labels import ExactMatch

LABELS = ["billing", "refund", "outage"] * 40
PROMPTS = [[{"role": "system", "content": "Label it."},
            {"role": "user", "content": f"Ticket {i}: <!channel> my   thing is broken " * 3}]
           for i in range(len(LABELS))]


def _baseline() -> list[str | None]:
    """Right on half the tickets: wrong on every even one."""
    return [label if i % 2 else "outage" if label != "outage" else "billing"
            for i, label in enumerate(LABELS)]


def test_a_clearly_better_tuned_model() -> None:
    tuned: list[str | None] = [f'"{label.upper()}"' for label in LABELS]
    tuned[1] = None  # one unusable reply
    result = compare(_baseline(), tuned, LABELS, ExactMatch(), prompts=PROMPTS,
                     baseline_name="gpt-4o-mini + prompt", tuned_name="ft:gpt-4o-mini")
    assert result.verdict == "better" and result.advice is None and result.citations == []
    assert result.baseline.score == 0.5 and result.tuned.score == 119 / 120
    assert result.tuned.failures == 1
    assert [e.index for e in result.helped] == [0, 2, 4]
    assert [e.index for e in result.hurt] == [1]
    hurt = result.hurt[0]
    assert (hurt.baseline_score, hurt.tuned_score, hurt.tuned) == (1.0, 0.0, "(no reply)")
    assert hurt.prompt.startswith("Ticket 1: <!channel> my thing") and len(hurt.prompt) <= 160
    assert [row.group for row in result.breakdown_rows()] == ["billing", "outage", "refund"]
    text = result.render_text()
    assert text.startswith("Fine-tuning beat the prompted baseline")
    assert "+49.2 points" in text and NOT_BETTER_ADVICE not in text


def test_not_better_beyond_noise_says_so_and_cites_the_guidance() -> None:
    tuned = list(_baseline())
    tuned[0], tuned[3] = LABELS[0], "outage"  # one gained, one lost
    result = compare(_baseline(), tuned, LABELS, ExactMatch(), prompts=PROMPTS)
    assert result.verdict == "not different beyond noise"
    assert result.difference.low <= 0 <= result.difference.high
    text = result.render_text()
    assert "not different beyond noise" in text
    assert ("fine-tuning did not beat the prompted baseline on the held-out set; the guidance "
            "says to fine-tune only once prompting is exhausted — keep the prompt, or improve "
            "the data") in text.lower()
    assert "03-training-data.md › Keep a held-out evaluation set" in text
    assert "05-prompt-and-knowledge-base-first.md › The test to apply" in text
    markdown = result.render_markdown()
    assert "_03-training-data.md › Keep a held-out evaluation set_" in markdown
    assert "&lt;!channel&gt;" in markdown and "<!channel>" not in markdown
    assert markdown.count("```") == 2


def test_worse_also_points_to_the_guidance() -> None:
    tuned = ["outage"] * len(LABELS)
    result = compare(LABELS, tuned, LABELS, ExactMatch())
    assert result.verdict == "worse" and result.advice == NOT_BETTER_ADVICE
    assert result.render_text().startswith("Fine-tuning did worse")
    assert len(result.hurt) == 3 and result.helped == []


def test_round_trips_through_json() -> None:
    refs = [json.dumps({"category": c, "urgent": i % 2 == 0}) for i, c in enumerate(LABELS)]
    tuned = [r.replace("true", "false") for r in refs]
    result = compare(["no json"] * len(refs), tuned, refs, JsonFields(), prompts=PROMPTS)
    assert result.breakdown_kind == "field" and result.baseline.failures == len(refs)
    assert [row.group for row in result.breakdown_rows()] == ["category", "urgent"]
    again = Comparison.model_validate_json(result.model_dump_json())
    assert again == result
    assert "valid json: 0.0% → 100.0%" in again.render_text()


def test_chart_is_a_png(tmp_path: Path) -> None:
    result = compare(_baseline(), LABELS, LABELS, ExactMatch())
    path = bar_chart_png(result, tmp_path / "charts" / "eval.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 5_000
