"""Qt Multimedia adapters: real cameras, microphones, speakers and screens (no QtWidgets).

The one place in ``desktop/media`` that touches Qt; the rest of the app sees ``DeviceBackend``,
aiortc tracks and ``Speaker`` (``desktop/media/devices.py``) and ``ScreenCatalog``
(``desktop/media/screens.py``).

- ``backend.py``: ``QtBackend``, the device lists (``QMediaDevices``) and what a vanished device
  ends.
- ``frames.py``: ``QVideoFrame`` -> ``av.VideoFrame``; ``video_sink.py``: ``VideoSinkTrack``, an
  aiortc track fed by a ``QVideoSink`` that keeps only the latest frame.
- ``camera.py``: ``QCamera`` -> ``QMediaCaptureSession`` -> ``QVideoSink``; each ``QVideoFrame``
  is mapped and its planes copied into an ``av.VideoFrame`` (tens of microseconds) in whichever
  thread Qt delivers it.
- ``audio.py``, ``microphone.py``, ``speaker.py``: microphone and speaker each run on their own
  ``QThread`` owning their ``QAudioSource`` / ``QAudioSink`` (Qt audio on the GUI thread loses
  audio whenever the GUI blocks; DESIGN.md, Known traps). Captured audio reaches the asyncio
  loop as 20 ms frames through ``call_soon_threadsafe``; the speaker thread feeds the sink from
  a ``Mixer`` every 10 ms. PCM only ever crosses Qt as a ``QByteArray`` written to / read from
  Qt's own ``QIODevice`` (a Python ``QIODevice.writeData`` would truncate it at the first zero
  byte).
- ``screens.py``: ``QtScreens``, the screens and windows to share; ``screen_capture.py``: one
  capture (``QScreenCapture`` / ``QWindowCapture`` -> ``QtScreenTrack``); ``screen_access.py``:
  whether sharing can work on this desktop (the Wayland portal) and capture errors in words.

A device that fails or vanishes ends what was opened on it: tracks stop (``recv`` raises
``MediaStreamError``, the track emits ``"ended"``, ``ended_reason`` says why), speakers close
and call their ``on_ended`` callbacks. Nothing raises into the GUI.

Everything here must be created on the GUI thread (QMediaDevices, QCamera) with a
``QGuiApplication`` (or ``QCoreApplication``) alive; ``QtBackend.close()`` (also run on
``aboutToQuit``) stops every device thread.
"""
