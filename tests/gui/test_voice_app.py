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
    assert voice.echo_cancellation and voice.noise_suppression and voice.auto_gain_control  # on by default
    flow.open_settings()
    dialog = flow.dialogs.settings_dialog
    assert dialog.echo.isChecked() and dialog.noise.isChecked()
    dialog.echo.setChecked(False)  # a music teacher turns them off
    dialog.noise.setChecked(False)
    assert not voice.echo_cancellation and not voice.noise_suppression
    assert not flow.settings.flag("echo_cancellation")
    dialog.echo.setChecked(True)
    assert voice.echo_cancellation
    dialog.widget("join/auto_gain_control").setChecked(False)  # the microphone's volume as it is
    assert not voice.auto_gain_control
    # what the speaker plays is the echo canceller's reference
    if VoiceProcessor.available():
        speaker = flow.media.speaker
        before = len(voice._far)
        speaker.render(960)
        await eventually(lambda: len(voice._far) > before, what="the far end queued")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_youre_muted_hint_and_push_to_talk(app_flow, server: Server) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    meeting = await server.create_meeting()
    clock = Clock(1000.0)
    flow = app_flow(clock=clock)
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    call, session = flow.call, flow.session
    call.bar.mic_button.click()  # mute
    await eventually(lambda: session.muted, what="muted")
    for _ in range(7):  # talking into the muted microphone for more than a second
        session.check_muted_speech(0.1)
        clock.now += 0.2
    assert call.banner.isVisibleTo(call) and "You're muted" in call.banner.text()

    # push to talk: Space held while muted unmutes, released mutes again
    call.activateWindow()
    call.setFocus()
    QTest.keyPress(call, Qt.Key.Key_Space)
    await eventually(lambda: not session.muted, what="talking while Space is held")
    assert call.bar.mic_button.isChecked()
    QTest.keyRelease(call, Qt.Key.Key_Space)
    await eventually(lambda: session.muted, what="muted again")
    assert not call.bar.mic_button.isChecked()
    # typing a space in the chat never unmutes
    call.bar.chat_button.click()
    call.chat.input.setFocus()
    QTest.keyPress(call, Qt.Key.Key_Space)
    QTest.keyRelease(call, Qt.Key.Key_Space)
    assert session.muted
