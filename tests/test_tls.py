"""TLS: the server speaks https/wss with --tls-cert/--tls-key; the client verifies the
certificate, and trusts a self-signed one only after the user said so (pinned by fingerprint).

Everything on loopback, with a self-signed certificate for 127.0.0.1 made at test time."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import ipaddress
import re
import ssl
import sys
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from desktop.session.meeting_session import MeetingSession
from desktop.signalling import rest
from desktop.signalling.client import JoinUrl, SignallingClient
from desktop.signalling.tls import (
    MemoryTrustStore,
    UntrustedCertificate,
    describe_verify_error,
    format_fingerprint,
    normalize_fingerprint,
)
from server.app import start_server
from server.cli import parse_args
from server.clock import ManualClock
from server.config import ServerConfig
from server.tls import TlsSetupError, certificate_fingerprint, tls_context
from support import API_KEY, AUTH
from wire import Join, Joined

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Certificate:
    cert: Path
    key: Path
    der: bytes

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest()


def make_certificate(directory: Path, name: str = "server") -> Certificate:
    """A self-signed certificate for CN/SAN 127.0.0.1, valid for a day, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Certificate(cert_path, key_path, cert.public_bytes(serialization.Encoding.DER))


@dataclass
class TlsServer:
    base_url: str
    port: int
    certificate: Certificate
    http: aiohttp.ClientSession  # verifies against the test certificate as its CA

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def call(self, method: str, path: str, body=None, headers=AUTH) -> tuple[int, dict]:
        async with self.http.request(method, self.base_url + path, json=body, headers=headers) as response:
            return response.status, await response.json()

    async def meeting(self, **body) -> str:
        status, data = await self.call("POST", "/v1/meetings", body)
        assert status == 201, data
        return data["meeting"]["id"]

    async def attendee(self, meeting_id: str, name: str = "Ada", role: str = "host") -> dict:
        status, data = await self.call("POST", f"/v1/meetings/{meeting_id}/attendees",
                                       {"user_id": f"u-{name}", "name": name, "role": role})
        assert status == 201, data
        return data

    async def join_url(self, name: str = "Ada", role: str = "host", **meeting) -> str:
        """A join link to a new meeting, as parleys:// whatever the server wrote (the scheme the
        server writes is checked on its own, in test_join_links_say_parleys)."""
        url = (await self.attendee(await self.meeting(**meeting), name, role))["join_url"]
        return re.sub(r"^parleys?://", "parleys://", url)


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return make_certificate(tmp_path / "tls")


@pytest.fixture
def trust() -> MemoryTrustStore:
    """The certificates the user trusted, as the app hands them to its connections: none yet."""
    return MemoryTrustStore()


@pytest.fixture
async def tls_server(tmp_path: Path, certificate: Certificate) -> AsyncIterator[TlsServer]:
    config = ServerConfig(port=0, data_dir=tmp_path / "data", api_key=API_KEY,
                          tls_cert=certificate.cert, tls_key=certificate.key)
    runner, base_url, _app = await start_server(config, ManualClock())
    try:
        port = int(base_url.rsplit(":", 1)[1])
        verify = ssl.create_default_context(cafile=str(certificate.cert))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=verify)) as http:
            yield TlsServer(base_url, port, certificate, http)
    finally:
        await runner.cleanup()


def ignore(_message) -> None:
    pass


# --- the server -----------------------------------------------------------------------------


async def test_server_speaks_https_verifiable_with_its_certificate(tls_server: TlsServer) -> None:
    assert tls_server.base_url == f"https://127.0.0.1:{tls_server.port}"
    assert await tls_server.call("GET", "/healthz", headers={}) == (200, {"status": "ok"})
    # plain http on the TLS port gets nowhere
    async with aiohttp.ClientSession() as plain:
        with pytest.raises(aiohttp.ClientError):
            async with plain.get(f"http://127.0.0.1:{tls_server.port}/healthz") as response:
                await response.read()


async def test_server_refuses_tls_older_than_1_2(tls_server: TlsServer) -> None:
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(str(tls_server.certificate.cert))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the point: an old version
            old.minimum_version = ssl.TLSVersion.TLSv1_1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot even try TLS 1.1")
    with pytest.raises((ssl.SSLError, OSError)):
        _reader, writer = await asyncio.open_connection("127.0.0.1", tls_server.port, ssl=old)
        writer.close()


async def test_join_links_say_parleys(tls_server: TlsServer) -> None:
    meeting_id = await tls_server.meeting()
    data = await tls_server.attendee(meeting_id)
    assert data["join_url"].startswith(f"parleys://127.0.0.1:{tls_server.port}/m/{meeting_id}?token=")
    status, invite = await tls_server.call("POST", f"/v1/meetings/{meeting_id}/invites", {})
    assert status == 201, invite
    assert invite["invite_url"].startswith(f"parleys://127.0.0.1:{tls_server.port}/m/{meeting_id}?token=")
    url = JoinUrl(data["join_url"])
    assert (url.http_base, url.websocket_url, url.host_port) == (
        tls_server.base_url, f"wss://127.0.0.1:{tls_server.port}/v1/rtc", tls_server.host_port)


def test_certificate_fingerprint_is_the_sha256_of_the_certificate(certificate: Certificate) -> None:
    printed = certificate_fingerprint(certificate.cert)
    assert printed == format_fingerprint(certificate.fingerprint)
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", printed)
    assert normalize_fingerprint(printed) == certificate.fingerprint


def test_tls_context_is_tls_1_2_or_newer(certificate: Certificate, tmp_path: Path) -> None:
    context = tls_context(ServerConfig(data_dir=tmp_path, tls_cert=certificate.cert, tls_key=certificate.key))
    assert context is not None and context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert tls_context(ServerConfig(data_dir=tmp_path)) is None


def test_bad_certificate_files_are_refused_clearly(certificate: Certificate, tmp_path: Path) -> None:
    other = make_certificate(tmp_path / "other", "other")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    encrypted = tmp_path / "encrypted.key"
    key = serialization.load_pem_private_key(certificate.key.read_bytes(), None)
    encrypted.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"secret")))

    def refusal(cert: Path, key: Path) -> str:
        with pytest.raises(TlsSetupError) as caught:
            tls_context(ServerConfig(data_dir=tmp_path, tls_cert=cert, tls_key=key))
        return str(caught.value)

    missing = tmp_path / "missing.pem"
    assert f"cannot read the TLS certificate {missing}" in refusal(missing, certificate.key)
    assert f"cannot read the TLS key {missing}" in refusal(certificate.cert, missing)
    assert f"{garbage} holds no PEM certificate" in refusal(garbage, certificate.key)
    assert f"{garbage} is not the PEM private key of the certificate in {certificate.cert}" in refusal(
        certificate.cert, garbage)
    assert f"{other.key} is not the PEM private key" in refusal(certificate.cert, other.key)
    assert "is encrypted" in refusal(certificate.cert, encrypted)
    with pytest.raises(ValueError, match="both, or neither"):
        ServerConfig(data_dir=tmp_path, tls_cert=certificate.cert)


def test_cli_wants_both_tls_options(certificate: Certificate, capsys) -> None:
    for args in (["--tls-cert", str(certificate.cert)], ["--tls-key", str(certificate.key)]):
        with pytest.raises(SystemExit) as exit_:
            parse_args(args)
        assert exit_.value.code == 2
        assert "--tls-cert and --tls-key go together" in capsys.readouterr().err
    config = parse_args(["--tls-cert", str(certificate.cert), "--tls-key", str(certificate.key)])
    assert config.tls and (config.tls_cert, config.tls_key) == (certificate.cert, certificate.key)
    assert not parse_args([]).tls


async def _server_process(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    from test_server_cli import server_env

    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--port", "0", "--data-dir", str(cwd / "data"), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=server_env(), cwd=REPO)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_cli_prints_the_fingerprint_and_an_https_address(certificate: Certificate, tmp_path: Path) -> None:
    process = await _server_process("--tls-cert", str(certificate.cert), "--tls-key", str(certificate.key),
                                    cwd=tmp_path)
    try:
        lines = []
        while not lines or "listening on" not in lines[-1]:
            line = await asyncio.wait_for(process.stdout.readline(), 20)
            assert line, (await process.stderr.read()).decode()
            lines.append(line.decode())
        assert f"TLS certificate SHA-256 fingerprint: {format_fingerprint(certificate.fingerprint)}\n" in lines
        assert re.fullmatch(r"parley-server listening on https://127\.0\.0\.1:\d+\n", lines[-1])
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_cli_says_why_it_cannot_use_the_certificate(certificate: Certificate, tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    process = await _server_process("--tls-cert", str(missing), "--tls-key", str(certificate.key), cwd=tmp_path)
    _out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 1
    assert f"parley-server: cannot start: cannot read the TLS certificate {missing}" in err.decode()


# --- the client -----------------------------------------------------------------------------


async def test_an_unverifiable_certificate_is_refused_with_its_fingerprint(
        tls_server: TlsServer, trust: MemoryTrustStore) -> None:
    url = JoinUrl(await tls_server.join_url())
    client = SignallingClient(url.websocket_url, ignore, trust=trust)
    with pytest.raises(UntrustedCertificate) as caught:
        await client.connect()
    refused = caught.value
    assert refused.host_port == tls_server.host_port
    assert refused.fingerprint == tls_server.certificate.fingerprint
    assert refused.reason == "the certificate is self-signed"
    assert not refused.changed
    assert format_fingerprint(refused.fingerprint) in str(refused)
    assert isinstance(refused, ConnectionError)  # code that does not know it still stops
    assert trust.trusted_fingerprint(tls_server.host_port) is None  # nothing trusted silently
    await client.close()
    # the Extend call (REST) is refused the same way
    with pytest.raises(UntrustedCertificate) as caught:
        await rest.update_settings(url, {"limits": {"max_duration_seconds": 600}}, trust=trust)
    assert caught.value.fingerprint == tls_server.certificate.fingerprint


async def test_after_the_user_trusts_it_the_client_joins(tls_server: TlsServer, trust: MemoryTrustStore) -> None:
    link = await tls_server.join_url(settings_override={"limits": {"max_duration_seconds": 600}})
    url = JoinUrl(link)
    with pytest.raises(UntrustedCertificate) as caught:
        await SignallingClient(url.websocket_url, ignore, trust=trust).connect()
    caught.value.trust()  # "Trust this server"
    assert trust.trusted_fingerprint(tls_server.host_port) == tls_server.certificate.fingerprint

    client = SignallingClient(url.websocket_url, ignore, trust=trust)
    await client.connect()
    try:
        joined = await client.request(Join(meeting_id=url.meeting_id, token=url.token, name="Ada"))
        assert isinstance(joined, Joined) and joined.attendee.name == "Ada"
    finally:
        await client.close()

    # a whole session without devices joins too, and a host's Extend goes through
    session = MeetingSession(link, name="Ada", reconnect=False, trust=trust)
    joined = await asyncio.wait_for(session.join(), 20)
    try:
        assert session.me is not None and session.me.attendee_id == joined.attendee.attendee_id
        meeting = await rest.update_settings(url, {"limits": {"max_duration_seconds": 1200}}, trust=trust)
        assert meeting["id"] == url.meeting_id
    finally:
        await session.leave()


async def test_a_different_certificate_than_the_trusted_one_is_refused(
        tls_server: TlsServer, trust: MemoryTrustStore) -> None:
    url = JoinUrl(await tls_server.join_url())
    wrong = "ab" * 32
    trust.trust(tls_server.host_port, wrong)
    with pytest.raises(UntrustedCertificate) as caught:
        await SignallingClient(url.websocket_url, ignore, trust=trust).connect()
    refused = caught.value
    assert refused.changed and refused.previously_trusted == wrong
    assert refused.fingerprint == tls_server.certificate.fingerprint
    assert refused.reason == "it is not the certificate you trusted for this server before"
    with pytest.raises(UntrustedCertificate):
        await rest.update_settings(url, {"limits": {"max_duration_seconds": 600}}, trust=trust)


async def test_trust_is_per_server_and_per_store(tls_server: TlsServer, trust: MemoryTrustStore) -> None:
    url = JoinUrl(await tls_server.join_url())
    # trusting this fingerprint for another port changes nothing here
    trust.trust(f"127.0.0.1:{tls_server.port + 1}", tls_server.certificate.fingerprint)
    with pytest.raises(UntrustedCertificate):
        await SignallingClient(url.websocket_url, ignore, trust=trust).connect()
    # the store given to a client is the one it consults (and the one trust() writes to)
    own = MemoryTrustStore()
    with pytest.raises(UntrustedCertificate) as caught:
        await SignallingClient(url.websocket_url, ignore, trust=own).connect()
    caught.value.trust()
    assert own.trusted_fingerprint(tls_server.host_port) == tls_server.certificate.fingerprint
    assert trust.trusted_fingerprint(tls_server.host_port) is None
    client = SignallingClient(url.websocket_url, ignore, trust=own)
    await client.connect()
    await client.close()


async def test_plain_parley_links_still_work(server, trust: MemoryTrustStore) -> None:
    meeting = await server.create_meeting()
    url = JoinUrl(await server.join_url(meeting["id"], "Ada"))
    assert not url.secure
    client = SignallingClient(url.websocket_url, ignore, trust=trust)
    await client.connect()
    try:
        assert isinstance(await client.request(Join(meeting_id=url.meeting_id, token=url.token, name="Ada")), Joined)
    finally:
        await client.close()


def test_fingerprints_and_reasons_in_words() -> None:
    digits = "0123456789abcdef" * 4
    assert format_fingerprint(digits).startswith("01:23:45:67:89:AB:CD:EF:01")
    assert normalize_fingerprint(format_fingerprint(digits)) == digits
    assert normalize_fingerprint(digits.upper()) == digits
    with pytest.raises(ValueError):
        normalize_fingerprint("ab:cd")
    error = ssl.SSLCertVerificationError()
    error.verify_code, error.verify_message = 10, "certificate has expired"
    assert describe_verify_error(error) == "the certificate has expired"
    error.verify_code, error.verify_message = 99, "something odd"
    assert describe_verify_error(error) == "the certificate could not be verified (something odd)"
