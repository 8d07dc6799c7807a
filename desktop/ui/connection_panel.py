"""The Connection panel (Chime's UC23): what the connection does right now, every 2 seconds.

Both directions: the rates, the loss each way, the round trip, the bandwidth estimates that
exist (aiortc's downlink estimate behind the REMB it sends; the target my video encoder follows),
and per video received: frames a second, which layer the server sends (the whole picture or a
small one) or whether it is paused (by the server for my connection, or on my side and why), and how many
damaged pictures were withheld or frames skipped to stay close to the voice."""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QVBoxLayout, QWidget

from ..session import VideoLayer
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
                           ("rtt", self.tr("Round trip")),
                           ("receive_estimate", self.tr("Estimated bandwidth in")),
                           ("send_estimate", self.tr("Your video aims at")),
                           ("quality", self.tr("Your signal"))):
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

    def _kbps(self, value: float | None) -> str:
        return NONE if value is None else self.tr("{kbps} kbit/s").format(kbps=_number(value))

    def _video(self, name: str, fps: float, totals, paused: str | None, served=None) -> str:
        text = self.tr("{name}: {fps}").format(name=name, fps=_number(fps))
        if served is not None and served.paused:  # the server's pause: my downlink cannot carry it
            text += " " + self.tr("(paused: poor connection)")
        elif paused is not None:
            text += " " + (self.tr("(paused: your computer is busy)") if paused == "load" else self.tr("(paused)"))
        elif served is not None and served.layer is not None:
            text += " " + (self.tr("(small picture)") if served.layer == VideoLayer.LOW else self.tr("(whole picture)"))
        if totals is not None and (totals.damaged_withheld or totals.frames_skipped):
            text += " " + self.tr("({withheld} damaged pictures withheld, {skipped} frames skipped)").format(
                withheld=totals.damaged_withheld, skipped=totals.frames_skipped)
        return text

    def show_stats(self, stats, frame_rates: dict[str, float], quality: float | None,
                   names: dict[str, str], videos: dict | None = None, paused: dict | None = None,
                   served: dict | None = None) -> None:
        """``videos``: per attendee, what their video's receive path did (VideoReceiveStats);
        ``paused``: per attendee whose video is paused on my side, why; ``served``: per attendee,
        what the server last said of their video (RemoteVideoChanged: paused, the layer sent)."""
        f = self.fields
        f["send"].setText(self._rate(stats.send_kbps, stats.send_packets_per_s))
        f["send_loss"].setText(self.tr("{loss} (audio {audio_loss})").format(
            loss=self._pct(stats.uplink_loss), audio_loss=self._pct(stats.uplink_audio_loss)))
        f["receive"].setText(self._rate(stats.receive_kbps, stats.receive_packets_per_s))
        f["receive_loss"].setText(self._pct(stats.receive_loss))
        f["rtt"].setText(NONE if stats.rtt_ms is None else self.tr("{ms} ms").format(ms=_number(stats.rtt_ms)))
        f["receive_estimate"].setText(self._kbps(getattr(stats, "receive_estimate_kbps", None)))
        f["send_estimate"].setText(self._kbps(getattr(stats, "send_estimate_kbps", None)))
        qualities = {1.0: self.tr("Good"), 0.5: self.tr("Fair"), 0.0: self.tr("Poor")}
        f["quality"].setText(qualities.get(quality, NONE) if quality is not None else NONE)
        videos, paused, served = videos or {}, paused or {}, served or {}
        rates = [self._video(names.get(who, who), frame_rates.get(who, 0.0), videos.get(who), paused.get(who),
                             served.get(who))
                 for who in sorted(set(frame_rates) | set(paused) | set(served), key=lambda who: names.get(who, who))]
        self.videos.setText("\n".join(rates) or self.tr("none"))  # one person a line, as Zoom's statistics
        self.fit.request()
