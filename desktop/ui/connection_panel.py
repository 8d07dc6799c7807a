"""The Connection panel (Chime's UC23): what the connection does right now, every 2 seconds."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QVBoxLayout, QWidget


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


class ConnectionPanel(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConnectionPanel")
        self.setWindowTitle("Connection")
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key, label in (("send", "Sending"), ("send_loss", "Lost on the way out"),
                           ("receive", "Receiving"), ("receive_loss", "Lost on the way in"),
                           ("rtt", "Round trip"), ("quality", "Your signal")):
            field = self.fields[key] = QLabel("—", textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, field)
        self.videos = QLabel("—", wordWrap=True, objectName="muted")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Video received (frames a second)"))
        layout.addWidget(self.videos)
        layout.addStretch(1)  # the figures stay together at the top
        self.resize(360, 300)

    def show_stats(self, stats, frame_rates: dict[str, float], quality: float | None,
                   names: dict[str, str]) -> None:
        f = self.fields
        f["send"].setText(f"{stats.send_kbps:.0f} kbit/s, {stats.send_packets_per_s:.0f} packets/s")
        f["send_loss"].setText(f"{_pct(stats.uplink_loss)} (audio {_pct(stats.uplink_audio_loss)})")
        f["receive"].setText(f"{stats.receive_kbps:.0f} kbit/s, {stats.receive_packets_per_s:.0f} packets/s")
        f["receive_loss"].setText(_pct(stats.receive_loss))
        f["rtt"].setText("—" if stats.rtt_ms is None else f"{stats.rtt_ms:.0f} ms")
        f["quality"].setText({1.0: "Good", 0.5: "Fair", 0.0: "Poor"}.get(quality, "—") if quality is not None else "—")
        rates = [f"{names.get(who, who)}: {fps:.0f}" for who, fps in sorted(frame_rates.items(),
                                                                            key=lambda kv: names.get(kv[0], kv[0]))]
        self.videos.setText(", ".join(rates) or "none")
