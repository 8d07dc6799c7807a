"""Encoding and decoding of wire messages: one JSON object per WebSocket text frame.

Every message is a flat JSON object::

    {"v": 1, "type": "join", "rid": 7, ...fields of the message...}

``v`` is the protocol version, ``type`` names the message, ``rid`` (optional) is a
request id chosen by the client and echoed by the server on the reply or error.
Decoding validates every field against the message's dataclass annotations, so
the rest of the code only ever sees well-typed values.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import re
import types
import typing
from typing import Any, Union

from .errors import ErrorCode, ProtocolError
from .limits import MAX_JSON_DEPTH, MAX_MESSAGE_BYTES, PROTOCOL_VERSION
from .messages import MESSAGE_TYPES, Message

_ENVELOPE_KEYS = frozenset({"v", "type", "rid"})


def encode(message: Message, rid: int | None = None) -> str:
    """Serialise a message to the JSON text sent on the WebSocket."""
    body: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": message.TYPE}
    if rid is not None:
        body["rid"] = rid
    body.update(to_dict(message))
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def decode(text: str | bytes) -> tuple[Message, int | None]:
    """Parse and validate one received message; returns it with its request id.

    Raises :class:`ProtocolError` with a stable code for anything malformed.
    """
    size = (len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) and len(text) * 4 > MAX_MESSAGE_BYTES
            else len(text))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"message of {size} bytes exceeds the limit of {MAX_MESSAGE_BYTES}",
        )
    body = load_object(text, "a message")
    rid = body.get("rid")
    if rid is not None and (not isinstance(rid, int) or isinstance(rid, bool)):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "rid must be an integer")
    version = body.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:  # true and 1.0 are not 1
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"protocol version {version!r} is not supported (expected {PROTOCOL_VERSION})",
            rid=rid,
        )
    kind = body.get("type")
    cls = MESSAGE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}", rid=rid)
    fields = {k: v for k, v in body.items() if k not in _ENVELOPE_KEYS}
    try:
        return from_dict(cls, fields), rid
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.message, rid=rid) from None


def load_object(text: str | bytes, what: str) -> dict[str, Any]:
    """Parse JSON that must be an object (a message, a request body); ``bad_request`` if not.

    Also refused: nesting deeper than ``MAX_JSON_DEPTH``, and strings holding a lone surrogate
    (``"\\ud800"``), which no UTF-8 text can carry (SQLite and the socket would fail on it).
    """
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{what} is not valid JSON: {exc}") from None
    except RecursionError:  # the parser's own stack: far deeper than MAX_JSON_DEPTH
        raise ProtocolError(ErrorCode.BAD_REQUEST, _too_deep(what)) from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{what} must be a JSON object")
    _check_values(data, what)
    return data


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _too_deep(what: str) -> str:
    return f"{what} nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"


def _check_values(data: dict[str, Any], what: str) -> None:
    """Refuse what JSON allows but nothing downstream can hold (see ``load_object``)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _LONE_SURROGATE.search(value):
                raise ProtocolError(
                    ErrorCode.BAD_REQUEST,
                    f"{what} holds a string with a lone surrogate ({_first_surrogate(value)}), "
                    "which is not valid Unicode",
                )
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ProtocolError(ErrorCode.BAD_REQUEST, _too_deep(what))
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)


def _first_surrogate(value: str) -> str:
    match = _LONE_SURROGATE.search(value)
    return f"\\u{ord(match.group()):04x}" if match else "?"


def to_dict(value: Any) -> Any:
    """Turn a message or value dataclass into plain JSON-able data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_dict(v) for v in value]
    if isinstance(value, dict):
        return {k: to_dict(v) for k, v in value.items()}
    return value


def from_dict(cls: type, data: Any, path: str = "") -> Any:
    """Build dataclass ``cls`` from JSON data, checking every field's type."""
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{path or cls.__name__} must be an object")
    hints, fields, known = _shape(cls)
    unknown = data.keys() - known
    if unknown:
        name = path or getattr(cls, "TYPE", cls.__name__)
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"unknown field(s) {sorted(unknown)} in {name}")
    kwargs = {}
    for f in fields:
        where = f"{path}.{f.name}" if path else f.name
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name], where)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"missing field {where!r}")
    try:
        return cls(**kwargs)
    except ValueError as exc:  # __post_init__ validation
        raise ProtocolError(ErrorCode.BAD_REQUEST, str(exc)) from None


@functools.lru_cache(maxsize=1024)
def _shape(cls: type) -> tuple[dict[str, Any], tuple[dataclasses.Field, ...], frozenset[str]]:
    """A dataclass's resolved annotations, its init fields and their names: worked out once per
    class (``typing.get_type_hints`` evaluates every annotation string each time it is called,
    which cost the meeting-rules tick most of its time)."""
    fields = tuple(f for f in dataclasses.fields(cls) if f.init)
    return typing.get_type_hints(cls), fields, frozenset(f.name for f in fields)


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, where)
            except ProtocolError as exc:
                errors.append(exc.message)
        raise ProtocolError(ErrorCode.BAD_REQUEST, errors[0] if errors else f"bad value for {where}")
    if origin in (list, tuple):
        (item,) = typing.get_args(tp)[:1]
        if not isinstance(value, list):
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where} must be a list")
        converted = [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(converted) if origin is tuple else converted
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            raise ProtocolError(
                ErrorCode.BAD_REQUEST, f"{where} must be one of {list(typing.get_args(tp))}"
            )
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            raise ProtocolError(
                ErrorCode.BAD_REQUEST, f"{where} must be one of {[member.value for member in tp]}"
            ) from None
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where} must be true or false")
        return value
    if tp is int:
        # A number without a fraction is an integer, however it is written (5 or 5.0), as in
        # JSON Schema and for clients whose JSON has one number type; a boolean never is.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where} must be an integer")
        return value
    if tp is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where} must be a number")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where} must be a string")
        return value
    if tp is Any:
        return value
    raise TypeError(f"wire codec cannot convert to {tp!r}")  # a programming error
