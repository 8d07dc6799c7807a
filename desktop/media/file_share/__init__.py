"""Sharing a video file as content: decode it with PyAV and publish its picture and sound.

A :class:`FileSource` opens a local media file (MP4, MKV, WebM, MOV, or anything else FFmpeg
reads) and offers up to two aiortc tracks, ``video`` and ``audio`` (None when the file has no
such stream). Decoding, scaling (down to fit 1920x1080, keeping the aspect; rotated phone videos
are turned upright; faster than 30 fps thinned out) and resampling (48 kHz s16, stereo or mono
as the file is, 20 ms frames) run on one worker thread, never on the event loop, which under
qasync is the GUI thread (DESIGN.md, Media). The worker reads a bounded stretch ahead of what
plays (``read_ahead`` seconds of media time), so ``recv()`` only awaits a hand-over from it.
Whoever opens a source closes it (``close()``/``aclose()``): that stops the worker and releases
the file.

Pacing: both tracks deliver frames when a shared playback clock reaches their presentation
time, so picture and sound stay together. The clock starts with the first ``recv()`` of either
track, stops while paused, and runs on across loops. Outgoing timestamps are on one timeline in
the units aiortc expects (video 1/90000, audio 1/48000): they never go backwards; after a pause
they continue with the time the pause took (as a stopped microphone's would), so the receivers'
jitter estimates and lip sync see a gap, not a burst of late packets.

At the end of the file (without ``loop``) both tracks end: ``recv()`` raises
``MediaStreamError`` and the tracks emit "ended", as aiortc's ``MediaStreamTrack.stop()`` does;
``ended`` (an ``asyncio.Event``) is set once every track has ended. No Qt here.

The modules: ``decoder.py`` (opening the file and the worker thread that decodes, scales and
resamples it ahead of playback), ``timeline.py`` (what the worker and the tracks share: the
playback clock and a lane of decoded frames per track, under one lock) and ``source.py``
(``FileSource`` and its two ``FileTrack`` objects: the controls, and each frame sent when it is due).
"""
