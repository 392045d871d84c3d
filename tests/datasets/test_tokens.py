"""Token counts: known values, OpenAI framing computed independently, the encoding
rules, the cache, and a local Hugging Face tokenizer built by the test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bpe_openai
import pytest

from bot.datasets.report import render_report
from bot.datasets.tokens import LruCache, counter_for, openai_encoding
from bot.datasets.validate import validate_dataset
from bot.errors import InputError
from tests.datasets.conftest import Writer, chat, preference

O200K = bpe_openai.get_encoding("o200k_base")


def n(text: str) -> int:
    return len(O200K.encode_ordinary(text))


def test_known_counts() -> None:
    counter = counter_for("gpt-4o-mini")
    assert counter.encoding == "o200k_base" and counter.exact
    assert counter.count_text("hello world") == 2 == n("hello world")
    assert counter_for("gpt-3.5-turbo").count_text("hello world") == 2
    assert counter.count_example([{"role": "user", "content": "hello world"}]) == 9  # 3+1+2+3


@pytest.mark.parametrize("text", [
    "", "hello world", "<|endoftext|> is text here", "naïve café — “quoted” … 東京 😀",
    "x" * 250_000, "  spaced\t\ttabs\n\nnew lines  ", '{"order_id": "A-1"}',
])
def test_rust_backend_matches_the_public_api(text: str) -> None:
    assert counter_for(None).count_text(text) == n(text)


def test_openai_framing_of_a_chat_example() -> None:
    tool = {"type": "function", "function": {"name": "track", "parameters": {"type": "object"}}}
    call = {"id": "c1", "type": "function",
            "function": {"name": "track", "arguments": '{"parcel": "A1"}'}}
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You track parcels."},
        {"role": "user", "name": "ann", "content": "Where is A1?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"at": "depot"}'},
        {"role": "assistant", "content": [{"type": "text", "text": "At the depot."}]},
    ]
    expected = 3  # reply primer
    expected += 3 + n("system") + n("You track parcels.")
    expected += 3 + n("user") + n("Where is A1?") + n("ann") + 1
    expected += 3 + n("assistant") + n("track") + n('{"parcel": "A1"}')
    expected += 3 + n("tool") + n('{"at": "depot"}')
    expected += 3 + n("assistant") + n("At the depot.")
    expected += n(json.dumps([tool], separators=(",", ":")))
    assert counter_for(None).count_example(messages, [tool]) == expected


def test_validator_totals_match_independent_counts(write: Writer) -> None:
    examples = [chat(user=f"Question {i}?", reply=f"Answer {i}.") for i in range(12)]
    path = write(examples)
    report = validate_dataset(path)
    expected = sum(
        3 + sum(3 + n(m["role"]) + n(m["content"]) for m in example["messages"])
        for example in examples
    )
    assert report.tokens.total == expected and report.tokens.exact
    replies = [n(f"Answer {i}.") for i in range(12)]
    assert report.stats.tokens_per_assistant_reply is not None
    assert report.stats.tokens_per_assistant_reply.max == max(replies)
    assert report.stats.mean_completion_tokens == pytest.approx(sum(replies) / 12)
    assert report.stats.mean_prompt_tokens == pytest.approx((expected - sum(replies)) / 12)


def test_preference_examples_count_both_training_sequences(write: Writer) -> None:
    examples = [preference(i) for i in range(10)]
    report = validate_dataset(write(examples))
    assert report.format == "preference" and report.usable

    def sequence(example: dict[str, Any], output: str) -> int:
        messages = [*example["input"]["messages"], *example[output]]
        return 3 + sum(3 + n(m["role"]) + n(m["content"]) for m in messages)

    expected = sum(sequence(e, "preferred_output") + sequence(e, "non_preferred_output")
                   for e in examples)
    assert report.tokens.total == expected


def test_over_long_examples_are_truncated_in_the_billable_count(write: Writer) -> None:
    long_reply = "word " * 400
    examples = [chat(reply=long_reply), *[chat(user=f"q{i}", reply="Fine.") for i in range(10)]]
    report = validate_dataset(write(examples), max_example_tokens=100)
    long_tokens = counter_for(None).count_example(examples[0]["messages"])
    short = sum(counter_for(None).count_example(e["messages"]) for e in examples[1:])
    assert report.tokens.truncated_examples == 1
    assert report.tokens.tokens_cut == long_tokens - 100
    assert report.tokens.total == 100 + short and report.tokens.max_example_tokens == 100
    assert report.warnings["over_context_limit"].lines == [1]
    assert report.stats.tokens_per_example is not None
    assert report.stats.tokens_per_example.max == long_tokens


@pytest.mark.parametrize(("model", "encoding"), [
    (None, "o200k_base"), ("gpt-4o", "o200k_base"), ("gpt-4o-mini-2024-07-18", "o200k_base"),
    ("gpt-4.1-nano", "o200k_base"), ("o1-mini", "o200k_base"), ("o3", "o200k_base"),
    ("o4-mini", "o200k_base"), ("gpt-5", "o200k_base"), ("GPT-4.5-preview", "o200k_base"),
    ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"),
    ("gpt-4", "cl100k_base"), ("gpt-4-turbo", "cl100k_base"), ("gpt-4-0613", "cl100k_base"),
    ("gpt-3.5-turbo-0125", "cl100k_base"), ("ft:gpt-3.5-turbo:acme::x", "cl100k_base"),
    ("davinci-002", "cl100k_base"), ("llama-3-8b", None), ("o10", None), ("gpt-40", None),
])
def test_encoding_of_model_names(model: str | None, encoding: str | None) -> None:
    assert openai_encoding(model) == encoding


def test_an_unknown_model_falls_back_to_an_estimate(write: Writer) -> None:
    counter = counter_for("no-such-org/no-such-model")
    assert counter.encoding == "o200k_base" and not counter.exact
    report = validate_dataset(write([chat()]), model="no-such-org/no-such-model", min_examples=1)
    assert not report.tokens.exact
    assert "ESTIMATE" in render_report(report)


def test_the_cache_computes_each_distinct_text_once() -> None:
    calls: list[str] = []

    def compute(text: str) -> int:
        calls.append(text)
        return len(text)

    cache = LruCache(compute, max_entries=3, max_chars=1_000)
    for text in ["system prompt", "a", "system prompt", "b", "system prompt", "c", "d"]:
        cache(text)
    assert calls == ["system prompt", "a", "b", "c", "d"]  # "a" was evicted first
    cache("system prompt")
    assert calls[-1] == "d"  # recently used: still cached
    cache("a")
    assert calls[-1] == "a"


def test_the_cache_is_bounded_by_characters() -> None:
    cache = LruCache(len, max_entries=100, max_chars=6_400)
    for i in range(100):
        cache(f"{i:03d}" + "x" * 97)
    assert sum(map(len, cache._data)) <= 6_400 and len(cache._data) == 64
    cache("y" * 101)  # over max_chars // 64: counted, not kept
    assert "y" * 101 not in cache._data


def test_lone_surrogates_do_not_crash() -> None:
    assert counter_for(None).count_text("a\udc80b") == n("a\ufffdb")


# ---- a local Hugging Face tokenizer -------------------------------------------------

TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'tool' %}{{ raise_exception('tool messages are not supported') }}"
    "{% endif %}<s>{{ m['role'] }} {{ m['content'] }}</s>{% endfor %}"
)


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    model = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    model.pre_tokenizer = pre_tokenizers.Whitespace()
    model.train_from_iterator(
        ["hello world how are you", "system user assistant tool fine thanks"],
        trainers.WordLevelTrainer(special_tokens=["[UNK]", "<s>", "</s>"]),
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=model, unk_token="[UNK]",
                                   bos_token="<s>", eos_token="</s>")
    fast.chat_template = TEMPLATE
    folder = tmp_path_factory.mktemp("tiny-tokenizer")
    fast.save_pretrained(folder)
    return folder


def test_a_local_tokenizer_counts_its_chat_template(hf_folder: Path, write: Writer) -> None:
    counter = counter_for(tokenizer=hf_folder)
    assert counter.encoding == f"hf:{hf_folder}" and counter.exact and counter.chat_template
    messages = [{"role": "user", "content": "hello world"},
                {"role": "assistant", "content": "how are you"}]
    # <s> user hello world </s> <s> assistant how are you </s>
    assert counter.count_example(messages) == 11
    assert counter.count_text("hello world how") == 3

    path = write([{"messages": messages}] * 2 + [
        {"messages": [{"role": "user", "content": "fine thanks"},
                      {"role": "assistant", "content": "hello"}]}])
    report = validate_dataset(path, tokenizer=hf_folder, min_examples=1)
    assert report.tokens.encoding == f"hf:{hf_folder}" and report.tokens.exact
    assert report.tokens.total == 11 + 11 + 9 and report.usable


def test_a_template_that_refuses_an_example_is_a_blocking_error(
    hf_folder: Path, write: Writer
) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    refused = {"messages": [{"role": "user", "content": "hello"},
                            {"role": "assistant", "tool_calls": [call]},
                            {"role": "tool", "tool_call_id": "c1", "content": "fine"},
                            {"role": "assistant", "content": "thanks"}]}
    path = write([chat(system=None), refused])
    report = validate_dataset(path, tokenizer=hf_folder, min_examples=1)
    assert report.errors["chat_template_error"].lines == [2]
    assert report.invalid_examples == 1


def test_a_tokenizer_folder_that_cannot_be_used_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot use the tokenizer"):
        counter_for(tokenizer=tmp_path / "missing")
