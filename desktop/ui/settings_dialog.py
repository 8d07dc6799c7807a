"""SettingsDialog: generated from the declared preferences (ui/preferences.py), one page per
section, plus the keyboard shortcuts. A change is stored at once (no OK button, as in Meet and
Teams) and announced with ``changed(key)`` so the app applies it live: the theme, the devices
of a call in progress, the microphone's processing, the background effect."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from . import preferences as prefs
from .background_gallery import BackgroundGallery
from .backgrounds import SETTING as BACKGROUND
from .fit import ContentFit
from .settings import Settings
from .shortcuts import SHORTCUTS

SHORTCUTS_PAGE = QT_TRANSLATE_NOOP("SettingsDialog", "Keyboard shortcuts")

#: (value, label) pairs for a CHOICE or DEVICE preference whose options are only known at run time
ChoiceProvider = Callable[[], list[tuple[str, str]]]



def describe_idle_detection(source) -> str:
    """How inactivity is seen on this computer (an idle source from desktop/idle), in a sentence."""
    if source is None:
        return QCoreApplication.translate("SettingsDialog", "Inactivity cannot be detected on this computer: Parley will not ask.")
    name = str(getattr(source, "name", ""))
    if getattr(source, "system_wide", False):
        return QCoreApplication.translate("SettingsDialog", "Inactivity is detected across all apps ({how}).").format(how=name)
    return QCoreApplication.translate("SettingsDialog", "{how}: only input in Parley's own windows is seen on this computer, so working in another app "
               "counts as inactive.").format(how=name)


class SettingsDialog(QDialog):
    changed = Signal(str)  # the key of the preference that changed

    def __init__(self, settings: Settings, providers: dict[str, ChoiceProvider] | None = None,
                 notes: dict[str, str] | None = None, parent: QWidget | None = None,
                 in_use: dict[str, Callable[[], str | None]] | None = None) -> None:
        """``providers``: options of run-time choices (devices, backgrounds) by key; ``notes``:
        a sentence shown under a section (how inactivity is detected on this computer);
        ``in_use``: by device key, the name of the device the system default is now (shown
        beside "System default", so Settings says what the call uses)."""
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setWindowTitle(QCoreApplication.translate("SettingsDialog", "Parley settings"))
        self.setAccessibleName(QCoreApplication.translate("SettingsDialog", "Parley settings"))
        self.settings = settings
        self.providers = providers or {}
        self.in_use = in_use or {}
        self.widgets: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.notes: dict[str, QLabel] = {}
        self._loading = False

        self.pages = QListWidget()
        self.pages.setAccessibleName(QCoreApplication.translate("SettingsDialog", "Sections"))
        self.pages.setSpacing(3)
        self.stack = QStackedWidget()
        for section in prefs.SECTIONS:
            self.pages.addItem(prefs.tr(section))
            self.stack.addWidget(self._section_page(section, (notes or {}).get(section)))
        self.pages.addItem(QCoreApplication.translate("SettingsDialog", SHORTCUTS_PAGE))
        self.stack.addWidget(self._shortcuts_page())
        self.pages.currentRowChanged.connect(self.stack.setCurrentIndex)
        # as wide as the longest section name (in any language), never scrolled sideways
        self.pages.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages.setFixedWidth(self.pages.sizeHintForColumn(0) + 2 * self.pages.frameWidth() + 16)
        self.pages.setCurrentRow(0)

        body = QHBoxLayout()
        body.addWidget(self.pages)
        body.addWidget(self.stack, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 16, 16, 12)
        outer.addLayout(body, 1)
        outer.addWidget(buttons)
        self.resize(720, 460)
        self.fit = ContentFit(self, (560, 360))  # the longest page, in any language

    # --- building ------------------------------------------------------------------------

    def _section_page(self, section: str, note: str | None) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(16, 4, 8, 4)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        title = QLabel(prefs.tr(section))
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        form.addRow(title)
        for preference in prefs.in_section(section):
            widget = self._widget(preference)
            self.widgets[preference.key] = widget
            widget.setAccessibleName(prefs.tr(preference.label))
            if preference.help:
                widget.setToolTip(prefs.tr(preference.help))
            if isinstance(widget, QCheckBox):
                form.addRow(widget)
            else:
                form.addRow(prefs.tr(preference.label), widget)
            if preference.help:
                form.addRow(QLabel(prefs.tr(preference.help), objectName="muted", wordWrap=True))
            if preference.key == BACKGROUND:
                form.addRow(self._gallery(widget))
            if preference.kind == prefs.TEXT:
                error = self.errors[preference.key] = QLabel(objectName="error", wordWrap=True)
                error.setVisible(False)
                form.addRow(error)
        if note:
            label = self.notes[section] = QLabel(note, objectName="muted", wordWrap=True)
            form.addRow(label)
        return page

    def _widget(self, preference: prefs.Preference) -> QWidget:
        key, value = preference.key, self.settings.get(preference.key)
        if preference.kind == prefs.BOOL:
            box = QCheckBox(prefs.tr(preference.label))
            box.setChecked(value)
            box.toggled.connect(lambda on, k=key: self._store(k, on))
            return box
        if preference.kind == prefs.INT:
            spin = QSpinBox(minimum=preference.minimum, maximum=preference.maximum,
                            suffix=prefs.tr(preference.suffix))
            spin.setValue(round(value / preference.scale))
            spin.valueChanged.connect(lambda shown, p=preference: self._store(p.key, shown * p.scale))
            return spin
        if preference.kind == prefs.TEXT:
            line = QLineEdit(value, placeholderText=prefs.tr(preference.placeholder) if preference.placeholder else "")
            line.setClearButtonEnabled(True)
            line.editingFinished.connect(lambda p=preference, w=line: self._store_text(p, w))
            return line
        combo = QComboBox()
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(18)
        self._fill(combo, preference)
        combo.currentIndexChanged.connect(lambda _i, p=preference, w=combo: self._store_choice(p, w))
        return combo

    def _gallery(self, combo: QComboBox) -> BackgroundGallery:
        """The backgrounds as thumbnails under their choice, each showing the other's pick."""
        gallery = self.background_gallery = BackgroundGallery()
        gallery.set_current(self.settings.get(BACKGROUND))
        gallery.chosen.connect(lambda value: (self._store(BACKGROUND, value), self.refresh(BACKGROUND)))
        combo.currentIndexChanged.connect(lambda _i: combo.currentData() and gallery.set_current(combo.currentData()))
        return gallery

    def _options(self, preference: prefs.Preference) -> list[tuple[str, str]]:
        if preference.choices:
            return [(value, prefs.tr(label)) for value, label in preference.choices]
        provider = self.providers.get(preference.key)
        return provider() if provider is not None else []

    def _fill(self, combo: QComboBox, preference: prefs.Preference) -> None:
        self._loading = True
        try:
            combo.clear()
            options = self._options(preference)
            if preference.kind == prefs.DEVICE:
                device_id, name = self.settings.get(preference.key)
                used = self.in_use[preference.key]() if preference.key in self.in_use else None
                default = (QCoreApplication.translate("SettingsDialog", "System default ({device})").format(device=used)
                           if used else QCoreApplication.translate("SettingsDialog", "System default"))
                options = [("", default)] + options
                current = next((i for i, (v, label) in enumerate(options) if v and v == device_id), None)
                if current is None:  # a device whose id changed (USB): found again by its name
                    current = next((i for i, (v, label) in enumerate(options) if v and label == name), 0)
            else:
                value = self.settings.get(preference.key)
                current = next((i for i, (v, _label) in enumerate(options) if v == value), 0)
            for value, label in options:
                combo.addItem(label, value)
            combo.setCurrentIndex(current)
            combo.setEnabled(len(options) > 1 or preference.kind != prefs.DEVICE)
        finally:
            self._loading = False

    def _shortcuts_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(16, 4, 8, 4)
        title = QLabel(QCoreApplication.translate("SettingsDialog", SHORTCUTS_PAGE))
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        form.addRow(title)
        self.shortcut_labels: dict[str, QLabel] = {}
        for shortcut in SHORTCUTS:
            keys = self.shortcut_labels[shortcut.id] = QLabel(shortcut.native_keys)
            keys.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            keys.setAccessibleName(shortcut.text)
            form.addRow(shortcut.text, keys)
        return page

    # --- storing -------------------------------------------------------------------------

    def refresh(self, key: str | None = None) -> None:
        """Re-read run-time options (devices plugged in or out) and the stored values."""
        for preference in prefs.PREFERENCES:
            widget = self.widgets[preference.key]
            if key not in (None, preference.key):
                continue
            if isinstance(widget, QComboBox):
                self._fill(widget, preference)
                if preference.key == BACKGROUND:
                    self.background_gallery.set_current(self.settings.get(BACKGROUND))
            else:
                self._loading = True
                try:
                    value = self.settings.get(preference.key)
                    if isinstance(widget, QCheckBox):
                        widget.setChecked(value)
                    elif isinstance(widget, QSpinBox):
                        widget.setValue(round(value / preference.scale))
                    elif isinstance(widget, QLineEdit) and not widget.hasFocus():
                        widget.setText(value)
                finally:
                    self._loading = False

    def _store(self, key: str, value) -> None:
        if self._loading:
            return
        if self.settings.get(key) != value:
            self.settings.set(key, value)
            self.changed.emit(key)

    def _store_text(self, preference: prefs.Preference, line: QLineEdit) -> None:
        text = line.text().strip()
        problem = preference.error(text) if preference.error else None
        error = self.errors[preference.key]
        error.setText(problem or "")
        error.setVisible(bool(problem))
        if problem is None:
            self._store(preference.key, text)

    def _store_choice(self, preference: prefs.Preference, combo: QComboBox) -> None:
        if self._loading:
            return
        value = combo.currentData()
        if preference.kind == prefs.DEVICE:
            stored = (value or None, combo.currentText() if value else None)
            if self.settings.get(preference.key) != stored:
                self.settings.set(preference.key, stored)
                self.changed.emit(preference.key)
        else:
            self._store(preference.key, value)

    def widget(self, key: str) -> QWidget:
        return self.widgets[key]

    # the widgets tests and the app reach for most
    @property
    def idle_minutes(self) -> QSpinBox:
        return self.widgets["idle/timeout"]

    @property
    def prompt_seconds(self) -> QSpinBox:
        return self.widgets["idle/prompt"]

    @property
    def echo(self) -> QCheckBox:
        return self.widgets["join/echo_cancellation"]

    @property
    def noise(self) -> QCheckBox:
        return self.widgets["join/noise_suppression"]

    @property
    def detection(self) -> QLabel:
        return self.notes[prefs.INACTIVITY]
