"""ChatPanel: the meeting's chat beside the call — to everyone or privately to one person.

Messages are plain text, always: the text is escaped before anything is shown, so markup a
sender types (``<img src=...>``, ``<a href=...>``) appears as the characters it is. Only the web
addresses we find in it become links (http and https), which open in the browser.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

_URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
_BREAK_AFTER = re.compile(r"([/?&=#.\-_])")
MAX_CHARS = 4000
BREAK = "\u200b"  # a zero-width space: where a long address may wrap


def breakable(url: str) -> str:
    """``url`` escaped for display, with places to wrap after its separators (a QLabel wraps
    only at spaces: a long address would otherwise widen the bubble past the panel)."""
    return BREAK.join(html.escape(part) for part in _BREAK_AFTER.sub(r"\1" + BREAK, url).split(BREAK))


def render(text: str) -> str:
    """``text`` as safe rich text: every character escaped, web addresses made links."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(html.escape(text[last:match.start()]))
        url = match.group(0).rstrip(".,;:!?)")
        out.append(f'<a href="{html.escape(url, quote=True)}">{breakable(url)}</a>')
        out.append(html.escape(match.group(0)[len(url):]))
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def local_time(iso_text: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso_text.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
    except ValueError:
        return ""


class ChatBubble(QLabel):
    """One message. Long web addresses carry zero-width spaces to wrap at (``breakable``); what
    is copied never does: Ctrl+C copies the selection without them, and the menu offers the
    message as typed and the link under the pointer."""

    def __init__(self, text: str, plain_text: str) -> None:
        super().__init__(text, wordWrap=True)
        self.plain_text = plain_text  # what the sender typed, for tests and copy
        self._link = ""
        self.linkHovered.connect(lambda link: setattr(self, "_link", link))

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.matches(QKeySequence.StandardKey.Copy) and self.hasSelectedText():
            QGuiApplication.clipboard().setText(self.selectedText().replace(BREAK, ""))
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        menu = QMenu(self)
        if self.hasSelectedText():
            menu.addAction(self.tr("Copy"),
                           lambda: QGuiApplication.clipboard().setText(self.selectedText().replace(BREAK, "")))
        menu.addAction(self.tr("Copy message"), lambda: QGuiApplication.clipboard().setText(self.plain_text))
        if self._link:
            link = self._link
            menu.addAction(self.tr("Copy link"), lambda: QGuiApplication.clipboard().setText(link))
        menu.popup(event.globalPos())


class ChatPanel(QWidget):
    send_requested = Signal(str, object)  # text, recipient attendee id or None (everyone)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChatPanel")
        self.setMinimumWidth(300)
        self.me: str | None = None
        self.names: dict[str, str] = {}  # everyone who was here (messages keep their names)
        self.present: dict[str, str] = {}  # who is here now: the private recipients
        self.bubbles: list[QLabel] = []
        title = self.title = QLabel(self.tr("Chat"))
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self._list = QVBoxLayout()
        self._list.setSpacing(6)
        self._list.addStretch(1)
        holder = QWidget()
        holder.setLayout(self._list)
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(holder)
        self.recipient = QComboBox()
        self.recipient.setAccessibleName(self.tr("Send to"))
        self.recipient.setToolTip(self.tr("Send to everyone, or privately to one person"))
        self.input = QLineEdit(placeholderText=self.tr("Message everyone"), maxLength=MAX_CHARS)
        self.input.setAccessibleName(self.tr("Chat message"))
        self.send_button = QPushButton(self.tr("Send"), objectName="primary")
        self.send_button.setAccessibleName(self.tr("Send the message"))
        self.error = QLabel(objectName="error", wordWrap=True)
        self.error.setVisible(False)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(title)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.recipient)
        layout.addLayout(row)
        self.send_button.clicked.connect(self._send)
        self.input.returnPressed.connect(self._send)
        self.recipient.currentIndexChanged.connect(self._placeholder)
        bar = self.scroll.verticalScrollBar()
        bar.rangeChanged.connect(lambda _lo, hi: bar.setValue(hi))  # the newest stays in view
        self.set_people({})

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """A side panel's width, whatever the messages (they wrap): the video keeps the room."""
        return QSize(max(self.minimumWidth(), 340), super().sizeHint().height())

    def set_people(self, names: dict[str, str]) -> None:
        """Who a private message can go to (attendee id -> name, everyone in the meeting),
        besides everyone."""
        self.present = dict(names)
        self.names.update(names)
        self._fill_recipients()

    def add_person(self, attendee_id: str, name: str) -> None:
        """Someone joined: one more to write to privately (the others stay)."""
        self.present[attendee_id] = self.names[attendee_id] = name
        self._fill_recipients()

    def remove_person(self, attendee_id: str) -> None:
        """Someone left: no longer offered (their messages keep their name)."""
        if self.present.pop(attendee_id, None) is not None:
            self._fill_recipients()

    def _fill_recipients(self) -> None:
        current = self.recipient.currentData()
        self.recipient.blockSignals(True)
        self.recipient.clear()
        self.recipient.addItem(self.tr("Everyone"), None)
        for attendee_id, name in sorted(self.present.items(), key=lambda kv: kv[1].lower()):
            if attendee_id != self.me:
                self.recipient.addItem(self.tr("{name} (privately)").format(name=name), attendee_id)
        index = self.recipient.findData(current)
        self.recipient.setCurrentIndex(max(0, index))
        self.recipient.blockSignals(False)
        self._placeholder()

    def _placeholder(self) -> None:
        to = self.recipient.currentData()
        self.input.setPlaceholderText(self.tr("Message everyone") if to is None else
                                      self.tr("Message {name} privately").format(
                                          name=self.names.get(to) or self.tr("them")))
        self.input.setToolTip(self.input.placeholderText())  # all of it, should the field cut it off

    def _send(self) -> None:
        text = self.input.text().strip()
        if text:
            self.send_requested.emit(text, self.recipient.currentData())
            self.input.clear()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def add_message(self, message) -> None:
        """Show ``message`` (a ``wire.ChatInfo``)."""
        mine = message.from_id == self.me
        who = self.tr("You") if mine else message.from_name
        if message.to is not None:
            who = (self.tr("{sender} → {name} (private)").format(sender=who, name=self.names.get(message.to)
                                                                  or self.tr("them")) if mine
                   else self.tr("{sender} → you (private)").format(sender=who))
        header = f"<b>{html.escape(who)}</b> <span style='color:#9aa3af'>{local_time(message.sent_at)}</span>"
        bubble = ChatBubble(f"{header}<br>{render(message.text)}", message.text)
        bubble.setObjectName("chatPrivate" if message.to is not None else "chatMessage")
        bubble.setTextFormat(Qt.TextFormat.RichText)  # our own markup around escaped text
        bubble.setOpenExternalLinks(True)
        bubble.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        bubble.setAccessibleName(f"{who}: {message.text}")
        self._list.insertWidget(self._list.count() - 1, bubble)
        self.bubbles.append(bubble)
