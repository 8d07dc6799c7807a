"""The microphone's processing in the app: on by default, switched from the settings, and fed
with what the speaker plays."""

from __future__ import annotations

from app_support import join_from_lobby
from desktop.media.voice import VoiceProcessor
from support import Server, eventually


async def test_echo_and_noise_settings_reach_the_microphone_and_the_speaker_feeds_the_far_end(
        app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    voice = flow.media.voice
    assert voice.echo_cancellation and voice.noise_suppression  # on by default
    flow.open_settings()
    dialog = flow.settings_dialog
    assert dialog.echo.isChecked() and dialog.noise.isChecked()
    dialog.echo.setChecked(False)  # a music teacher turns them off
    dialog.noise.setChecked(False)
    assert not voice.echo_cancellation and not voice.noise_suppression
    assert not flow.settings.flag("echo_cancellation", True)
    dialog.echo.setChecked(True)
    assert voice.echo_cancellation
    # what the speaker plays is the echo canceller's reference
    if VoiceProcessor.available():
        speaker = flow.media.speaker
        before = len(voice._far)
        speaker.render(960)
        await eventually(lambda: len(voice._far) > before, what="the far end queued")
