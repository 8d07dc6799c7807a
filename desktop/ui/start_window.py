"""StartWindow: join a meeting with a link (or a server and a token), or start one here."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..session.meeting_session import JoinUrl
from .fit import ContentFit

MINIMUM = (520, 460)


def _heading(text: str, size: int, bold: bool = True) -> QLabel:
    label = QLabel(text, wordWrap=True)
    font = label.font()
    font.setPointSize(size)
    font.setBold(bold)
    label.setFont(font)
    return label


class StartWindow(QWidget):
    join_requested = Signal(str)  # a parley:// join link
    host_requested = Signal()  # "Start a meeting on this computer"
    settings_requested = Signal()
    about_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Parley")  # the name, in every language
        self.setObjectName("StartWindow")
        self.fit = ContentFit(self, MINIMUM)  # larger when its texts need it

        card = QFrame(objectName="card")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(12)
        layout.addWidget(_heading("Parley", 26))
        layout.addWidget(QLabel(self.tr("Open video meetings. Paste a meeting link to join."), wordWrap=True))
        layout.addSpacing(8)

        self.link = QLineEdit(placeholderText="parley://server:8750/m/…?token=…")
        self.link.setAccessibleName(self.tr("Meeting link"))
        self.link.setToolTip(self.tr("A meeting link looks like parley://server:8750/m/…?token=…"))
        self.link.setClearButtonEnabled(True)
        self.join_button = QPushButton(self.tr("Join"), objectName="primary")
        self.join_button.setAccessibleName(self.tr("Join the meeting"))
        self.join_button.setDefault(True)
        row = QHBoxLayout()
        row.addWidget(self.link, 1)
        row.addWidget(self.join_button)
        layout.addLayout(row)

        self.more = QToolButton(text=self.tr("Join with a server address and a token"), checkable=True)
        self.more.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.more.setObjectName("link")
        self.more.setToolTip(self.tr("Show fields for a server address, a meeting id and a join token"))
        layout.addWidget(self.more)
        self.server = QLineEdit(placeholderText=self.tr("Server, e.g. {example}").format(example="127.0.0.1:8750"))
        self.server.setAccessibleName(self.tr("Server address"))
        self.meeting = QLineEdit(placeholderText=self.tr("Meeting id"))
        self.meeting.setAccessibleName(self.tr("Meeting id"))
        self.token = QLineEdit(placeholderText=self.tr("Join token"))
        self.token.setAccessibleName(self.tr("Join token"))
        self.manual = QWidget()
        manual_layout = QVBoxLayout(self.manual)
        manual_layout.setContentsMargins(0, 0, 0, 0)
        for field in (self.server, self.meeting, self.token):
            manual_layout.addWidget(field)
        self.manual.setVisible(False)
        layout.addWidget(self.manual)

        self.error = QLabel(objectName="error", wordWrap=True)
        self.error.setVisible(False)
        layout.addWidget(self.error)

        layout.addSpacing(8)
        divider = QLabel(self.tr("or"), alignment=Qt.AlignmentFlag.AlignCenter, objectName="muted")
        layout.addWidget(divider)
        self.host_button = QPushButton(self.tr("Start a meeting on this computer"))
        self.host_button.setAccessibleName(self.tr("Start a meeting on this computer"))
        # Ctrl+N (⌘N): found by keyboard, by people and by the bundle's smoke test alike
        self.host_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.New), self)
        self.host_shortcut.activated.connect(lambda: self.host_button.isVisible() and self.host_button.click())
        self.host_button.setToolTip(QCoreApplication.translate("Shortcuts", "{action} ({keys})").format(
            action=self.tr("Start a meeting here and invite others with a link"),
            keys=self.host_shortcut.key().toString(QKeySequence.SequenceFormat.NativeText)))
        layout.addWidget(self.host_button)
        # off: the meeting's link works on this computer only; on: asked first (hosting_prompt.py)
        self.network_host = QCheckBox(self.tr("Accept people from this network (same Wi-Fi or office)"))
        layout.addWidget(self.network_host)

        self.settings_button = QToolButton(text=self.tr("Settings"), objectName="link")
        self.settings_button.setAccessibleName(self.tr("Settings"))
        self.about_button = QToolButton(text=self.tr("About"), objectName="link")
        self.about_button.setAccessibleName(self.tr("About Parley"))
        links = QHBoxLayout()
        links.addStretch(1)
        links.addWidget(self.about_button)
        links.addWidget(self.settings_button)
        layout.addLayout(links)
        self.settings_button.clicked.connect(self.settings_requested)
        self.about_button.clicked.connect(self.about_requested)

        self.notice = QLabel(objectName="notice", wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.notice.setVisible(False)
        self.rejoin_button = QPushButton(self.tr("Rejoin"), objectName="primary")
        self.rejoin_button.setAccessibleName(self.tr("Rejoin the meeting"))
        self.rejoin_button.setVisible(False)
        self._rejoin_url: str | None = None
        self.rejoin_button.clicked.connect(lambda: self._rejoin_url and self.join_requested.emit(self._rejoin_url))
        ending = QHBoxLayout()  # how the last call ended, and Rejoin when the link still works
        ending.addWidget(self.notice, 1)
        ending.addWidget(self.rejoin_button, 0, Qt.AlignmentFlag.AlignVCenter)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        outer.addLayout(ending)
        outer.addWidget(card)
        outer.addStretch(2)

        self.more.toggled.connect(self.manual.setVisible)
        self.more.toggled.connect(self._fit)
        self.join_button.clicked.connect(self._join)
        self.link.returnPressed.connect(self._join)
        for field in (self.link, self.server, self.meeting, self.token):  # being corrected: the error goes
            field.textChanged.connect(lambda _text: self.error.isVisible() and self.show_error(""))
        self.token.returnPressed.connect(self._join)
        self.host_button.clicked.connect(self.host_requested)

    def show_notice(self, text: str, rejoin: str | None = None) -> None:
        """Tell the user why they are back here (how the last call ended); with ``rejoin`` (the
        link, when joining again can work) a Rejoin button beside it joins with it."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        self._rejoin_url = rejoin if text else None
        self.rejoin_button.setVisible(bool(self._rejoin_url))
        self._fit()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self._fit()

    def _fit(self) -> None:
        self.fit.request()

    def set_busy(self, busy: bool, text: str = "") -> None:
        for widget in (self.join_button, self.host_button, self.link):
            widget.setEnabled(not busy)
        if busy:
            self.show_notice(text)

    def _join(self) -> None:
        url = self.link.text().strip()
        if not url and self.manual.isVisible():
            server, meeting, token = (f.text().strip() for f in (self.server, self.meeting, self.token))
            if server and meeting and token:
                url = f"parley://{server}/m/{meeting}?token={token}"
        try:
            JoinUrl(url)
        except ValueError:
            self.link.setFocus()  # where the link goes
            self.show_error(self.tr("This is not a Parley meeting link. A link looks like {example}.").format(
                example="parley://HOST:PORT/m/MEETING_ID?token=TOKEN") if url
                else self.tr("Paste a meeting link first."))
            return
        self.show_error("")
        self.join_requested.emit(url)
