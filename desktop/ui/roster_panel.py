"""RosterPanel: everyone in the meeting — name, role, microphone (filling green with their
volume), a poor connection's signal, camera, screen share — with a search field, a menu per
person (Pin for everyone; host controls for those whose role allows them) and, for hosts,
"Mute all" and "Lower all hands".

The name and role take the row's width; the icons beside them are 16 px each, so a name shows
in full up to about 25 characters in a 320 px panel.

A screen share (``ATTENDEE#content``) is not a person: it shows as a screen icon on its owner's
row, and a host may stop it from that row's menu."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QRectF, QSize, QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..session import CONTENT_SUFFIX, Capability, ModerationAction, content_owner

from .elided_label import ElidedLabel
from .roster_menu import add_menu
from .icons import pixmap

#: The server's role names, in words (an unknown role shows as it is).
_ROLES = {
    "host": QT_TRANSLATE_NOOP("RosterPanel", "host"),
    "participant": QT_TRANSLATE_NOOP("RosterPanel", "participant"),
}


def role_name(role: str) -> str:
    return QCoreApplication.translate("RosterPanel", _ROLES[role]) if role in _ROLES else role


class MicLevel(QWidget):
    """The microphone icon, filling green from the bottom with the person's volume (0..100),
    red and crossed out when muted: the level without a meter taking the row's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(18, 18)
        self._value = 0
        self.muted = False

    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:  # noqa: N802 (QProgressBar's name, which it replaces)
        value = max(0, min(100, int(value)))
        if value != self._value:
            self._value = value
            self.update()

    def set_muted(self, muted: bool) -> None:
        if muted != self.muted:
            self.muted = muted
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        rect = QRectF(1, 1, 16, 16)
        if self.muted:
            painter.drawPixmap(rect.toRect(), pixmap("mic-off", 16, "#dc2626"))
        else:
            painter.drawPixmap(rect.toRect(), pixmap("mic", 16))
            if self._value > 0:  # the capsule fills from the bottom
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor("#22c55e"))
                level = 9.0 * self._value / 100
                painter.drawRoundedRect(QRectF(7.5, 2.5 + 9.0 - level, 4, level), 2, 2)
        painter.end()


class RosterRow(QFrame):
    def __init__(self, attendee_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attendee_id = attendee_id
        self.setObjectName("rosterRow")
        self.name = ElidedLabel()  # a long name (or translation) never pushes the icons out
        self.role = ElidedLabel(objectName="muted")
        self.camera = QLabel()
        self.screen = QLabel()
        self.screen.setPixmap(pixmap("screen-share", 16, "#3b82f6"))
        self.screen.setToolTip(self.tr("Sharing their screen"))
        self.screen.setVisible(False)
        self.stop_share_action = None  # the menu's "Stop their screen share", when allowed
        self.lower_hand_action = None  # the menu's "Lower hand", when allowed
        self.mute_action = None  # "Mute", for someone not muted by a host
        self.allow_unmute_action = None  # "Allow to unmute", only for someone a host muted
        self.pin_action = None  # "Pin to the stage" / "Unpin"
        self.remove_action = None  # "Remove from the meeting"
        self.spotlight_action = None  # "Spotlight for everyone" / "Remove spotlight"
        self.make_host_action = None  # "Make host", only for someone whose role is not the host's
        self.host_role: str | None = None  # the role "Make host" gives (the host's own)
        self.hand = QLabel()
        self.hand.setPixmap(pixmap("hand", 16, "#f59e0b"))
        self.hand.setToolTip(self.tr("Hand raised"))
        self.hand.setVisible(False)
        self.hand_raised_at: str | None = None
        self.signal = QLabel()  # shown only when their connection is not good (or still connecting)
        self.signal.setVisible(False)
        self._strength: float | None = None  # the latest signal strength the server sent
        self.volume = self.mic = MicLevel()  # the microphone, filling with their volume
        self.mic.setAccessibleName(self.tr("Volume"))
        self.more = QToolButton(objectName="rowMenu", text="\u22ef")
        self.more.setAccessibleName(self.tr("More options"))
        self.more.setToolTip(self.tr("Pin, and host controls where your role allows them"))
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.more.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.setSpacing(6)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.name)
        text.addWidget(self.role)
        layout.addWidget(self.hand)
        layout.addLayout(text, 1)
        for widget in (self.signal, self.screen, self.camera, self.mic, self.more):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignVCenter)

    def show_info(self, info, is_me: bool) -> None:
        self.name.setText(self.tr("{name} (you)").format(name=info.name) if is_me else info.name)
        role = role_name(info.role)
        if getattr(info, "connecting", False):  # in, but their sound and video do not get through
            role = self.tr("{role} · connecting…").format(role=role)
        self.role.setText(self.tr("{role} · muted by a host").format(role=role) if info.mute_locked else role)
        self.mic.set_muted(info.muted)
        self.camera.setPixmap(pixmap("camera" if info.video else "camera-off", 16))
        self._info = info
        self._show_signal()
        self.hand_raised_at = getattr(info, "hand_raised_at", None)
        self.hand.setVisible(bool(self.hand_raised_at))
        self.sync_menu()
        self._describe()

    def sync_menu(self, pinned: bool | None = None) -> None:
        """Offer only what applies now: Allow to unmute to someone locked, Mute to someone not,
        Lower hand while their hand is up, Stop their share while they share."""
        locked = bool(getattr(self._info, "mute_locked", False))
        for action, shown in ((self.mute_action, not locked), (self.allow_unmute_action, locked),
                              (self.lower_hand_action, bool(self.hand_raised_at)),
                              (self.stop_share_action, self.screen.isVisibleTo(self)),
                              (self.make_host_action, getattr(self._info, "role", None) != self.host_role)):
            if action is not None:
                action.setVisible(shown)
        if pinned is not None and self.pin_action is not None:
            self.pin_action.setText(self.tr("Unpin") if pinned else self.tr("Pin to the stage"))

    @property
    def info(self):
        return self._info

    def matches(self, text: str) -> bool:
        """Whether the search ``text`` finds this person (by name, any case)."""
        return text.casefold() in self._info.name.casefold()

    def show_sharing(self, sharing: bool) -> None:
        self.screen.setVisible(sharing)
        self.sync_menu()
        self._describe()

    def _describe(self) -> None:
        info = self._info
        parts = [info.name, role_name(info.role), self.tr("muted") if info.muted else self.tr("unmuted"),
                 self.tr("camera on") if info.video else self.tr("camera off")]
        if self.screen.isVisibleTo(self):
            parts.append(self.tr("sharing their screen"))
        if self.hand_raised_at:
            parts.append(self.tr("hand raised"))
        if getattr(info, "connecting", False):
            parts.append(self.tr("connecting"))
        self.setAccessibleName(", ".join(parts))

    def show_volume(self, volume: float, signal_strength: float) -> None:
        self.volume.setValue(int(volume * 100))
        self._strength = signal_strength
        self._show_signal()

    def _show_signal(self) -> None:
        strength = self._strength
        if getattr(getattr(self, "_info", None), "connecting", False):
            self.signal.setPixmap(pixmap("signal", 16, "#9ca3af"))  # no bars: nothing gets through yet
            self.signal.setToolTip(self.tr("Connecting…"))
            self.signal.setVisible(True)
        elif strength is not None:
            colour = "#22c55e" if strength >= 1 else "#f59e0b" if strength >= 0.5 else "#dc2626"
            self.signal.setPixmap(pixmap("signal", 16, colour))
            self.signal.setToolTip({1.0: self.tr("Good connection"), 0.5: self.tr("Some packet loss"),
                                    0.0: self.tr("Poor connection")}.get(strength, ""))
            self.signal.setVisible(strength < 1)  # a good connection needs no icon: the name keeps the room
        else:
            self.signal.setVisible(False)


class RosterPanel(QWidget):
    moderate_requested = Signal(str, str)  # attendee id, a ModerationAction
    pin_requested = Signal(object)  # attendee id to pin to the stage, or None to unpin
    count_changed = Signal(int)  # how many people are listed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RosterPanel")
        self.setMinimumWidth(260)
        self.rows: dict[str, RosterRow] = {}
        self.me: str | None = None
        self.is_pinned = lambda attendee_id: False  # whose tile is pinned: the call window knows
        self.spotlighted: str | None = None  # whom a host put on everyone's stage (the server says)
        self.capabilities: frozenset[str] = frozenset()
        self._shares: set[str] = set()  # the screen shares' attendee ids
        self.title = QLabel()  # "People (n)": the side panel's tab shows it
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.search = QLineEdit(placeholderText=self.tr("Find someone"), clearButtonEnabled=True)
        self.search.setAccessibleName(self.tr("Find someone in the meeting"))
        self.search.textChanged.connect(self._filter)
        self.mute_all_button = QPushButton(self.tr("Mute all"))
        self.mute_all_button.setToolTip(self.tr("Mute everyone but you; they can unmute once you allow it"))
        self.mute_all_button.clicked.connect(self.mute_all)
        self.lower_hands_button = QPushButton(self.tr("Lower all hands"))
        self.lower_hands_button.clicked.connect(self.lower_all_hands)
        host_row = QHBoxLayout()
        host_row.setContentsMargins(0, 0, 0, 0)
        host_row.addWidget(self.mute_all_button)
        host_row.addWidget(self.lower_hands_button)
        host_row.addStretch(1)
        self.nobody = QLabel(self.tr("Nobody by that name"), objectName="muted", alignment=Qt.AlignmentFlag.AlignCenter)
        self.nobody.setVisible(False)
        self._list = QVBoxLayout()
        self._list.setSpacing(2)
        self._list.addStretch(1)
        holder = QWidget()
        holder.setLayout(self._list)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(holder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.search)
        layout.addLayout(host_row)
        layout.addWidget(self.nobody)
        layout.addWidget(scroll, 1)
        self._update_title()
        self._show_host_buttons()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """A side panel's width, whatever the names (they elide): the video keeps the room."""
        return QSize(max(self.minimumWidth(), 300), super().sizeHint().height())

    def set_me(self, attendee_id: str, capabilities: tuple[str, ...]) -> None:
        changed = frozenset(capabilities) != self.capabilities
        self.me = attendee_id
        self.capabilities = frozenset(capabilities)
        if changed:  # the menus offer what the role allows now
            for row in self.rows.values():
                self._add_menu(row)
        self._show_host_buttons()

    def upsert(self, info) -> None:
        owner = content_owner(info.attendee_id) if info.content else None
        if owner is not None:  # a screen share: an icon on its owner's row
            self._shares.add(info.attendee_id)
            if owner in self.rows:
                self.rows[owner].show_sharing(True)
            return
        row = self.rows.get(info.attendee_id)
        if row is None:
            row = self.rows[info.attendee_id] = RosterRow(info.attendee_id)
            self._list.insertWidget(self._list.count() - 1, row)
            row.show_info(info, info.attendee_id == self.me)
            self._add_menu(row)
            row.show_sharing(info.attendee_id + CONTENT_SUFFIX in self._shares)
            row.setVisible(row.matches(self.search.text()))
        role_changed = info.attendee_id == self.me and row.info.role != info.role
        row.show_info(info, info.attendee_id == self.me)
        if role_changed:  # made host: "Make host" now goes by my new role
            for other in self.rows.values():
                self._add_menu(other)
        self._reorder()
        self._update_title()
        self._show_host_buttons()

    def order(self) -> list[str]:
        """Attendee ids as listed: raised hands first, in the order they went up."""
        rows = [self._list.itemAt(i).widget() for i in range(self._list.count())]
        return [r.attendee_id for r in rows if isinstance(r, RosterRow)]

    def shown(self) -> list[str]:
        """Attendee ids listed and not hidden by the search, in order."""
        return [key for key in self.order() if not self.rows[key].isHidden()]

    def _reorder(self) -> None:
        rows = list(self.rows.values())  # in the order they came
        wanted = sorted((r for r in rows if r.hand_raised_at), key=lambda r: r.hand_raised_at or "")
        wanted += [r for r in rows if not r.hand_raised_at]
        if [r.attendee_id for r in wanted] == self.order():
            return
        for row in wanted:
            self._list.removeWidget(row)
        for index, row in enumerate(wanted):
            self._list.insertWidget(index, row)

    def _filter(self, text: str) -> None:
        for row in self.rows.values():
            row.setVisible(row.matches(text))
        self.nobody.setVisible(bool(self.rows) and not self.shown())

    def _add_menu(self, row: RosterRow) -> None:
        """The row's menu: Pin for everyone; for hosts, what their capabilities allow."""
        add_menu(self, row)

    def my_role(self) -> str | None:
        me = self.rows.get(self.me or "")
        return me.info.role if me is not None else None

    def host_controls(self, row: RosterRow) -> bool:
        """Whether ``row``'s menu holds host controls for someone else (not only Pin, or a
        spotlight on myself)."""
        return any(a is not None for a in (row.mute_action, row.stop_share_action, row.make_host_action))

    # --- for everyone at once (hosts) -------------------------------------------------------------

    def _others(self) -> list[RosterRow]:
        return [row for key, row in self.rows.items() if key != self.me]

    def mute_all(self) -> None:
        """Mute everyone but me who is not muted by a host already (one request each)."""
        for row in self._others():
            if not row.info.mute_locked:
                self.moderate_requested.emit(row.attendee_id, ModerationAction.MUTE)

    def lower_all_hands(self) -> None:
        for row in self._others():
            if row.hand_raised_at:
                self.moderate_requested.emit(row.attendee_id, ModerationAction.LOWER_HAND)

    def _show_host_buttons(self) -> None:
        may = Capability.MUTE_OTHERS in self.capabilities
        others = self._others()
        self.mute_all_button.setVisible(may)
        self.mute_all_button.setEnabled(any(not r.info.mute_locked for r in others))
        self.lower_hands_button.setVisible(may and any(r.hand_raised_at for r in others))

    def remove(self, attendee_id: str) -> None:
        owner = content_owner(attendee_id)
        if owner is not None and attendee_id in self._shares:
            self._shares.discard(attendee_id)
            if owner in self.rows:
                self.rows[owner].show_sharing(False)
            return
        row = self.rows.pop(attendee_id, None)
        if row is not None:
            row.setParent(None)
            row.deleteLater()
        self._update_title()
        self._show_host_buttons()

    def show_volumes(self, updates) -> None:
        for info in updates:
            row = self.rows.get(info.attendee_id)
            if row is not None:
                row.show_volume(info.volume, info.signal_strength)

    def _update_title(self) -> None:
        self.title.setText(self.tr("People (%n)", "", len(self.rows)))
        self.count_changed.emit(len(self.rows))
