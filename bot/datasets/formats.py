"""Format detection and per-example checks for OpenAI fine-tuning JSONL.

Two formats:

- chat: `{"messages": [...], "tools"?, "parallel_tool_calls"?, "functions"?}`; roles
  system, developer (treated like system), user, assistant, tool, and the legacy
  function role; message keys role, content, name, tool_calls, tool_call_id, weight,
  function_call, refusal. Content is a non-empty string or a non-empty list of
  `{"type": "text", "text": ...}` parts (user messages may also hold `image_url`
  parts, whose tokens are not counted). An assistant message may have no content when
  it has tool_calls, a function_call or a refusal; `weight` (0 or 1) only on assistant
  messages. The last message must be the assistant's.
- preference (DPO): `{"input": {"messages": [...], "tools"?, "parallel_tool_calls"?},
  "preferred_output": [assistant message], "non_preferred_output": [assistant message]}`.

`check_example` returns the blocking error and warning categories of one parsed
object; `TextChecks` looks at each distinct text once (special tokens, personal data,
and the digest of its normalised form used to find near duplicates).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from bot.datasets.tokens import LruCache

Format = Literal["chat", "preference", "unknown"]

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_PLAIN_ROLES = frozenset({"system", "developer", "user", "assistant"})
SYSTEM_ROLES = frozenset({"system", "developer"})
MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "tool_calls", "tool_call_id", "weight", "function_call", "refusal"}
)
CHAT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
PREFERENCE_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})
CALL_KEYS = frozenset({"id", "type", "function"})
TAGS = {  # what a text is, in near-duplicate keys
    name: name.encode() + b"\x00"
    for name in (*ROLES, "tools", "functions", "call", "preferred_output", "non_preferred_output")
}
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

SPECIAL_TOKENS = 1  # flag bits of `TextChecks`
PERSONAL_DATA = 2
_SPECIAL = re.compile(r"<\|[A-Za-z0-9_]+(?:[.:-][A-Za-z0-9_]+)*\|>|<(?:start|end)_of_turn>")
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w-])"
)
_PLACEHOLDER_DOMAIN = re.compile(
    r"(?:.*\.)?(?:example\.(?:com|org|net)|[^.]+\.(?:example|test|invalid|localhost))", re.I
)
_PHONE_NANP = re.compile(
    r"(?<![\w+.-])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|\.\d)"
)
_PHONE_INTL = re.compile(  # atomic: a long digit run must not backtrack through its splits
    r"(?<![\w+.-])\+[1-9]\d{0,2}(?>(?:[ .-]?\(?\d{1,5}\)?){1,6})(?![\w-]|\.\d)"
)
_DIGIT = re.compile(r"\d")

# Near-duplicate normalisation: casefold, then drop ASCII punctuation, the common
# typographic marks (curly quotes, en/em dashes, ellipsis) and all whitespace (no-break,
# thin and ideographic spaces too). Dropping whitespace rather than collapsing it is
# coarser ("log in" matches "login") and much faster. Works on UTF-8 bytes.
_TYPOGRAPHIC = re.compile(rb"\xe2\x80[\x89\x93\x94\x98\x99\x9c\x9d\xa6\xaf]")
_WIDE_SPACES = (b"\xc2\xa0", b"\xe3\x80\x80")
_ASCII_DROP = bytes(b for b in range(128) if not chr(b).isalnum() and chr(b) != "_")
# Phone numbers always hold "ddd?dddd" (? one of " .-") or a "+": a quick pre-check.
_SHAPE_TABLE = bytes.maketrans(b"0123456789 .-", b"0000000000---")


def normalise(text: str) -> bytes:
    """UTF-8 of `text` casefolded, without punctuation and whitespace."""
    return _normalise(text, text.encode("utf-8", "replace"))


def _normalise(text: str, raw: bytes) -> bytes:
    if raw.isascii():
        return raw.lower().translate(None, _ASCII_DROP)
    folded = text.casefold().encode("utf-8", "replace")
    if b"\xe2\x80" in folded:
        folded = _TYPOGRAPHIC.sub(b"", folded)
    for space in _WIDE_SPACES:
        if space in folded:
            folded = folded.replace(space, b"")
    return folded.translate(None, _ASCII_DROP)


def digest(data: bytes) -> bytes:
    """The 8-byte hash used for exact and near duplicates."""
    return hashlib.blake2b(data, digest_size=8).digest()


def has_personal_data(text: str, raw: bytes | None = None) -> bool:
    """An email address (not a reserved example domain) or a phone number; `raw`
    is the text's UTF-8 when the caller has it."""
    raw = raw if raw is not None else text.encode("utf-8", "replace")
    if b"@" in raw:
        for match in _EMAIL.finditer(text):
            if not _PLACEHOLDER_DOMAIN.fullmatch(match.group(1)):
                return True
    if b"+" in raw:
        for match in _PHONE_INTL.finditer(text):
            if 8 <= len(_DIGIT.findall(match.group())) <= 15:
                return True
    return b"000-0000" in raw.translate(_SHAPE_TABLE) and _PHONE_NANP.search(text) is not None


def text_flags(text: str, raw: bytes) -> int:
    """SPECIAL_TOKENS and PERSONAL_DATA bits of a text (`raw` is its UTF-8)."""
    flags = 0
    if b"<" in raw and (b"<|" in raw or b"_of_turn>" in raw) and _SPECIAL.search(text):
        flags |= SPECIAL_TOKENS
    if has_personal_data(text, raw):
        flags |= PERSONAL_DATA
    return flags


class TextChecks:
    """`of(text)`: (tokens, flags, digest of the normalised text), once per distinct text."""

    def __init__(self, count: Callable[[str], int]) -> None:
        def analyse(text: str) -> tuple[int, int, bytes]:
            raw = text.encode("utf-8", "replace")
            return count(text), text_flags(text, raw), digest(_normalise(text, raw))

        self.of = LruCache(analyse)


@dataclass(slots=True)
class Checked:
    """One example after the structural checks."""

    errors: set[str] = field(default_factory=set)
    warnings: set[str] = field(default_factory=set)
    sequences: list[list[dict[str, Any]]] = field(default_factory=list)  # what trains
    tools: list[Any] | None = None
    functions: list[Any] | None = None
    # (tag, text, owner): tag says what the text is (`TAGS`); owner is the index in
    # `replies` of the reply it belongs to, -1 for the prompt and tool definitions.
    # Near duplicates share b"".join(tag + digest of the normalised text, ...).
    texts: list[tuple[bytes, str, int]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)  # the trained replies
    label: str | None = None  # the final reply, when it is plain text


def detect_format(objects: Iterable[object]) -> Format:
    """The format of the first object that names one."""
    for obj in objects:
        if isinstance(obj, dict):
            if "messages" in obj:
                return "chat"
            if not PREFERENCE_KEYS.isdisjoint(obj):
                return "preference"
    return "unknown"


def check_example(obj: dict[str, Any], fmt: Format) -> Checked:
    """Blocking errors and warnings of one parsed JSON object ("unknown" checks as chat)."""
    if fmt == "preference":
        return _check_preference(obj)
    return _check_chat(obj)


def _check_chat(obj: dict[str, Any]) -> Checked:
    out = Checked()
    if not CHAT_KEYS.issuperset(obj):
        out.errors.add("unknown_keys")
    _check_definitions(obj, out)
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        out.errors.add("missing_messages")
        return out
    _check_messages(messages, out, set(), prompt=False)
    last = messages[-1]
    if not out.replies:
        out.errors.add("no_assistant_message")
    elif not isinstance(last, dict) or last.get("role") != "assistant":
        out.errors.add("last_message_not_assistant")
    elif isinstance(last.get("content"), str) and not last.get("tool_calls"):
        out.label = last["content"]
    out.sequences = [messages]
    return out


def _check_preference(obj: dict[str, Any]) -> Checked:
    out = Checked()
    if not PREFERENCE_KEYS.issuperset(obj):
        out.errors.add("unknown_keys")
    call_ids: set[str] = set()
    messages: list[Any] = []
    prompt = obj.get("input")
    if not isinstance(prompt, dict):
        out.errors.add("missing_input")
    else:
        if not INPUT_KEYS.issuperset(prompt):
            out.errors.add("unknown_keys")
        _check_definitions(prompt, out)
        found = prompt.get("messages")
        if isinstance(found, list) and found:
            messages = found
            _check_messages(messages, out, call_ids, prompt=True)
        else:
            out.errors.add("missing_messages")
    outputs = []
    for key in ("preferred_output", "non_preferred_output"):
        output = obj.get(key)
        if output is None:
            out.errors.add(f"missing_{key}")
        elif (
            isinstance(output, list)
            and len(output) == 1
            and isinstance(output[0], dict)
            and output[0].get("role") == "assistant"
        ):
            _check_message(output[0], out, call_ids, TAGS[key], reply=True)
            outputs.append(output[0])
        else:
            out.errors.add("invalid_preference_output")
    if len(outputs) == 2:
        if _texts_of(out, 0) == _texts_of(out, 1):
            out.warnings.add("identical_preference_outputs")
        out.sequences = [[*messages, outputs[0]], [*messages, outputs[1]]]
    return out


def _texts_of(out: Checked, owner: int) -> list[str]:
    return [text for _, text, text_owner in out.texts if text_owner == owner]


def _compact_json(value: object) -> str | None:
    """orjson's compact JSON; None when nesting is too deep to encode."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return None


def _check_definitions(obj: dict[str, Any], out: Checked) -> None:
    """`tools`, legacy `functions` and `parallel_tool_calls`."""
    tools = obj.get("tools")
    if tools is not None:
        text = _compact_json(tools)
        if (
            isinstance(tools, list)
            and text is not None
            and all(
                isinstance(tool, dict)
                and tool.get("type") == "function"
                and _is_function_definition(tool.get("function"))
                for tool in tools
            )
        ):
            out.tools = tools or None
            if tools:
                out.texts.append((TAGS["tools"], text, -1))
        else:
            out.errors.add("invalid_tools")
    functions = obj.get("functions")
    if functions is not None:
        text = _compact_json(functions)
        if (
            isinstance(functions, list)
            and text is not None
            and all(map(_is_function_definition, functions))
        ):
            out.functions = functions or None
            if functions:
                out.texts.append((TAGS["functions"], text, -1))
        else:
            out.errors.add("invalid_tools")
    if "parallel_tool_calls" in obj and not isinstance(obj["parallel_tool_calls"], bool):
        out.errors.add("invalid_tools")


def _is_function_definition(function: object) -> bool:
    return (
        isinstance(function, dict)
        and isinstance(function.get("name"), str)
        and _NAME.fullmatch(function["name"]) is not None
        and isinstance(function.get("parameters", {}), dict)
    )


def _check_messages(messages: list[Any], out: Checked, call_ids: set[str], *, prompt: bool) -> None:
    """Chat messages, or (`prompt`) a preference input, whose replies are not trained."""
    has_system = has_user = False
    for message in messages:
        if not isinstance(message, dict):
            out.errors.add("invalid_message")
            continue
        role = _check_message(message, out, call_ids, None, reply=not prompt)
        has_system = has_system or role in SYSTEM_ROLES
        has_user = has_user or role == "user"
    if not has_system:
        out.warnings.add("missing_system_message")
    if not has_user:
        out.warnings.add("missing_user_message")


def _check_message(
    message: dict[str, Any], out: Checked, call_ids: set[str], tag: bytes | None, *, reply: bool
) -> str | None:
    """Checks one message object; returns its role when it is a known one. `tag` names
    its texts (default: the role); an assistant message is a trained reply if `reply`."""
    role, content = message.get("role"), message.get("content")
    if (  # the common case, {"role": ..., "content": "text"}, quickly
        len(message) == 2
        and type(content) is str
        and type(role) is str
        and role in _PLAIN_ROLES
        and content
        and not content.isspace()
    ):
        owner = -1
        if role == "assistant" and reply:
            owner = len(out.replies)
            out.replies.append(message)
        out.texts.append((tag or TAGS[role], content, owner))
        return role
    errors = out.errors
    if not MESSAGE_KEYS.issuperset(message):
        errors.add("unknown_keys")
    if not isinstance(role, str) or role not in ROLES:
        errors.add("unknown_role")
        return None
    tag = tag or TAGS[role]
    owner = -1
    if role == "assistant":
        if reply:
            owner = len(out.replies)
            out.replies.append(message)
        calls, function_call = message.get("tool_calls"), message.get("function_call")
        if calls is not None:
            _check_tool_calls(calls, out, call_ids, owner)
        if function_call is not None:
            if _is_call(function_call):
                out.texts.append((tag, function_call["name"], owner))
                out.texts.append((tag, function_call["arguments"], owner))
            else:
                errors.add("invalid_tool_calls")
        refusal = message.get("refusal")
        if refusal is not None and not isinstance(refusal, str):
            errors.add("invalid_content")
        elif refusal:
            out.texts.append((tag, refusal, owner))
        if content is None or content == "":
            if calls is None and function_call is None and not refusal:
                errors.add("invalid_content")
        else:
            _check_content(content, tag, owner, out, images=False)
        weight = message.get("weight", 1)
        if type(weight) is not int or weight not in (0, 1):
            errors.add("invalid_weight")
    else:
        _check_content(content, tag, owner, out, images=role == "user")
        if "weight" in message:
            errors.add("invalid_weight")
        if "refusal" in message:
            errors.add("invalid_content")
        if "tool_calls" in message or "function_call" in message:
            errors.add("invalid_tool_calls")
        call_id = message.get("tool_call_id")
        if role == "tool" and not (isinstance(call_id, str) and call_id in call_ids):
            errors.add("invalid_tool_calls")
        if role == "function" and "name" not in message:
            errors.add("invalid_name")
    if role != "tool" and "tool_call_id" in message:
        errors.add("invalid_tool_calls")
    if "name" in message:
        name = message["name"]
        if not isinstance(name, str) or _NAME.fullmatch(name) is None:
            errors.add("invalid_name")
    return role


def _check_content(content: object, tag: bytes, owner: int, out: Checked, *, images: bool) -> None:
    """A non-empty string, or a non-empty list of text (and, for users, image) parts."""
    if isinstance(content, str):
        if content and not content.isspace():
            out.texts.append((tag, content, owner))
            return
    elif isinstance(content, list) and content:
        for part in content:
            if not isinstance(part, dict):
                break
            kind = part.get("type")
            text = part.get("text")
            if kind == "text" and isinstance(text, str) and text and not text.isspace():
                out.texts.append((tag, text, owner))
            elif kind == "image_url" and images and isinstance(part.get("image_url"), dict):
                out.warnings.add("images_not_counted")
            else:
                break
        else:
            return
    out.errors.add("invalid_content")


def _check_tool_calls(calls: object, out: Checked, call_ids: set[str], owner: int) -> None:
    if not isinstance(calls, list) or not calls:
        out.errors.add("invalid_tool_calls")
        return
    for call in calls:
        if (
            isinstance(call, dict)
            and CALL_KEYS.issuperset(call)
            and call.get("type", "function") == "function"
            and isinstance(call.get("id"), str)
            and call["id"]
            and _is_call(call.get("function"))
        ):
            call_ids.add(call["id"])
            out.texts.append((TAGS["call"], call["function"]["name"], owner))
            out.texts.append((TAGS["call"], call["function"]["arguments"], owner))
        else:
            out.errors.add("invalid_tool_calls")


def _is_call(function: object) -> bool:
    """`{"name": ..., "arguments": "<JSON object>"}`."""
    if not (
        isinstance(function, dict)
        and isinstance(function.get("name"), str)
        and _NAME.fullmatch(function["name"])
        and isinstance(function.get("arguments"), str)
    ):
        return False
    try:
        return isinstance(orjson.loads(function["arguments"]), dict)
    except orjson.JSONDecodeError:
        return False
