"""Bug 10 (issue 21): Settings said "System default" for the microphone and speaker while the
call used the devices the lobby showed; it names the device "System default" means now."""

from __future__ import annotations

from app_support import join_from_lobby
from desktop.media.devices import DeviceKind
from support import Server


async def test_settings_names_the_devices_the_call_uses(app_flow, server: Server) -> None:
    meeting = await server.create_meeting()
    flow = app_flow()
    await join_from_lobby(flow, await server.join_url(meeting["id"], "Ada"), "Ada")
    flow.open_settings()
    dialog = flow.dialogs.settings_dialog
    for kind in (DeviceKind.MICROPHONE, DeviceKind.SPEAKER):
        used = flow.devices.current(kind)
        assert used is not None
        combo = dialog.widget(f"devices/{kind}")
        assert combo.currentText() == f"System default ({used.name})", kind
    await flow.leave()
