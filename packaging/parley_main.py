"""The entry point PyInstaller freezes (packaging/parley.spec).

One launcher for the three programs of the bundle, chosen by the executable's own name, so the
bundle's ``parley``, ``parley-server`` and ``parley-bot`` run the same console scripts that
``pip install`` makes (pyproject.toml [project.scripts]):

- ``parley``         -> desktop.app:main
- ``parley-server``  -> server.cli:main
- ``parley-bot``     -> desktop.bot.cli:main

``parley --frozen-self-test`` (an option of this launcher only, not of the app) loads every
native piece the bundle must carry — livekit's audio processing library, PyAV's VP8 and Opus
encoders, aiortc with pylibsrtp and cryptography, the background segmenter (TensorFlow Lite) and
its model and pictures, certificate authorities for TLS, Qt Multimedia's FFmpeg backend, Qt SVG,
D-Bus, the resources — prints one line per check and exits 1 if one fails. packaging/build-linux.sh
runs it on the freshly built bundle.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SELF_TEST_FLAG = "--frozen-self-test"


def _program() -> str:
    """``parley``, ``parley-server`` or ``parley-bot``, from the name we were started as."""
    name = Path(sys.executable if getattr(sys, "frozen", False) else sys.argv[0]).name.lower()
    for suffix in (".exe",):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.startswith("parley-server") or name.startswith("parley_server"):
        return "parley-server"
    if name.startswith("parley-bot") or name.startswith("parley_bot"):
        return "parley-bot"
    return "parley"


# -- the self-test ---------------------------------------------------------------------------


def _check_resources() -> str:
    from desktop.assets import asset_path, resource_roots

    icon = asset_path("icons/app/parley.svg")
    asset_path("icons/mic.svg")
    roots = resource_roots()
    return f"{icon} (roots: {', '.join(str(r) for r in roots)})"


def _check_voice() -> str:
    import numpy as np

    from desktop.media.voice import VoiceProcessor

    if not VoiceProcessor.available():
        from desktop.media import voice

        raise RuntimeError(f"livekit does not load: {voice._IMPORT_ERROR!r}")
    processor = VoiceProcessor()
    t = np.arange(960) / 48000.0
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    for _ in range(5):
        processor.far_end(tone)
        out = processor.process(tone)
    if processor.frames_processed == 0 or len(out) != len(tone):
        raise RuntimeError("the audio processing module processed nothing")
    import livekit.rtc

    return f"livekit {livekit.rtc.__version__}: {processor.frames_processed} blocks processed"


def _check_codecs() -> str:
    import fractions

    import av
    import numpy as np

    done = []
    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
    video.time_base = fractions.Fraction(1, 90000)
    frame = av.VideoFrame.from_ndarray(np.zeros((180, 320, 3), dtype=np.uint8), format="rgb24")
    frame = frame.reformat(format="yuv420p")
    frame.pts, frame.time_base = 0, video.time_base
    packets = video.encode(frame)
    done.append(f"vp8 {sum(p.size for p in packets)} bytes")
    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.format, audio.layout = 48000, "s16", "stereo"
    audio.time_base = fractions.Fraction(1, 48000)
    samples = av.AudioFrame.from_ndarray(np.zeros((1, 1920), dtype=np.int16), format="s16", layout="stereo")
    samples.sample_rate, samples.pts, samples.time_base = 48000, 0, audio.time_base
    audio.encode(samples)
    done.append("opus ok")
    return f"av {av.__version__}: " + ", ".join(done)


def _check_webrtc() -> str:
    import asyncio

    import aiortc
    import pylibsrtp
    from aiortc import RTCConfiguration, RTCPeerConnection

    async def offer() -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            pc.addTransceiver("video", direction="sendrecv")
            pc.addTransceiver("audio", direction="sendrecv")
            pc.createDataChannel("chat")
            await pc.setLocalDescription(await pc.createOffer())
            return pc.localDescription.sdp
        finally:
            await pc.close()

    sdp = asyncio.run(offer())
    for codec in ("VP8", "opus"):
        if codec not in sdp:
            raise RuntimeError(f"{codec} missing from the offer")
    return f"aiortc {aiortc.__version__}, pylibsrtp {pylibsrtp.__version__}: offer of {len(sdp)} bytes"


def _check_background() -> str:
    try:
        from desktop.media.background.compositor import load_picture
        from desktop.media.background.effect import bundled_backgrounds, resolve_background_image
        from desktop.media.background.segmentation import SelfieSegmenter
    except ImportError:
        return "skipped (no desktop.media.background in this build)"
    import numpy as np

    reason = SelfieSegmenter.why_unavailable()
    if reason:
        raise RuntimeError(reason)
    segmenter = SelfieSegmenter()
    width, height = segmenter.input_size
    mask = segmenter.mask(np.zeros((height, width, 3), dtype=np.uint8))
    pictures = bundled_backgrounds()
    for name in pictures:
        load_picture(resolve_background_image(name))
    return f"segmenter {width}x{height} -> mask {mask.shape}; {len(pictures)} background pictures load"


def _check_tls() -> str:
    from desktop.signalling.tls import verifying_context

    authorities = verifying_context().cert_store_stats().get("x509_ca", 0)
    if not authorities:
        raise RuntimeError("no certificate authorities to verify parleys:// servers (certifi missing?)")
    return f"{authorities} certificate authorities for parleys:// servers"


def _check_server() -> str:
    import server.app
    import server.cli  # noqa: F401 - "Start a meeting on this computer" and parley-server

    import desktop.bot.cli  # noqa: F401 - parley-bot

    return "server.app, server.cli, desktop.bot.cli import"


def _check_qt() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import __version__ as pyside_version
    from PySide6.QtDBus import QDBusConnection  # noqa: F401 - the idle watcher's D-Bus backends
    from PySide6.QtMultimedia import QMediaFormat
    from PySide6.QtWidgets import QApplication

    from desktop.assets import asset_path

    app = QApplication.instance() or QApplication([sys.argv[0]])
    formats = QMediaFormat().supportedFileFormats(QMediaFormat.ConversionMode.Decode)
    if not formats:
        raise RuntimeError("Qt Multimedia found no backend (the FFmpeg plugin did not load)")
    from PySide6.QtGui import QIcon

    icon = QIcon(str(asset_path("icons/app/parley.svg")))
    if icon.pixmap(64, 64).isNull():
        raise RuntimeError("the SVG icon did not render (QtSvg / the svg icon engine missing)")
    del app
    return f"PySide6 {pyside_version}: multimedia decodes {len(formats)} formats, SVG icons render"


def self_test() -> int:
    checks = [("resources", _check_resources), ("voice", _check_voice), ("codecs", _check_codecs),
              ("webrtc", _check_webrtc), ("background", _check_background), ("tls", _check_tls),
              ("server", _check_server), ("qt", _check_qt)]
    failed = 0
    for name, check in checks:
        try:
            print(f"ok   {name}: {check()}", flush=True)
        except Exception as exc:  # report every failure, not just the first
            failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
    print("self-test " + ("passed" if not failed else f"failed ({failed})"), flush=True)
    return 1 if failed else 0


def main() -> int:
    if SELF_TEST_FLAG in sys.argv[1:]:
        return self_test()
    program = _program()
    if program == "parley-server":
        from server.cli import main as entry
    elif program == "parley-bot":
        from desktop.bot.cli import main as entry
    else:
        from desktop.app import main as entry
    return entry(sys.argv[1:])


if __name__ == "__main__":
    # multiprocessing in a frozen app re-runs the executable; let it do its own thing first.
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
