"""The validation report: a pydantic model (its JSON is the contract) and a terminal view.

`report.model_dump(mode="json")`:

    {"file", "format": "chat"|"preference"|"unknown", "examples", "invalid_examples",
     "errors": {category: {"count", "lines"}}, "warnings": {category: {"count", "lines"}},
     "stats": {...}, "tokens": {"total", "encoding", "exact", "max_example_tokens",
     "truncated_examples", "tokens_cut"}, "usable", "validation": <report> | null}

`count` is the number of examples with the problem (file-level ones count 1), `lines`
the first ten of their 1-based physical line numbers in `file`, except for
`train_validation_overlap`: the validation examples that are near duplicates of
training ones, with their line numbers in the validation file. Warnings and stats
cover the valid examples only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

ERRORS = {
    "invalid_json": "the line is not valid JSON",
    "invalid_utf8": "the line is not valid UTF-8",
    "not_an_object": "the line is JSON but not an object",
    "line_too_long": "the line is longer than the reader accepts (32 MiB)",
    "missing_messages": "no messages, or an empty list",
    "unknown_keys": "keys OpenAI does not accept",
    "unknown_role": "a role other than system, developer, user, assistant, tool, function",
    "invalid_message": "a message that is not an object",
    "invalid_content": "content missing, empty, or not text (parts)",
    "invalid_name": "a name that is not 1-64 letters, digits, _ or -",
    "invalid_weight": "weight other than 0 or 1, or not on an assistant message",
    "invalid_tool_calls": "malformed tool_calls/function_call, or a tool reply to no call",
    "invalid_tools": "malformed tools, functions or parallel_tool_calls",
    "no_assistant_message": "nothing to learn: no assistant message",
    "last_message_not_assistant": "the last message is not the assistant's",
    "special_tokens": "text holds special tokens such as <|endoftext|> or <|im_start|>",
    "chat_template_error": "the tokenizer's chat template rejects the example",
    "missing_input": "no input object",
    "missing_preferred_output": "no preferred_output",
    "missing_non_preferred_output": "no non_preferred_output",
    "invalid_preference_output": "an output that is not a list of one assistant message",
    "too_few_examples": "fewer valid examples than the minimum",
}
WARNINGS = {
    "byte_order_mark": "the file starts with a UTF-8 byte order mark",
    "missing_system_message": "no system (or developer) message",
    "missing_user_message": "no user message",
    "duplicate_examples": "the same line as an earlier example",
    "near_duplicate_examples": "an earlier example up to case, punctuation and spaces",
    "over_context_limit": "longer than max_example_tokens; training truncates it",
    "train_validation_overlap": "validation examples also in training (validation file lines)",
    "short_assistant_replies": "an assistant reply under 3 tokens",
    "personal_data": "an email address or phone number",
    "label_imbalance": "classes below 2%, or under a tenth of the largest class",
    "images_not_counted": "image parts: their tokens are not counted",
    "identical_preference_outputs": "preferred and non-preferred outputs are the same",
}


class Issue(BaseModel):
    """How many examples have the problem, and where the first ones are."""

    count: int
    lines: list[int]


class Distribution(BaseModel):
    """Summary of a per-example quantity (percentiles interpolate linearly)."""

    min: int
    p5: float
    median: float
    p95: float
    max: int
    mean: float


class Stats(BaseModel):
    """Shape of the valid examples; distributions are null when there are none.
    Messages count per training sequence (a preference example: input + one output)."""

    examples: int
    blank_lines: int
    messages_per_example: Distribution | None
    tokens_per_example: Distribution | None
    tokens_per_assistant_reply: Distribution | None
    mean_prompt_tokens: float
    mean_completion_tokens: float
    labels: dict[str, int] | None  # class counts, when the replies look like labels


class Tokens(BaseModel):
    """Billable tokens for one epoch: each example counts at most max_example_tokens."""

    total: int
    encoding: str
    exact: bool
    max_example_tokens: int  # the limit applied
    truncated_examples: int
    tokens_cut: int


class ValidationReport(BaseModel):
    """Everything the validator found in one file (and its validation file)."""

    file: str
    format: Literal["chat", "preference", "unknown"]
    examples: int
    invalid_examples: int
    errors: dict[str, Issue]
    warnings: dict[str, Issue]
    stats: Stats
    tokens: Tokens
    usable: bool
    validation: ValidationReport | None = None

    @property
    def exit_code(self) -> int:
        """0 usable, 1 blocking errors (unreadable files raise InputError, exit 2)."""
        return 0 if self.usable else 1


def render_report(report: ValidationReport) -> str:
    """A plain-text view for terminals."""
    return "\n".join(_render(report))


def _render(report: ValidationReport) -> list[str]:
    verdict = "usable" if report.usable else "NOT usable"
    out = [
        f"{report.file}: {report.format} format, {report.examples:,} examples, "
        f"{report.invalid_examples:,} invalid: {verdict}"
    ]
    for title, issues, hints in (
        ("Errors (blocking)", report.errors, ERRORS),
        ("Warnings", report.warnings, WARNINGS),
    ):
        if issues:
            out.append(f"{title}:")
            width = max(map(len, issues))
            for name, issue in issues.items():
                lines = ", ".join(map(str, issue.lines))
                where = f" (lines {lines}{', ...' if issue.count > len(issue.lines) else ''})"
                out.append(
                    f"  {name:<{width}}  {issue.count:>7,}  {hints.get(name, '')}"
                    f"{where if issue.lines else ''}"
                )
    tokens = report.tokens
    kind = "exact" if tokens.exact else "ESTIMATE: the model's tokenizer is not available"
    out.append(
        f"Tokens ({tokens.encoding}, {kind}): {tokens.total:,} billable per epoch; "
        f"{tokens.truncated_examples:,} examples over {tokens.max_example_tokens:,} "
        f"lose {tokens.tokens_cut:,} tokens"
    )
    stats = report.stats
    for label, dist in (
        ("messages/example", stats.messages_per_example),
        ("tokens/example", stats.tokens_per_example),
        ("tokens/assistant reply", stats.tokens_per_assistant_reply),
    ):
        if dist is not None:
            out.append(
                f"  {label:<22} min {dist.min:,}  p5 {dist.p5:,.0f}  median "
                f"{dist.median:,.0f}  p95 {dist.p95:,.0f}  max {dist.max:,}  mean {dist.mean:,.1f}"
            )
    if stats.examples:
        out.append(
            f"  mean prompt tokens {stats.mean_prompt_tokens:,.1f}, "
            f"mean completion tokens {stats.mean_completion_tokens:,.1f}"
        )
    if stats.labels:
        top = list(stats.labels.items())[:10]
        shown = ", ".join(f"{label!r}: {count:,}" for label, count in top)
        out.append(f"  labels ({len(stats.labels)}): {shown}")
    if report.validation is not None:
        out.append("Validation file:")
        out.extend(f"  {line}" for line in _render(report.validation))
    return out
