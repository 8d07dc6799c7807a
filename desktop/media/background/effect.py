"""The background effect as the user chose it and the settings keep it, the pictures and the model
that come with Parley, and what the user is told when the effect cannot keep up or fails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...assets import asset_path, resource_roots
from ...translatable import QT_TRANSLATE_NOOP

__all__ = [
    "DEGRADED_MESSAGE", "FAILED_MESSAGE", "IMAGE_FAILED_MESSAGE", "NONE", "BackgroundEffect", "bundled_backgrounds",
    "default_model_path", "resolve_background_image",
]

MODEL_FILE = "models/selfie_segmentation_landscape.tflite"
BACKGROUNDS_DIR = "backgrounds"
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")

# what the user is told (the UI translates them with the context "Background")
DEGRADED_MESSAGE = QT_TRANSLATE_NOOP(
    "Background",
    "Your computer is busy, so the background effect updates less often. Your camera is not affected.")
FAILED_MESSAGE = QT_TRANSLATE_NOOP("Background",
                                   "The background effect stopped working; your camera is sent without it.")
IMAGE_FAILED_MESSAGE = QT_TRANSLATE_NOOP(
    "Background", "The background picture could not be read; your background is blurred instead.")


# -- the effect, as chosen and as kept in the settings -------------------------------------------


@dataclass(frozen=True)
class BackgroundEffect:
    """What to do with the background: nothing, blur it, or replace it with a picture.

    ``image`` (for "replace") is either the file name of a bundled background
    (``bundled_backgrounds()``, e.g. ``"warm-bokeh.jpg"``) or a path to the user's own picture.
    """

    kind: Literal["none", "blur", "replace"] = "none"
    strength: Literal["light", "strong"] = "strong"
    image: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("none", "blur", "replace"):
            raise ValueError(f"unknown background effect {self.kind!r}")
        if self.strength not in ("light", "strong"):
            raise ValueError(f"unknown blur strength {self.strength!r}")
        if self.kind == "replace" and not self.image:
            raise ValueError("a replacement background needs an image")

    @property
    def active(self) -> bool:
        return self.kind != "none"

    def to_setting(self) -> str:
        """``"none"``, ``"blur:light"``, ``"blur:strong"`` or ``"replace:<image>"``."""
        if self.kind == "blur":
            return f"blur:{self.strength}"
        if self.kind == "replace":
            return f"replace:{self.image}"
        return "none"

    @classmethod
    def from_setting(cls, value: object) -> BackgroundEffect:
        """The effect a settings string names; anything unknown or malformed is no effect."""
        if not isinstance(value, str):
            return NONE
        kind, _, rest = value.strip().partition(":")
        try:
            if kind == "blur":
                return cls("blur", rest or "strong")  # type: ignore[arg-type]
            if kind == "replace" and rest:
                return cls("replace", image=rest)
        except ValueError:
            pass
        return NONE


NONE = BackgroundEffect()


# -- resources ------------------------------------------------------------------------------------


def _resource(relative: str) -> Path | None:
    try:
        return asset_path(relative)
    except FileNotFoundError:
        return None


def default_model_path() -> Path:
    """The bundled selfie segmentation model; FileNotFoundError naming where it looked."""
    return asset_path(MODEL_FILE)


def bundled_backgrounds() -> list[str]:
    """File names of the replacement pictures that come with Parley, sorted."""
    names: set[str] = set()
    for root in resource_roots():
        folder = root / BACKGROUNDS_DIR
        if folder.is_dir():
            names.update(p.name for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
    return sorted(names)


def resolve_background_image(image: str) -> Path:
    """The file behind a ``BackgroundEffect.image``: a bundled name or the user's own path."""
    if "/" not in image and "\\" not in image:
        bundled = _resource(f"{BACKGROUNDS_DIR}/{image}")
        if bundled is not None:
            return bundled
    return Path(image).expanduser()
