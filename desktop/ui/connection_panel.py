"""The Connection panel (Chime's UC23): what the connection does right now, every 2 seconds."""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QVBoxLayout, QWidget

from .fit import ContentFit

NONE = "—"  # no figure (yet)


def _number(value: float, decimals: int = 0) -> str:
    """``value`` written the way the user's language writes numbers (1,5 in German)."""
    return QLocale().toString(float(value), "f", decimals)


class ConnectionPanel(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConnectionPanel")
        self.setWindowTitle(self.tr("Connection"))
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key, label in (("send", self.tr("Sending")), ("send_loss", self.tr("Lost on the way out")),
                           ("receive", self.tr("Receiving")), ("receive_loss", self.tr("Lost on the way in")),
                           ("rtt", self.tr("Round trip")), ("quality", self.tr("Your signal"))):
            field = self.fields[key] = QLabel(NONE, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setAccessibleName(label)
            form.addRow(label, field)
        self.videos = QLabel(NONE, wordWrap=True, objectName="muted")
        videos_title = QLabel(self.tr("Video received (frames a second)"), wordWrap=True)
        self.videos.setAccessibleName(videos_title.text())
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(videos_title)
        layout.addWidget(self.videos)
        layout.addStretch(1)  # the figures stay together at the top
        self.resize(360, 300)
        self.fit = ContentFit(self)  # as tall as its rows need, in any language

    def _pct(self, value: float | None) -> str:
        return NONE if value is None else self.tr("{value} %").format(value=_number(value * 100, 1))

    def _rate(self, kbps: float, packets: float) -> str:
        return self.tr("{kbps} kbit/s, {packets} packets/s").format(kbps=_number(kbps), packets=_number(packets))

    def show_stats(self, stats, frame_rates: dict[str, float], quality: float | None,
                   names: dict[str, str]) -> None:
        f = self.fields
        f["send"].setText(self._rate(stats.send_kbps, stats.send_packets_per_s))
        f["send_loss"].setText(self.tr("{loss} (audio {audio_loss})").format(
            loss=self._pct(stats.uplink_loss), audio_loss=self._pct(stats.uplink_audio_loss)))
        f["receive"].setText(self._rate(stats.receive_kbps, stats.receive_packets_per_s))
        f["receive_loss"].setText(self._pct(stats.receive_loss))
        f["rtt"].setText(NONE if stats.rtt_ms is None else self.tr("{ms} ms").format(ms=_number(stats.rtt_ms)))
        qualities = {1.0: self.tr("Good"), 0.5: self.tr("Fair"), 0.0: self.tr("Poor")}
        f["quality"].setText(qualities.get(quality, NONE) if quality is not None else NONE)
        rates = [self.tr("{name}: {fps}").format(name=names.get(who, who), fps=_number(fps))
                 for who, fps in sorted(frame_rates.items(), key=lambda kv: names.get(kv[0], kv[0]))]
        self.videos.setText(", ".join(rates) or self.tr("none"))
        self.fit.request()
