"""A publisher's offer is vetted before aiortc sees it (server/sfu/offer.py): hostile shapes are
refused with ``negotiation_failed``, a sentence and no traceback, and aioice never gets their
candidates; the answer carries only the codecs forwarded, whatever the offer prefers."""

from __future__ import annotations

import asyncio
import logging
import re

import aioice.ice
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from server.sfu.offer import MAX_CANDIDATES_PER_SECTION, vet_publish_offer
from server.sfu.forwarding import UpTrack
from server.sfu.peers import PublisherPeer, SubscriberPeer
from wire import ErrorCode, ProtocolError

ICE = ("127.0.0.1",)


async def client_offer(audio: tuple[str, ...] | None = None, video: tuple[str, ...] | None = None) -> str:
    """A publishing offer as an aiortc client makes it; ``audio``/``video``: the codecs it
    prefers, in order (None: aiortc's own list)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for kind, wanted in (("audio", audio), ("video", video)):
        transceiver = pc.addTransceiver(kind, direction="sendonly")
        if wanted is not None:
            caps = RTCRtpSender.getCapabilities(kind).codecs
            transceiver.setCodecPreferences([c for m in wanted for c in caps if c.mimeType == m])
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def with_candidates(sdp: str, count: int, section: int = 0, address: str = "127.0.{}.{}") -> str:
    """``sdp`` with ``count`` more host candidates in its ``section``-th media section (on
    loopback by default: an answered offer makes the server send checks to them)."""
    parts = re.split(r"(?=^m=)", sdp, flags=re.M)
    lines = "".join(
        f"a=candidate:{i} 1 udp {2130706431 - i} {address.format(i // 250, i % 250 + 1)} {10000 + i} typ host\r\n"
        for i in range(count))
    parts[section + 1] += lines
    return "".join(parts)


def without(sdp: str, prefix: str) -> str:
    return "".join(line + "\r\n" for line in sdp.splitlines() if not line.startswith(prefix))


def codecs_in(sdp: str) -> dict[str, list[str]]:
    """Each section's kind -> the codec names its m= line lists, in order."""
    result: dict[str, list[str]] = {}
    for part in re.split(r"(?=^m=)", sdp, flags=re.M)[1:]:
        head = part.splitlines()[0].split()
        names = dict(re.findall(r"^a=rtpmap:(\d+) ([^/\s]+)", part, flags=re.M))
        result[head[0][2:]] = [names[pt] for pt in head[3:]]
    return result


@pytest.fixture
def remote_candidates(monkeypatch) -> list[object]:
    """Every remote candidate aioice is given, in the whole process."""
    seen: list[object] = []
    add = aioice.ice.Connection.add_remote_candidate

    async def counting(self, candidate):
        if candidate is not None:
            seen.append(candidate)
        return await add(self, candidate)

    monkeypatch.setattr(aioice.ice.Connection, "add_remote_candidate", counting)
    return seen


@pytest.fixture
def no_tracebacks(caplog):
    caplog.set_level(logging.DEBUG)
    yield
    # aiortc logs DTLS failures and asyncio logs a task's exception with exc_info
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [f"{r.name}: {r.getMessage()}" for r in bad]


async def refused(sdp: str) -> tuple[str, PublisherPeer]:
    peer = PublisherPeer("mallory", ICE)
    try:
        with pytest.raises(ProtocolError) as caught:
            await peer.answer(sdp)
        assert caught.value.code is ErrorCode.NEGOTIATION_FAILED
        assert not peer.pc.getTransceivers() and not peer.tracks  # no aiortc work was done
        return caught.value.message, peer
    finally:
        await peer.close()


async def test_an_offer_with_2500_candidates_is_refused_before_aioice_sees_one(
        remote_candidates, no_tracebacks) -> None:
    message, _ = await refused(with_candidates(await client_offer(), 2500))
    assert f"more than {MAX_CANDIDATES_PER_SECTION} ICE candidates" in message
    assert remote_candidates == []


async def test_an_offer_at_the_cap_is_answered_and_its_candidates_reach_aioice(remote_candidates) -> None:
    """As aiortc makes them: the same candidates in both sections. The server's connection
    bundles every section on one transport, and aioice gets one section's candidates."""
    offer = without(await client_offer(), "a=candidate:")
    offer = with_candidates(with_candidates(offer, MAX_CANDIDATES_PER_SECTION, 0), MAX_CANDIDATES_PER_SECTION, 1)
    peer = PublisherPeer("ada", ICE)
    try:
        answer = await peer.answer(offer)
        assert set(codecs_in(answer)) == {"audio", "video"}
        assert len(remote_candidates) == MAX_CANDIDATES_PER_SECTION
    finally:
        await peer.close()


async def test_an_offer_with_twenty_media_sections_is_refused(remote_candidates) -> None:
    offer = await client_offer()
    video = re.split(r"(?=^m=)", offer, flags=re.M)[2]
    many = offer + video * 18
    assert many.count("\nm=") == 20
    message, _ = await refused(many)
    assert "at most one audio and 2 video sections" in message and "20 sections" in message
    assert remote_candidates == []


@pytest.mark.parametrize("line, what", [("a=fingerprint:", "no DTLS fingerprint"),
                                         ("a=setup:", "no DTLS role (a=setup)")])
async def test_an_offer_without_dtls_is_refused_without_a_traceback(line, what, remote_candidates,
                                                                      no_tracebacks) -> None:
    message, _ = await refused(without(await client_offer(), line))
    assert what in message
    assert remote_candidates == []


async def test_a_data_channel_section_is_refused() -> None:
    offer = await client_offer()
    application = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n"
    message, _ = await refused(offer + application)
    assert "at most one audio and 2 video sections" in message


@pytest.mark.parametrize("address", ["0.0.0.0", "224.0.0.251", "239.255.255.250", "255.255.255.255",
                                     "240.0.0.1", "::", "ff02::1", "::ffff:224.0.0.1", "example.com"])
async def test_candidates_at_unusable_addresses_are_refused(address, remote_candidates) -> None:
    offer = without(await client_offer(), "a=candidate:")
    message, _ = await refused(with_candidates(offer, 1, address=address))
    assert "address" in message
    assert remote_candidates == []


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "4b1e0b3a-1c2d.local"])
def test_candidates_a_real_client_offers_pass(address) -> None:
    offer = "v=0\r\na=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" \
            "a=rtpmap:111 opus/48000/2\r\n"
    vetted = vet_publish_offer(offer + f"a=candidate:1 1 udp 1 {address} 5000 typ host\r\n"
                                       "a=candidate:2 1 tcp 1 127.0.0.1 9 typ host tcptype active\r\n")
    assert vetted.kinds == ("audio",) and vetted.candidates == 2


async def test_an_offer_preferring_h264_and_pcmu_is_answered_with_vp8_and_opus() -> None:
    offer = await client_offer(audio=("audio/PCMU", "audio/opus"),
                               video=("video/H264", "video/VP8", "video/rtx"))
    offered = codecs_in(offer)
    assert offered["audio"][0] == "PCMU" and offered["video"][0] == "H264"
    peer = PublisherPeer("ada", ICE)
    try:
        answered = codecs_in(await peer.answer(offer))
        assert answered["audio"] == ["opus"]
        assert answered["video"][0] == "VP8" and set(answered["video"]) == {"VP8", "rtx"}
    finally:
        await peer.close()


@pytest.mark.parametrize("audio, video, kind, missing", [
    (None, ("video/H264", "video/rtx"), "video", "VP8"),
    (("audio/PCMU", "audio/PCMA"), None, "audio", "Opus"),
])
async def test_an_offer_without_the_forwarded_codecs_is_refused(audio, video, kind, missing,
                                                                remote_candidates) -> None:
    message, _ = await refused(await client_offer(audio=audio, video=video))
    assert message.startswith("this server forwards VP8 video (with RTX) and Opus audio")
    assert f"{kind} section has no {missing}" in message
    assert remote_candidates == []


@pytest.fixture
async def subscriber_offer():
    """A subscriber connection with an offer waiting, and a client's answer to it."""
    offers: list[str] = []

    async def send_offer(sdp: str, tracks) -> None:
        offers.append(sdp)

    async def send_tracks(tracks) -> None:
        pass

    peer = SubscriberPeer(send_offer, send_tracks, ICE)
    up = UpTrack("ada", "video", request_pli=lambda ssrc: None)
    await peer.update({("ada", "video"): up})
    client = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    await client.setRemoteDescription(RTCSessionDescription(offers[-1], "offer"))
    await client.setLocalDescription(await client.createAnswer())
    yield peer, client.localDescription.sdp
    up.close()
    await client.close()
    await peer.close()


@pytest.mark.parametrize("edit, what", [
    (lambda sdp: without(sdp, "a=fingerprint:"), "no DTLS fingerprint"),
    (lambda sdp: without(sdp, "a=setup:"), "no DTLS role (a=setup)"),
    (lambda sdp: with_candidates(sdp, 2500), f"more than {MAX_CANDIDATES_PER_SECTION} ICE candidates"),
])
async def test_a_hostile_subscribe_answer_is_refused_before_aiortc(subscriber_offer, edit, what,
                                                                   remote_candidates, no_tracebacks) -> None:
    peer, answer = subscriber_offer
    with pytest.raises(ProtocolError) as caught:
        await peer.on_answer(edit(answer))
    assert caught.value.code is ErrorCode.NEGOTIATION_FAILED and what in caught.value.message
    assert remote_candidates == [] and peer.pc.remoteDescription is None
    await peer.on_answer(answer)  # the offer still waits: the real answer is taken
    assert peer.pc.remoteDescription is not None


@pytest.fixture(scope="module")
def real_offer_sdp() -> str:
    return asyncio.run(client_offer())


_attribute = st.sampled_from(["a=candidate:", "a=fingerprint:", "a=setup:", "a=rtpmap:", "m=", "a=mid:", ""])
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
_edits = st.lists(st.tuples(st.sampled_from(["delete", "replace", "insert", "truncate"]),
                            st.floats(0, 1, exclude_max=True), _attribute, _text), max_size=6)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(edits=_edits)
def test_vetting_any_edited_offer_answers_a_verdict_or_negotiation_failed(real_offer_sdp, edits) -> None:
    lines = real_offer_sdp.splitlines()
    for how, where, prefix, text in edits:
        at = int(where * len(lines)) if lines else 0
        if how == "delete" and lines:
            del lines[at]
        elif how == "replace" and lines:
            lines[at] = prefix + text
        elif how == "insert":
            lines.insert(at, prefix + text)
        elif how == "truncate" and lines:
            lines[at] = lines[at][: len(lines[at]) // 2]
    try:
        vetted = vet_publish_offer("\r\n".join(lines) + "\r\n")
    except ProtocolError as refusal:
        assert refusal.code is ErrorCode.NEGOTIATION_FAILED and refusal.message
    else:
        assert set(vetted.kinds) <= {"audio", "video"} and len(vetted.kinds) == len(set(vetted.kinds)) >= 1
