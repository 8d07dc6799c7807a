"""Hosting for the local network: "Start a meeting on this computer" keeps its meeting on this
computer unless the user lets people from this network in, and asks first; the lobby says where
the invite link works. The "LAN address" is injected: 127.0.0.2, a second loopback address."""

from __future__ import annotations

import os
import socket

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.hosted_server import HostedServer, child_environment
from desktop.hosting import NoNetworkAddress, Reach, hosting_address, lan_address
from desktop.media.devices import DeviceManager
from desktop.media.synthetic.backend import SyntheticBackend
from desktop.session.meeting_session import MeetingSession
from desktop.ui.flow import AppFlow
from desktop.ui.settings import Settings
from conftest import SMALL
from support import LIGHT_SMALL, RunningBot, bounded, eventually

LAN = "127.0.0.2"


def can_bind(address: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


@pytest.fixture
async def hosting_flow(qsettings, tmp_path):
    if not can_bind(LAN):
        pytest.skip(f"this machine cannot bind {LAN} (a second loopback address)")
    devices = DeviceManager([SyntheticBackend()])
    local = HostedServer(tmp_path / "local-server", environ=child_environment(os.environ), find_lan=lambda: LAN)
    flow = AppFlow(devices, Settings(qsettings), SMALL, local.start_meeting, session_factory=MeetingSession)
    try:
        yield flow, local
    finally:
        flow.quit()
        await bounded(flow.shutdown, 10, "the app's shutdown")
        await bounded(local.close(), 30, "the local server's close")
        devices.close()


def question(flow: AppFlow) -> QMessageBox | None:
    box = flow.start_window.findChild(QMessageBox, "NetworkHostingBox")
    return box if box is not None and box.isVisible() else None


def button(box: QMessageBox, text: str):
    return next(b for b in box.buttons() if b.text() == text)


async def test_the_default_meeting_is_for_this_computer_and_says_so(hosting_flow) -> None:
    flow, local = hosting_flow
    flow.start()
    assert not flow.start_window.network_host.isChecked()
    flow.start_window.host_button.click()
    await eventually(lambda: flow.lobby is not None and flow.lobby.isVisible(), timeout=15, what="lobby")
    assert question(flow) is None  # nothing asked: nothing opened to the network
    assert flow.lobby.invite.text().startswith("parley://127.0.0.1:")
    assert flow.lobby.invite_label.text() == "Invite link (works only on this computer)"
    assert local.address == "127.0.0.1"


async def test_people_from_this_network_are_let_in_only_after_asking(hosting_flow) -> None:
    flow, local = hosting_flow
    flow.start()
    flow.start_window.network_host.setChecked(True)

    # asked, and declined: the meeting stays on this computer
    flow.start_window.host_button.click()
    await eventually(lambda: question(flow) is not None, what="the question")
    box = question(flow)
    assert "will not work from anywhere else" in box.text()
    button(box, "Only this computer").click()
    await eventually(lambda: flow.lobby is not None and flow.lobby.isVisible(), timeout=15, what="lobby")
    assert flow.lobby.invite.text().startswith("parley://127.0.0.1:")

    # asked again, and accepted: the server moves to the network address, the link says so
    flow.lobby.back_button.click()
    flow.start_window.host_button.click()
    await eventually(lambda: question(flow) is not None, what="the question again")
    button(question(flow), "Accept people from this network").click()
    await eventually(lambda: flow.lobby.isVisible() and LAN in flow.lobby.invite.text(), timeout=15,
                     what="the network's invite link")
    invite = flow.lobby.invite.text()
    assert invite.startswith(f"parley://{LAN}:")
    assert flow.lobby.invite_label.text() == "Invite link (works only on this network)"
    assert local.address == LAN

    # a colleague on the network joins with it, and gets in
    guest = RunningBot(invite, name="Colleague", **LIGHT_SMALL)
    await eventually(lambda: guest.session is not None and guest.session.me is not None,
                     timeout=15, what="the colleague in the meeting")
    await guest.finish()
    assert guest.report.end_reason == "left"


def test_the_hosting_address_for_each_reach() -> None:
    assert hosting_address(Reach.THIS_COMPUTER, lambda: LAN) == "127.0.0.1"
    assert hosting_address(Reach.THIS_NETWORK, lambda: LAN) == LAN
    with pytest.raises(NoNetworkAddress):
        hosting_address(Reach.THIS_NETWORK, lambda: None)
    found = lan_address()  # this machine's own: whatever it is, never loopback
    assert found is None or not found.startswith("127.")
