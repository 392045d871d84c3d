"""Every statement the advisor can make cites a section that exists in knowledge/."""

import re

from bot.advice import framework as fw
from bot.paths import bundled_dir


def _sections() -> set[tuple[str, str]]:
    found = set()
    for path in bundled_dir("knowledge").glob("*.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                found.add((path.name, line[3:].strip()))
    return found


def _all_citations() -> list[fw.Citation]:
    citations = [info.citation for info in fw.GOALS.values()]
    citations += [value.citation for value in vars(fw).values() if isinstance(value, fw.Rule)]
    citations += [citation for _, citation in fw.OPENAI_EVENTS]
    return citations


def test_every_citation_names_a_real_section() -> None:
    sections = _sections()
    missing = [c for c in _all_citations() if (c.path, c.section) not in sections]
    assert not missing
    assert len(_all_citations()) > 15


def test_every_goal_is_described() -> None:
    assert set(fw.GOALS) == set(fw.Goal)
    helps = [g for g, info in fw.GOALS.items() if info.fine_tuning_helps]
    assert len(helps) == 4


def test_knowledge_documents_have_a_title_and_sections() -> None:
    for path in bundled_dir("knowledge").glob("*.md"):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# "), path
        assert sum(1 for line in lines if line.startswith("## ")) >= 3, path


def test_knowledge_covers_the_source_facts() -> None:
    text = " ".join(p.read_text(encoding="utf-8") for p in bundled_dir("knowledge").glob("*.md"))
    for fact in ["500", "5,000", "LoRA", "Llama 3", "Mistral", "Qwen 2", "A100", "€2",
                 "Anthropic", "7 May 2026", "2 July 2026", "6 January 2027",
                 "14 January 2027", "15 September 2025", "Cohere", "GPT-4.1 mini"]:
        assert fact in text, fact


def test_provider_status_before_and_after_the_deadline() -> None:
    import datetime as dt

    texts = [r.text for r in fw.openai_status(dt.date(2026, 6, 1))]
    assert re.search(r"On 2 July 2026 .* \(31 days from today\)", texts[1])
    assert texts[0].startswith("Since 7 May 2026")
