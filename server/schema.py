"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) from dataclass annotations.

The REST contract is written once, as Python types: request bodies are dataclasses that
``wire.from_dict`` reads, replies are dataclasses that ``wire.to_dict`` writes, and what their
annotations cannot say by themselves (a limit, a pattern, a description) rides along in
``typing.Annotated``, which ``typing.get_type_hints`` (and with it the codec) leaves out::

    name: Annotated[str, Schema(minLength=1, maxLength=MAX_NAME_CHARS)]
    settings: Annotated[Any, Shape(Override[MeetingSettings] | None)] = None

Markers:

* :class:`Schema`: JSON Schema keywords laid over the type's own schema. With ``name`` the
  result is a named component (``#/components/schemas/NAME``). A dataclass may carry one as
  its ``SCHEMA`` class variable (its component name and keywords), and one as ``OVERRIDE`` for
  its ``Override`` form (keywords only: that component is named ``NAME + "Override"``).
* :class:`Shape`: for a field the handler validates itself (typed ``Any`` or ``dict``): the
  type whose JSON it holds.
* ``Override[T]``: the JSON of dataclass ``T`` with every field optional, nested dataclasses
  likewise (their own markers left out): what is laid key by key over a ``T`` (a settings
  override).

A dataclass has two JSON forms. Its *input* form is what ``wire.from_dict`` accepts: the fields
without a default are required. Its *output* form is what ``wire.to_dict`` writes: every field
is there. Request bodies and ``Shape`` use the input form, reply fields the output form. Every
dataclass object refuses unknown fields (``additionalProperties: false``), as the codec does.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from typing import Annotated, Any, Generic, Literal, TypeVar, Union

T = TypeVar("T")

INPUT = "input"
OUTPUT = "output"


class Schema:
    """JSON Schema keywords for a type (``Annotated[int, Schema(minimum=1)]``); ``name`` makes
    the result a named component."""

    def __init__(self, name: str | None = None, **keywords: Any) -> None:
        self.name = name
        self.keywords = keywords


class Shape:
    """The type whose JSON a loosely typed field holds (its handler validates it)."""

    def __init__(self, of: Any) -> None:
        self.of = of


class Override(Generic[T]):
    """``Override[T]``, in a :class:`Shape`: dataclass ``T`` with every field optional."""


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null`` (the OpenAPI 3.1 / JSON Schema 2020-12 spelling)."""
    if "$ref" in schema or "type" not in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    schema = dict(schema)
    kind = schema["type"]
    schema["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def schema_name(cls: type) -> str:
    """A dataclass's or enum's component name: its ``SCHEMA.name``, else its class name."""
    own = getattr(cls, "SCHEMA", None)
    return own.name if isinstance(own, Schema) and own.name else cls.__name__


class Schemas:
    """Turns types into JSON schemas, collecting the named ones in ``components``."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}
        self._sources: dict[str, object] = {}

    def of(self, tp: Any, form: str = INPUT) -> dict[str, Any]:
        """The schema of ``tp``: a ``$ref`` for named components, else inline."""
        origin = typing.get_origin(tp)
        if origin is Annotated:
            base, *markers = typing.get_args(tp)
            return self._annotated(base, markers, form)
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            inner = self.of(args[0], form) if len(args) == 1 else {"anyOf": [self.of(a, form) for a in args]}
            return nullable(inner) if len(args) < len(typing.get_args(tp)) else inner
        if origin in (list, tuple):
            return {"type": "array", "items": self.of(typing.get_args(tp)[0], form)}
        if origin is dict:
            key, value = typing.get_args(tp)
            if key is not str:
                raise TypeError(f"JSON object keys are strings, not {key!r}")
            return {"type": "object", "additionalProperties": self.of(value, form)}
        if origin is Literal:
            return {"type": "string", "enum": list(typing.get_args(tp))}
        if origin is Override:
            (cls,) = typing.get_args(tp)
            return self._dataclass(cls, form=INPUT, partial=True)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self._named(schema_name(tp), tp, lambda: {"type": "string", "enum": [m.value for m in tp]})
        if dataclasses.is_dataclass(tp):
            return self._dataclass(tp, form=form, partial=False)
        if tp is Any:
            return {}
        simple = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object"}
        if tp in simple:
            return {"type": simple[tp]}
        raise TypeError(f"no JSON schema for {tp!r}")

    def _annotated(self, base: Any, markers: list[Any], form: str) -> dict[str, Any]:
        shapes = [m for m in markers if isinstance(m, Shape)]
        schema = self.of(shapes[-1].of, INPUT) if shapes else self.of(base, form)
        for marker in markers:
            if isinstance(marker, Schema):
                schema = {**schema, **marker.keywords}
                if marker.name:
                    schema = self._named(marker.name, marker, lambda schema=schema: schema)
        return schema

    def _dataclass(self, cls: type, *, form: str, partial: bool) -> dict[str, Any]:
        fields = [f for f in dataclasses.fields(cls) if f.init]
        name = schema_name(cls) + ("Override" if partial else "")
        # Both forms are the same when no field has a default; else one class may only be
        # used in one form, or two different schemas would claim its name (refused).
        same = partial or not any(_has_default(f) for f in fields)
        source = (cls, "partial" if partial else None if same else form)
        return self._named(name, source, lambda: self._object(cls, fields, form, partial))

    def _object(self, cls: type, fields: list[dataclasses.Field], form: str, partial: bool) -> dict[str, Any]:
        hints = typing.get_type_hints(cls, include_extras=True)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f in fields:
            tp = Override[_strip(hints[f.name])] if partial and dataclasses.is_dataclass(_strip(hints[f.name])) \
                else hints[f.name]
            schema = dict(self.of(tp, form))
            if not partial and form == INPUT and f.default not in (dataclasses.MISSING, None):
                schema["default"] = f.default
            properties[f.name] = schema
            if not partial and (form == OUTPUT or not _has_default(f)):
                required.append(f.name)
        schema: dict[str, Any] = {"type": "object", "additionalProperties": False}
        if required:
            schema["required"] = required
        schema["properties"] = properties
        own = getattr(cls, "OVERRIDE" if partial else "SCHEMA", None)
        if isinstance(own, Schema):
            schema.update(own.keywords)
        return schema

    def _named(self, name: str, source: object, build) -> dict[str, Any]:
        """Register ``build()`` as component ``name`` (once) and refer to it."""
        known = self._sources.get(name)
        if known is None:
            self._sources[name] = source
            self.components[name] = {}  # taken before it is built: a type may refer to itself
            self.components[name] = build()
        elif known is not source and known != source:
            raise TypeError(f"two different schemas are both named {name!r}")
        return ref(name)


def _has_default(f: dataclasses.Field) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _strip(tp: Any) -> Any:
    """``tp`` without ``Annotated`` and ``| None``: the dataclass a field holds, if any."""
    if typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp
