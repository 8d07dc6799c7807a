"""JSON Schema from annotated dataclasses (server/schema.py), the REST contract's one source:
what a body may omit, what a reply always holds, what an override may say."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import pytest

from server.schema import INPUT, OUTPUT, Override, Schema, Schemas, Shape
from wire import from_dict


@dataclass(frozen=True)
class Window:
    SCHEMA: ClassVar[Schema] = Schema(name="Window", description="When a room is booked.")

    start: Annotated[int, Schema(minimum=0)]
    minutes: Annotated[int | None, Schema(minimum=1)] = None


@dataclass(frozen=True)
class Booking:
    room: str
    window: Window
    note: str = "none"


@dataclass(frozen=True)
class Change:
    window: Annotated[Any, Shape(Override[Window] | None)] = None


def test_a_body_requires_the_fields_without_a_default() -> None:
    schemas = Schemas()
    assert schemas.of(Booking, INPUT) == {"$ref": "#/components/schemas/Booking"}
    booking = schemas.components["Booking"]
    assert booking["required"] == ["room", "window"]
    assert booking["additionalProperties"] is False
    assert booking["properties"]["note"] == {"type": "string", "default": "none"}
    window = schemas.components["Window"]
    assert window["required"] == ["start"]
    assert window["description"] == "When a room is booked."
    assert window["properties"]["minutes"] == {"type": ["integer", "null"], "minimum": 1}
    # what the schema requires is what the codec refuses to do without
    from_dict(Booking, {"room": "Lovelace", "window": {"start": 0}})


def test_a_reply_holds_every_field() -> None:
    schemas = Schemas()
    schemas.of(list[Booking], OUTPUT)
    assert schemas.components["Booking"]["required"] == ["room", "window", "note"]
    assert schemas.components["Window"]["required"] == ["start", "minutes"]
    assert "default" not in schemas.components["Booking"]["properties"]["note"]


def test_an_override_may_say_any_field_or_none() -> None:
    schemas = Schemas()
    schemas.of(Change)
    assert schemas.components["Change"]["properties"]["window"] == {
        "oneOf": [{"$ref": "#/components/schemas/WindowOverride"}, {"type": "null"}]}
    override = schemas.components["WindowOverride"]
    assert "required" not in override
    assert override["properties"]["start"] == {"type": "integer", "minimum": 0}


def test_one_class_in_two_forms_is_refused() -> None:
    """A class with defaults reads differently as a body and as a reply: it cannot be both
    under one name."""
    schemas = Schemas()
    schemas.of(Booking, INPUT)
    with pytest.raises(TypeError, match="Booking"):
        schemas.of(Booking, OUTPUT)
