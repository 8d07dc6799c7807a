"""The app meets a server whose certificate it cannot verify: it asks, and joins only after
the user trusts the certificate; Cancel leaves the lobby with the reason shown."""

from __future__ import annotations

import ssl

import aiohttp
import pytest

from desktop.ui.settings import Settings
from server.app import start_server
from server.clock import ManualClock
from server.config import ServerConfig
from support import API_KEY, AUTH, eventually
from test_tls import make_certificate


@pytest.fixture
def trust(qsettings):
    """The certificates the user trusted, where the app's sessions consult them (its settings)."""
    return Settings(qsettings).trusted_certificates


@pytest.fixture
async def tls_link(tmp_path):
    certificate = make_certificate(tmp_path / "tls")
    config = ServerConfig(port=0, data_dir=tmp_path / "data", api_key=API_KEY,
                          tls_cert=certificate.cert, tls_key=certificate.key)
    runner, base_url, _app = await start_server(config, ManualClock())
    verify = ssl.create_default_context(cafile=str(certificate.cert))
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=verify)) as http:
            async def link(name: str = "Ada") -> str:
                async with http.post(f"{base_url}/v1/meetings", json={}, headers=AUTH) as r:
                    meeting = (await r.json())["meeting"]["id"]
                async with http.post(f"{base_url}/v1/meetings/{meeting}/attendees", headers=AUTH,
                                     json={"user_id": f"u-{name}", "name": name, "role": "host"}) as r:
                    return (await r.json())["join_url"]
            yield certificate, base_url.split("//")[1], link
    finally:
        await runner.cleanup()


async def test_the_app_asks_before_trusting_a_server_and_then_joins(app_flow, tls_link, trust) -> None:
    certificate, host_port, link = tls_link
    url = await link()
    assert url.startswith("parleys://")
    flow = app_flow()
    flow.open_lobby(url)
    lobby = flow.lobby
    await eventually(lobby.isVisible, what="lobby")
    lobby.join_button.click()
    await eventually(lambda: flow.trust_dialog is not None and flow.trust_dialog.isVisible(), what="trust dialog")
    dialog = flow.trust_dialog
    assert dialog.fingerprint_label.text().replace("\n", "").replace(":", "").lower() == certificate.fingerprint
    assert dialog.host_port == host_port
    assert "certificate is not trusted" in lobby.error.text()
    assert flow.session is None and trust.trusted_fingerprint(host_port) is None

    dialog.trust_button.click()
    await eventually(lambda: flow.call is not None and flow.call.isVisible() and flow.session is not None,
                     timeout=15, what="call window")
    assert trust.trusted_fingerprint(host_port) == certificate.fingerprint


async def test_cancel_stays_in_the_lobby_and_trusts_nothing(app_flow, tls_link, trust) -> None:
    certificate, host_port, link = tls_link
    flow = app_flow()
    flow.open_lobby(await link())
    lobby = flow.lobby
    await eventually(lobby.isVisible, what="lobby")
    lobby.join_button.click()
    await eventually(lambda: flow.trust_dialog is not None and flow.trust_dialog.isVisible(), what="trust dialog")
    flow.trust_dialog.cancel_button.click()
    await eventually(lambda: not flow.trust_dialog.isVisible(), what="dialog closed")
    assert lobby.isVisible() and lobby.join_button.isEnabled()
    assert "certificate is not trusted" in lobby.error.text()
    assert flow.session is None and trust.trusted_fingerprint(host_port) is None
