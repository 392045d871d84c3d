"""Token counts of fine-tuning examples, exact for the tokenizer that will train on them.

`counter_for(model, tokenizer)` picks the counter:

- OpenAI models: gpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1*/o3*/o4*, chatgpt-4o* (and
  `ft:` models built on them) count with o200k_base; gpt-4 / gpt-4-turbo / gpt-3.5* /
  davinci-002 / babbage-002 with cl100k_base; no model at all means o200k_base. Examples
  are framed as OpenAI documents it (the constants below).
- `tokenizer=PATH`, a local Hugging Face tokenizer folder: the example is the length of
  its chat template applied to the messages (exact for LoRA training on that model).
- any other model name: the Hugging Face cache (`local_files_only`, never the network);
  if that fails, o200k_base with `exact=False` (an estimate).

Counts are cached per distinct string (system prompts and tool definitions repeat in
every example), so no text is tokenized twice while it is in the bounded cache.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.machinery
import importlib.util
import re
import sys
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import orjson

from bot.errors import InputError

# OpenAI's documented chat framing (openai-cookbook, "How to count tokens with
# tiktoken"): every message costs 3 tokens on top of its role and content, a `name`
# one more on top of its own tokens, and every example 3 for the primer of the reply.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
TOKENS_PER_REPLY = 3

DEFAULT_ENCODING = "o200k_base"
CACHE_ENTRIES = 50_000
CACHE_CHARS = 2_000_000  # bounds the memory the cached keys hold (~2-8 MB)

_O200K_MODELS = re.compile(r"(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|chatgpt-4o|o[134](?![0-9a-z]))")
_CL100K_MODELS = re.compile(r"(gpt-4(?![0-9a-z.])|gpt-3\.5|davinci-002|babbage-002)")

V = TypeVar("V")


class TokenCounter(Protocol):
    """Counts tokens of texts and of whole examples for one tokenizer."""

    encoding: str  # "o200k_base", "cl100k_base" or "hf:<path or model name>"
    exact: bool  # False when the model's own tokenizer was not available
    chat_template: bool  # True: examples count through a chat template, not `frame`

    def count_text(self, text: str) -> int:
        """Tokens of `text` alone, without any framing (cached)."""
        ...

    def count_uncached(self, text: str) -> int:
        """The same, for callers that keep their own cache of texts."""
        ...

    def count_example(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Any] | None = None,
        functions: Sequence[Any] | None = None,
    ) -> int:
        """Tokens of one training sequence: framed messages plus tool definitions."""
        ...


class LruCache(Generic[V]):
    """`compute(text)` remembered for the most recently used texts; bounded in entries
    and in cached characters. Values must never be None."""

    def __init__(
        self,
        compute: Callable[[str], V],
        max_entries: int = CACHE_ENTRIES,
        max_chars: int = CACHE_CHARS,
    ) -> None:
        self._compute = compute
        self._data: OrderedDict[str, V] = OrderedDict()
        self._max_entries = max_entries
        self._max_chars = max_chars
        self._chars = 0

    def __call__(self, text: str) -> V:
        data = self._data
        value = data.get(text)
        if value is not None:
            data.move_to_end(text)
            return value
        value = self._compute(text)
        if len(text) <= self._max_chars // 64:  # a huge one-off text would evict everything
            data[text] = value
            self._chars += len(text)
            while len(data) > self._max_entries or self._chars > self._max_chars:
                old, _ = data.popitem(last=False)
                self._chars -= len(old)
        return value


def frame(
    messages: Sequence[Mapping[str, Any]], text_tokens: int, count: Callable[[str], int]
) -> int:
    """OpenAI's framing around `messages`, whose texts (see `message_tokens`) and tool
    definitions hold `text_tokens` tokens."""
    total = TOKENS_PER_REPLY + text_tokens
    for message in messages:
        total += TOKENS_PER_MESSAGE + count(message["role"])
        name = message.get("name")
        if isinstance(name, str) and name:
            total += count(name) + TOKENS_PER_NAME
    return total


def message_tokens(count: Callable[[str], int], message: Mapping[str, Any]) -> int:
    """Tokens of a message's texts: content (text parts only; images are not counted),
    refusal, and the function name and arguments of each tool or function call."""
    total = 0
    content = message.get("content")
    if isinstance(content, str):
        total += count(content)
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                total += count(part["text"])
    refusal = message.get("refusal")
    if isinstance(refusal, str):
        total += count(refusal)
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        for call in calls:
            if isinstance(call, dict):
                total += _call_tokens(count, call.get("function"))
    return total + _call_tokens(count, message.get("function_call"))


def _call_tokens(count: Callable[[str], int], call: object) -> int:
    if not isinstance(call, dict):
        return 0
    return sum(count(call[key]) for key in ("name", "arguments") if isinstance(call.get(key), str))


class BpeCounter:
    """An OpenAI encoding (bpe-openai's Rust tokenizer) with OpenAI's chat framing."""

    chat_template = False

    def __init__(self, encoding: str, *, exact: bool = True) -> None:
        self.encoding = encoding
        self.exact = exact
        self.count_uncached = _bpe_count(encoding)
        self.count_text = LruCache(self.count_uncached)

    def count_example(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Any] | None = None,
        functions: Sequence[Any] | None = None,
    ) -> int:
        count = self.count_text
        texts = sum(message_tokens(count, message) for message in messages)
        for definitions in (tools, functions):
            if definitions:
                texts += count(orjson.dumps(definitions).decode())
        return frame(messages, texts, count)


class HfCounter:
    """A local Hugging Face tokenizer: an example is its chat template, tokenized."""

    exact = True
    chat_template = True

    def __init__(self, tokenizer: Any, name: str) -> None:
        self.encoding = f"hf:{name}"
        self._tokenizer = tokenizer
        self.count_text = LruCache(self.count_uncached)

    def count_uncached(self, text: str) -> int:
        return len(self._tokenizer.encode(_clean(text), add_special_tokens=False))

    def count_example(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Any] | None = None,
        functions: Sequence[Any] | None = None,
    ) -> int:
        ids = self._tokenizer.apply_chat_template(  # templates know tools, not `functions`
            [_hf_message(message) for message in messages],
            tools=list(tools) if tools else None,
            tokenize=True,
            return_dict=False,
        )
        return len(ids)


def _hf_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """Chat templates expect tool-call arguments as objects, OpenAI files hold JSON text."""
    calls = message.get("tool_calls")
    if not isinstance(calls, list):
        return dict(message)
    parsed = []
    for call in calls:
        function = dict(call.get("function") or {})
        with contextlib.suppress(orjson.JSONDecodeError):
            function["arguments"] = orjson.loads(function.get("arguments") or "{}")
        parsed.append({**call, "function": function})
    return {**message, "tool_calls": parsed}


def openai_encoding(model: str | None) -> str | None:
    """The OpenAI encoding of a model name (None for a model OpenAI does not make)."""
    if model is None:
        return DEFAULT_ENCODING
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    if _O200K_MODELS.match(name):
        return "o200k_base"
    if _CL100K_MODELS.match(name):
        return "cl100k_base"
    return None


def counter_for(model: str | None = None, tokenizer: Path | None = None) -> TokenCounter:
    """The counter for a model name or a local tokenizer folder (rules in the module
    doc), shared by every caller asking for the same tokenizer. Raises `InputError`
    when an explicit tokenizer folder cannot be used."""
    if tokenizer is not None:
        return _folder_counter(str(tokenizer))
    encoding = openai_encoding(model)
    if encoding is not None:
        return _bpe_counter(encoding, exact=True)
    return _named_counter(str(model))


@functools.lru_cache(maxsize=4)
def _bpe_counter(encoding: str, *, exact: bool) -> BpeCounter:
    return BpeCounter(encoding, exact=exact)


@functools.lru_cache(maxsize=4)
def _folder_counter(folder: str) -> HfCounter:
    try:
        return _hf_counter(folder)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"Cannot use the tokenizer in {folder}: {reason}. Point --tokenizer at "
            "a local Hugging Face tokenizer folder that has a chat template."
        ) from exc


@functools.lru_cache(maxsize=4)
def _named_counter(model: str) -> TokenCounter:
    try:
        return _hf_counter(model)
    except Exception:  # not in the local cache: estimate with the newest OpenAI encoding
        return _bpe_counter(DEFAULT_ENCODING, exact=False)


def _hf_counter(name: str) -> HfCounter:
    from transformers import AutoTokenizer  # heavy: only when a local tokenizer is used

    tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=True)
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("it has no chat template")
    return HfCounter(tokenizer, name)


def _clean(text: str) -> str:
    """Lone surrogates cannot be encoded; the tokenizers see U+FFFD instead."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


@functools.cache  # one Rust tokenizer (~40 MB) per encoding per process
def _bpe_count(encoding: str) -> Callable[[str], int]:
    """The Rust `count` of bpe-openai for an encoding.

    `import bpe_openai` decodes all three vocabularies into Python dicts (~65 MB and
    0.5 s per process) that counting never uses, so load its Rust extension directly;
    if the package layout changes, fall back to the public API."""
    try:
        count: Callable[[str], int] = _bpe_bindings().tokenizer_for_encoding(encoding).count
    except Exception:
        import bpe_openai

        public = bpe_openai.get_encoding(encoding)
        piece = 100_000  # the public API refuses very long texts; count those in pieces

        def count(text: str) -> int:
            return sum(
                len(public.encode_ordinary(text[start : start + piece]))
                for start in range(0, len(text), piece)
            )

    def safe_count(text: str) -> int:
        try:
            return count(text)
        except UnicodeEncodeError:
            return count(_clean(text))

    return safe_count


def _bpe_bindings() -> Any:
    loaded = sys.modules.get("bpe_openai._bindings")
    if loaded is not None:
        return loaded
    package = importlib.util.find_spec("bpe_openai")
    if package is None or not package.submodule_search_locations:
        raise ImportError("bpe_openai is not installed")
    folder = Path(next(iter(package.submodule_search_locations)))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        spec = importlib.util.spec_from_file_location(
            "bpe_openai._bindings", folder / f"_bindings{suffix}"
        )
        if spec is not None and spec.loader is not None and Path(str(spec.origin)).is_file():
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise ImportError("bpe_openai's Rust extension was not found")
