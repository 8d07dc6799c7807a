"""Background effects for the camera: blur (light, strong) or a replacement picture. No Qt.

The person is found by a segmenter (MediaPipe's selfie segmentation "landscape" model, run by the
TensorFlow Lite runtime of the ``ai-edge-litert`` package; the model ships in
``resources/models/`` with its licence). Everything here works on the camera's own planes:

1. The frame is brought to ``yuv420p`` once (most cameras already are), then scaled down with
   swscale to the model's input (256x144 RGB, stretched, as MediaPipe does) for the segmenter.
2. ``MaskSmoother`` smooths the person probability over time, more where the model is unsure
   (so hair and hand edges do not flicker, yet a confident change follows within two frames),
   maps it through a ramp so that clear person pixels get exactly 1 and clear background exactly
   0, and feathers it slightly.
3. ``BackgroundCompositor`` scales that alpha up to the frame's luma and chroma sizes (swscale),
   builds the background — the frame shrunk to about a twelfth (strong) or a sixth (light) of
   its height, blurred there with the person weighted out (so no halo of the person's colours),
   then scaled back up; or the chosen picture, scaled to cover the frame (cropped, never
   stretched) — and blends ``out = (fg * a + bg * (256 - a) + 128) >> 8`` in 16-bit integers,
   so pixels with alpha 1 come out exactly as they went in.
4. ``BackgroundEffectTrack`` wraps the camera track: with an effect on, ``recv`` runs 1–3 in one
   dedicated worker thread (never on the event loop, which under qasync is the GUI thread).
   ``LoadGovernor`` watches the time that takes: when the machine cannot keep up, the effect
   updates the mask (and a blurred background) on fewer frames, never dropping camera frames,
   and ``on_degraded`` is called once. An exception in the effect never loses a frame: it is
   logged once and the frame passes through.

The effect lives as a string in the settings (``BackgroundEffect.to_setting``). Resources are
found through ``desktop/assets.py``, like every bundled file.

The modules: ``effect.py`` (the effect as chosen and kept, the bundled pictures and model, what
the user is told), ``segmentation.py`` (the segmenter and ``MaskSmoother``), ``compositor.py``
(``BackgroundCompositor`` and its image helpers), ``governor.py`` (``LoadGovernor``: keeping up)
and ``track.py`` (``BackgroundEffectTrack``).
"""
