"""RosterPanel: everyone in the meeting — name, role, microphone, a live volume bar, signal
strength, camera, screen share — with host controls for those whose role allows them.

A screen share (``ATTENDEE#content``) is not a person: it shows as a screen icon on its owner's
row, and a host may stop it from that row's menu."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..session import CONTENT_SUFFIX, Capability, ModerationAction, content_owner

from .elided_label import ElidedLabel
from .icons import pixmap

#: The server's role names, in words (an unknown role shows as it is).
_ROLES = {
    "host": QT_TRANSLATE_NOOP("RosterPanel", "host"),
    "participant": QT_TRANSLATE_NOOP("RosterPanel", "participant"),
}


def role_name(role: str) -> str:
    return QCoreApplication.translate("RosterPanel", _ROLES[role]) if role in _ROLES else role


class RosterRow(QFrame):
    def __init__(self, attendee_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attendee_id = attendee_id
        self.setObjectName("rosterRow")
        self.name = ElidedLabel()  # a long name (or translation) never pushes the icons out
        self.role = ElidedLabel(objectName="muted")
        self.mic = QLabel()
        self.camera = QLabel()
        self.screen = QLabel()
        self.screen.setPixmap(pixmap("screen-share", 16, "#3b82f6"))
        self.screen.setToolTip(self.tr("Sharing their screen"))
        self.screen.setVisible(False)
        self.stop_share_action = None  # the host menu's "Stop their screen share", when allowed
        self.lower_hand_action = None  # the host menu's "Lower hand"
        self.hand = QLabel()
        self.hand.setPixmap(pixmap("hand", 16, "#f59e0b"))
        self.hand.setToolTip(self.tr("Hand raised"))
        self.hand.setVisible(False)
        self.hand_raised_at: str | None = None
        self.signal = QLabel()
        self._strength: float | None = None  # the latest signal strength the server sent
        self.volume = QProgressBar(textVisible=False, maximum=100, objectName="meter")
        self.volume.setFixedSize(56, 6)
        self.volume.setAccessibleName(self.tr("Volume"))
        self.more = QToolButton(objectName="link", text="\u22ef")
        self.more.setAccessibleName(self.tr("Host controls"))
        self.more.setToolTip(self.tr("Host controls: mute, lower hand, remove"))
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.name)
        text.addWidget(self.role)
        layout.addWidget(self.hand)
        layout.addLayout(text, 1)
        for widget in (self.volume, self.signal, self.screen, self.camera, self.mic, self.more):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignVCenter)

    def show_info(self, info, is_me: bool) -> None:
        self.name.setText(self.tr("{name} (you)").format(name=info.name) if is_me else info.name)
        role = role_name(info.role)
        if getattr(info, "connecting", False):  # in, but their sound and video do not get through
            role = self.tr("{role} · connecting…").format(role=role)
        self.role.setText(self.tr("{role} · muted by a host").format(role=role) if info.mute_locked else role)
        self.mic.setPixmap(pixmap("mic-off" if info.muted else "mic", 16, "#dc2626" if info.muted else None))
        self.camera.setPixmap(pixmap("camera" if info.video else "camera-off", 16))
        self._info = info
        self._show_signal()
        self.hand_raised_at = getattr(info, "hand_raised_at", None)
        self.hand.setVisible(bool(self.hand_raised_at))
        if self.lower_hand_action is not None:
            self.lower_hand_action.setVisible(bool(self.hand_raised_at))
        self._describe()

    def show_sharing(self, sharing: bool) -> None:
        self.screen.setVisible(sharing)
        if self.stop_share_action is not None:
            self.stop_share_action.setVisible(sharing)
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
        elif strength is not None:
            colour = "#22c55e" if strength >= 1 else "#f59e0b" if strength >= 0.5 else "#dc2626"
            self.signal.setPixmap(pixmap("signal", 16, colour))
            self.signal.setToolTip({1.0: self.tr("Good connection"), 0.5: self.tr("Some packet loss"),
                                    0.0: self.tr("Poor connection")}.get(strength, ""))


class RosterPanel(QWidget):
    moderate_requested = Signal(str, str)  # attendee id, a ModerationAction

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RosterPanel")
        self.setMinimumWidth(260)
        self.rows: dict[str, RosterRow] = {}
        self.me: str | None = None
        self.capabilities: frozenset[str] = frozenset()
        self._shares: set[str] = set()  # the screen shares' attendee ids
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
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
        layout.addWidget(scroll, 1)
        self._update_title()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """A side panel's width, whatever the names (they elide): the video keeps the room."""
        return QSize(max(self.minimumWidth(), 300), super().sizeHint().height())

    def set_me(self, attendee_id: str, capabilities: tuple[str, ...]) -> None:
        self.me = attendee_id
        self.capabilities = frozenset(capabilities)

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
            self._add_host_menu(row)
            row.show_sharing(info.attendee_id + CONTENT_SUFFIX in self._shares)
        row.show_info(info, info.attendee_id == self.me)
        self._reorder()
        self._update_title()

    def order(self) -> list[str]:
        """Attendee ids as listed: raised hands first, in the order they went up."""
        rows = [self._list.itemAt(i).widget() for i in range(self._list.count())]
        return [r.attendee_id for r in rows if isinstance(r, RosterRow)]

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

    def _add_host_menu(self, row: RosterRow) -> None:
        if row.attendee_id == self.me:
            return
        menu = QMenu(row)
        if Capability.MUTE_OTHERS in self.capabilities:
            menu.addAction(self.tr("Mute"), lambda: self.moderate_requested.emit(row.attendee_id, ModerationAction.MUTE))
            menu.addAction(self.tr("Allow to unmute"),
                           lambda: self.moderate_requested.emit(row.attendee_id, ModerationAction.ALLOW_UNMUTE))
            row.lower_hand_action = menu.addAction(
                self.tr("Lower hand"), lambda: self.moderate_requested.emit(row.attendee_id, ModerationAction.LOWER_HAND))
            row.lower_hand_action.setVisible(bool(row.hand_raised_at))
        if Capability.REMOVE_PARTICIPANT in self.capabilities:
            menu.addAction(self.tr("Remove from the meeting"),
                           lambda: self.moderate_requested.emit(row.attendee_id, ModerationAction.REMOVE))
            row.stop_share_action = menu.addAction(
                self.tr("Stop their screen share"),
                lambda: self.moderate_requested.emit(row.attendee_id + CONTENT_SUFFIX, ModerationAction.REMOVE))
            row.stop_share_action.setVisible(False)
        if not menu.isEmpty():  # a participant without these capabilities never sees the control
            row.more.setAccessibleName(self.tr("Host controls for {name}").format(name=row._info.name))
            row.more.setMenu(menu)
            row.more.setVisible(True)

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

    def show_volumes(self, updates) -> None:
        for info in updates:
            row = self.rows.get(info.attendee_id)
            if row is not None:
                row.show_volume(info.volume, info.signal_strength)

    def _update_title(self) -> None:
        self.title.setText(self.tr("People (%n)", "", len(self.rows)))
