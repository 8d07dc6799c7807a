"""Light and dark themes that follow the system: Fusion, two palettes, one small stylesheet.

Icons are monochrome SVGs recoloured to the palette (ui/icons.py): ``icon(name)`` without a
colour repaints in the new text colour by itself; anything else that depends on the mode listens
to ``watcher.theme_changed`` (or to ``QEvent.PaletteChange``).

Control-bar buttons: ``QToolButton#barButton`` (an icon with a label under it; ``off="true"``
makes it solid red, e.g. a muted microphone, ``active="true"`` blue, e.g. a raised hand,
``open="true"`` tinted, e.g. the panel it opens is open), ``QToolButton#barArrow`` (the device
arrow beside one) and ``QToolButton#leave`` (the red pill). ``QToolButton#round`` is a 44 px disc
(the lobby's microphone, camera and background; ``off`` makes it solid red too).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QToolTip

from ..assets import asset_path

ACCENT = "#3b82f6"
DANGER = "#dc2626"

_LIGHT = {
    "window": "#f4f5f7", "base": "#ffffff", "alt": "#eef0f3", "text": "#1f2328", "muted": "#5f6b7a",
    "button": "#ffffff", "border": "#d6dae0", "card": "#ffffff", "round": "#e7eaee", "round_off": "#dc2626",
}
_DARK = {
    "window": "#15181e", "base": "#1d2129", "alt": "#232833", "text": "#e8eaed", "muted": "#9aa3af",
    "button": "#262b35", "border": "#343a46", "card": "#1d2129", "round": "#2c323d", "round_off": "#dc2626",
}

_STYLE = """
QFrame#card {{ background: {card}; border: 1px solid {border}; border-radius: 14px; }}
QLineEdit {{ padding: 6px 8px; border: 1px solid {border}; border-radius: 8px; background: {base}; }}
QLineEdit:focus {{ border-color: {accent}; }}
QComboBox {{ padding: 5px 8px; min-height: 20px; border: 1px solid {border}; border-radius: 8px;
             background: {button}; color: {text}; }}
QComboBox::drop-down {{ subcontrol-origin: padding; subcontrol-position: center right; width: 22px; border: none; }}
QComboBox::down-arrow {{ image: url("{chevron}"); width: 12px; height: 12px; }}
QComboBox:hover, QComboBox:focus {{ border-color: {accent}; }}
QComboBox QAbstractItemView {{ background: {base}; color: {text}; border: 1px solid {border};
                               selection-background-color: {accent}; selection-color: white; outline: none; }}
QPushButton {{ padding: 7px 16px; border: 1px solid {border}; border-radius: 8px; background: {button}; }}
QPushButton:hover {{ border-color: {accent}; }}
QPushButton#primary {{ background: {accent}; color: white; border: none; font-weight: 600; }}
QPushButton#primary:disabled {{ background: {border}; color: {muted}; }}
QToolButton#round {{ min-width: 44px; min-height: 44px; max-width: 44px; max-height: 44px; border-radius: 22px;
                     background: {round}; border: none; icon-size: 22px; }}
QToolButton#round:hover {{ border: 2px solid {accent}; }}
QToolButton#round[off="true"] {{ background: {round_off}; }}
QToolButton#barButton {{ min-width: 54px; min-height: 52px; padding: 4px 2px 2px 2px; border: none; border-radius: 10px;
                         background: transparent; color: {text}; icon-size: 22px; }}
QToolButton#barButton:hover {{ background: {round}; }}
QToolButton#barButton:focus {{ border: 2px solid {accent}; }}
QToolButton#barButton[open="true"] {{ background: {round}; }}
QToolButton#barButton[off="true"] {{ background: {danger}; color: white; }}
QToolButton#barButton[off="true"]:hover {{ background: #b91c1c; }}
QToolButton#barButton[active="true"] {{ background: {accent}; color: white; }}
QToolButton#barButton[unavailable="true"] {{ background: transparent; color: {muted}; border: 2px dashed {muted}; }}
QToolButton#barButton::menu-indicator {{ image: none; width: 0; }}
QToolButton#barArrow {{ min-width: 14px; max-width: 14px; min-height: 52px; border: none; border-radius: 6px;
                        background: transparent; }}
QToolButton#barArrow:hover {{ background: {round}; }}
QToolButton#barArrow::menu-indicator {{ image: none; width: 0; }}
QToolButton#emoji {{ border: none; border-radius: 8px; background: transparent; }}
QToolButton#emoji:hover {{ background: {round}; }}
QToolButton#tab {{ border: none; border-radius: 8px; padding: 6px 12px; color: {muted}; font-weight: 600; }}
QToolButton#tab:checked {{ background: {round}; color: {text}; }}
QToolButton#closePanel {{ border: none; border-radius: 8px; padding: 4px 8px; color: {muted}; }}
QToolButton#closePanel:hover {{ background: {round}; color: {text}; }}
QToolButton#rowMenu {{ border: none; border-radius: 6px; padding: 0 6px; font-size: 13pt; color: {muted}; }}
QToolButton#rowMenu:hover {{ background: {round}; color: {text}; }}
QToolButton#rowMenu::menu-indicator {{ image: none; width: 0; }}
QToolButton#round[unavailable="true"] {{ background: {round}; border: 2px dashed {muted}; }}
QToolButton#round[active="true"] {{ background: {accent}; }}
QToolButton#round::menu-indicator {{ image: none; width: 0; }}
QPushButton#danger {{ background: {danger}; color: white; border: none; font-weight: 600; }}
QLabel#timer {{ color: {text}; font-weight: 600; padding: 4px 10px; border-radius: 8px; background: {alt}; }}
QLabel#timer[level="soon"] {{ background: #f59e0b; color: #111827; }}
QLabel#timer[level="late"] {{ background: {danger}; color: white; }}
QToolButton#extend {{ padding: 5px 10px; border: 1px solid {border}; border-radius: 8px; background: {button}; }}
QFrame#timeNotice {{ background: #fef3c7; border: 1px solid #f59e0b; border-radius: 8px; }}
QFrame#timeNotice QLabel {{ color: #78350f; }}
QLabel#reconnecting {{ background: #1e3a8a; color: white; border-radius: 8px; padding: 8px 12px; font-weight: 600; }}
QLabel#badge {{ background: {danger}; color: white; border-radius: 9px; font-size: 8pt; font-weight: 700; }}
QLabel#chatMessage, QLabel#chatPrivate {{ background: {alt}; border-radius: 8px; padding: 6px 8px; }}
QLabel#chatPrivate {{ border: 1px solid {accent}; }}
QWidget#SharingBar {{ background: {alt}; border: 1px solid {border}; border-radius: 10px; }}
QToolButton#leave {{ background: {danger}; color: white; border: none; border-radius: 22px; min-height: 44px;
                     padding: 0 18px; font-weight: 600; icon-size: 20px; }}
QToolButton#leave:hover {{ background: #b91c1c; }}
QToolButton#link {{ border: none; color: {accent}; background: transparent; }}
QToolButton#link::menu-indicator {{ image: none; width: 0; }}
QLabel#muted {{ color: {muted}; }}
QLabel#error {{ color: {danger}; }}
QLabel#notice {{ color: {text}; background: {alt}; border-radius: 8px; padding: 8px 12px; }}
QLabel#banner {{ color: {text}; background: {alt}; border: 1px solid {border}; border-radius: 8px; padding: 8px 12px; }}
QProgressBar#meter {{ border: none; background: {alt}; border-radius: 3px; }}
QProgressBar#meter::chunk {{ background: #22c55e; border-radius: 3px; }}
QMenu {{ padding: 4px; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QListWidget#screens {{ border: none; background: transparent; }}
QListWidget#screens::item {{ border: 2px solid transparent; border-radius: 10px; color: {text}; }}
QListWidget#screens::item:hover {{ background: {alt}; }}
QListWidget#screens::item:selected {{ border-color: {accent}; background: {alt}; color: {text}; }}
QToolButton#galleryItem {{ border: 2px solid transparent; border-radius: 8px; padding: 1px; background: {alt}; }}
QToolButton#galleryItem:hover {{ border-color: {border}; }}
QToolButton#galleryItem:checked {{ border-color: {accent}; }}
QDialog#IdleDialog {{ background: {card}; border: 1px solid {border}; border-radius: 14px; }}
QLabel#idleBadge {{ background: #fbbf24; border-radius: 20px; }}
QLabel#idleClock {{ font-size: 28pt; font-weight: 700; color: {text}; padding: 4px; }}
QFrame#aloneNotice {{ background: {card}; border: 1px solid {border}; border-radius: 12px; }}
QLabel#aloneTitle {{ font-weight: 700; font-size: 11pt; }}
QToolButton#stripArrow {{ border: none; border-radius: 8px; background: {round}; }}
QToolButton#stripArrow:hover {{ background: {border}; }}
QToolButton#stripArrow:disabled {{ background: transparent; }}
"""


class ThemeWatcher(QObject):
    theme_changed = Signal()


watcher: ThemeWatcher | None = None


def is_dark(app: QApplication | None = None) -> bool:
    """Whether the palette in use is dark (judged on the palette, so true to what is shown)."""
    app = app or QApplication.instance()
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def _system_is_dark(app: QApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def _palette(colours: dict[str, str]) -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    pairs = {
        role.Window: colours["window"], role.WindowText: colours["text"], role.Base: colours["base"],
        role.AlternateBase: colours["alt"], role.Text: colours["text"], role.Button: colours["button"],
        role.ButtonText: colours["text"], role.ToolTipBase: colours["base"], role.ToolTipText: colours["text"],
        role.PlaceholderText: colours["muted"], role.Highlight: ACCENT, role.HighlightedText: "#ffffff",
        role.Link: ACCENT, role.LinkVisited: ACCENT, role.Accent: ACCENT,
        role.Mid: colours["border"], role.Midlight: colours["button"], role.Light: colours["base"],
        role.Dark: colours["border"], role.BrightText: "#ffffff",
    }
    for r, colour in pairs.items():
        palette.setColor(r, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText, role.PlaceholderText):
        palette.setColor(disabled, r, QColor(colours["muted"]))
    for r in (role.Highlight, role.Accent):
        palette.setColor(disabled, r, QColor(colours["border"]))
    palette.setColor(disabled, role.HighlightedText, QColor(colours["muted"]))
    return palette


def apply_theme(app: QApplication, mode: str = "system") -> None:
    """Style ``app``: ``light``, ``dark``, or ``system`` (and follow the system's changes)."""
    global watcher, _applying
    if mode not in ("system", "light", "dark"):
        raise ValueError(f"unknown theme {mode!r}")
    if watcher is None:
        watcher = ThemeWatcher()
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: _follow(app))
    watcher.mode = mode  # type: ignore[attr-defined]
    _applying = True  # telling the platform below may echo colorSchemeChanged: not a change to follow
    try:
        hints = app.styleHints()
        # Tell the platform too, so a forced mode gets matching title bars (Qt >= 6.8).
        if mode == "system":
            if hasattr(hints, "unsetColorScheme"):
                hints.unsetColorScheme()
        elif hasattr(hints, "setColorScheme"):
            hints.setColorScheme(Qt.ColorScheme.Dark if mode == "dark" else Qt.ColorScheme.Light)
    finally:
        _applying = False
    dark = _system_is_dark(app) if mode == "system" else mode == "dark"
    colours = _DARK if dark else _LIGHT
    app.setStyle("Fusion")
    font = app.font()  # 10 pt text, set on the application (not in the style sheet, where it
    if font.pointSizeF() != 10:  # would override every heading's own size)
        font.setPointSizeF(10)
        app.setFont(font)
    palette = _palette(colours)
    app.setPalette(palette)
    QToolTip.setPalette(palette)
    chevron = asset_path(f"styles/chevron-{'dark' if dark else 'light'}.svg").as_posix()
    app.setStyleSheet(_STYLE.format(accent=ACCENT, danger=DANGER, chevron=chevron, **colours))
    watcher.theme_changed.emit()  # icons from ui/icons.py follow the palette by themselves


_applying = False


def _follow(app: QApplication) -> None:
    if not _applying and watcher is not None and getattr(watcher, "mode", "system") == "system":
        apply_theme(app, "system")
