"""Vetting the SDP a participant sends (a publisher's offer, a subscriber's answer) before aiortc
sees it.

aiortc trusts an offer's shape: every ``a=candidate`` line becomes a remote candidate that aioice
pairs and checks (its insertion is quadratic, and each unanswered check is a STUN request sent
seven times to an address and port the offer chose), every ``m=`` line a transceiver, and an
offer without a DTLS fingerprint or ``a=setup`` is accepted and fails later, with a traceback,
in a task nobody waits for. So :func:`vet_publish_offer` reads the offer first, itself (not with
aiortc's parser), and refuses with ``negotiation_failed`` and a sentence saying why:

* the sections: at most one ``audio`` and :data:`MAX_VIDEO_LAYERS` ``video`` (what a publish
  connection carries, desktop/media/peers.py ``PublishConnection``: the camera's layers, the
  whole picture first), at least one, nothing else (no data channel);
* the codecs: the audio section must offer Opus and the video section VP8, the only codecs
  the forwarding unit forwards (the answer then carries those alone, whatever the offer's order);
* DTLS: a fingerprint and ``a=setup`` (``actpass``, ``active`` or ``passive``) for every section,
  at its own level or the session's;
* ICE candidates: at most :data:`MAX_CANDIDATES_PER_SECTION` in a section, so at most
  :data:`MAX_CANDIDATES` in all (three sections at most); each well formed, with a port, over UDP
  or TCP, and an address that is a unicast IP address (not unspecified, multicast, broadcast or reserved: ``0.0.0.0/8``,
  ``224.0.0.0/4``, ``240.0.0.0/4`` with ``255.255.255.255``, ``::``, ``ff00::/8``) or an mDNS name
  (``….local``, as browsers hide host addresses). Loopback, private and link-local addresses are
  allowed: a client on the server's machine or network uses them.

A subscriber's answer (:func:`vet_subscribe_answer`) mirrors the server's offer, so its sections
are aiortc's to match; it is checked for the same candidates and for DTLS (``a=setup`` then
``active`` or ``passive``).

It reads the SDP once, line by line, and stops at the first fault (the 17th candidate of a
section, say). The SDP's size and its number of ``m=`` lines are capped before this, when the
message is decoded (wire/limits.py ``MAX_SDP_CHARS``, ``MAX_SDP_MEDIA_SECTIONS``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from wire import ErrorCode, ProtocolError

from .forwarding import FORWARDED_MIME

#: Candidates a section may carry. A real client offers a handful: one per interface and
#: address family, a server-reflexive one or two, TCP ones from browsers.
MAX_CANDIDATES_PER_SECTION = 16
#: Candidates an offer may carry in all: three sections at most. (aiortc clients repeat their
#: candidates in every section; the server's sections share one transport, and aiortc hands
#: aioice one section's candidates: at most MAX_CANDIDATES_PER_SECTION reach it.)
MAX_CANDIDATES = 3 * MAX_CANDIDATES_PER_SECTION
#: Video sections a publisher may offer: its camera's layers, the whole picture first, then the
#: small one (desktop/media/layers.py).
MAX_VIDEO_LAYERS = 2
#: The codec each kind of section must offer: what the forwarding unit forwards (lower case).
FORWARDED_CODECS = {kind: mime.split("/")[1] for kind, mime in FORWARDED_MIME.items()}
#: What the refusals call them.
FORWARDED_NAMES = {"audio": "Opus", "video": "VP8"}
_SETUP_VALUES = ("actpass", "active", "passive")
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_DIGITS = re.compile(r"[0-9]{1,10}")


def _refuse(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.NEGOTIATION_FAILED, message)


@dataclass
class _Section:
    kind: str
    payload_types: list[str]
    codecs: dict[str, str] = field(default_factory=dict)  # payload type -> codec name, lower case
    fingerprint: bool = False
    setup: str | None = None
    candidates: int = 0


@dataclass(frozen=True)
class VettedOffer:
    """What the forwarding unit needs of an offer it accepted: its sections' kinds, in order."""

    kinds: tuple[str, ...]
    candidates: int


def _check_candidate(value: str) -> None:
    """One ``a=candidate:`` value (RFC 8839 section 5.1): foundation component transport
    priority address port ``typ`` type [extensions]."""
    bits = value.split()
    if len(bits) < 8 or bits[6] != "typ":
        raise _refuse(f"malformed ICE candidate {value[:80]!r}")
    _, component, transport, priority, address, port = bits[:6]
    if not all(_DIGITS.fullmatch(n) for n in (component, priority, port)):
        raise _refuse(f"malformed ICE candidate {value[:80]!r}")
    transport = transport.lower()
    if transport not in ("udp", "tcp"):
        raise _refuse(f"ICE candidate over {bits[2][:16]!r}: only UDP and TCP are understood")
    if not 0 < int(port) <= 0xFFFF and not (transport == "tcp" and int(port) == 0):
        raise _refuse(f"ICE candidate with port {port[:8]}")
    if address.lower().endswith(".local"):
        return  # mDNS: a browser's host candidate; resolved on the local link or not at all
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise _refuse(f"ICE candidate address {address[:64]!r} is not an IP address or an mDNS name") from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # 0.0.0.0/8, 240.0.0.0/4 and 255.255.255.255 (IPv6's is_reserved would take ::1 too)
    reserved = isinstance(ip, ipaddress.IPv4Address) and (ip.is_reserved or ip in _THIS_NETWORK)
    if ip.is_unspecified or ip.is_multicast or reserved:
        raise _refuse(f"ICE candidate address {address} is not a unicast address")


def _parse(sdp: str, setup_values: tuple[str, ...] = _SETUP_VALUES) -> tuple[list[_Section], bool, str | None]:
    sections: list[_Section] = []
    session_fingerprint = False
    session_setup: str | None = None
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            if len(parts) < 4:
                raise _refuse(f"malformed media line {line[:80]!r}")
            sections.append(_Section(kind=parts[0], payload_types=parts[3:]))
            continue
        if not line.startswith("a="):
            continue
        attr, _, value = line[2:].partition(":")
        current = sections[-1] if sections else None
        if attr == "fingerprint":
            if len(value.split()) != 2:
                raise _refuse(f"malformed DTLS fingerprint {value[:80]!r}")
            if current is None:
                session_fingerprint = True
            else:
                current.fingerprint = True
        elif attr == "setup":
            if value not in setup_values:
                raise _refuse(f"DTLS setup {value[:16]!r}: use {', '.join(setup_values)} here")
            if current is None:
                session_setup = value
            else:
                current.setup = value
        elif attr == "candidate" and current is not None:
            _check_candidate(value)
            current.candidates += 1
            if current.candidates > MAX_CANDIDATES_PER_SECTION:
                raise _refuse(f"a media section carries more than {MAX_CANDIDATES_PER_SECTION} ICE candidates")
        elif attr == "rtpmap" and current is not None:
            pt, _, encoding = value.partition(" ")
            current.codecs[pt] = encoding.split("/")[0].lower()
    return sections, session_fingerprint, session_setup


def _check_dtls(section: _Section, session_fingerprint: bool, session_setup: str | None) -> None:
    if not (section.fingerprint or session_fingerprint):
        raise _refuse(f"the {section.kind[:16]} section has no DTLS fingerprint (a=fingerprint): "
                      "media travels over DTLS-SRTP only")
    if (section.setup or session_setup) is None:
        raise _refuse(f"the {section.kind[:16]} section has no DTLS role (a=setup)")


def vet_subscribe_answer(sdp: str) -> None:
    """Check a subscriber's answer: its candidates and DTLS (ProtocolError, ``negotiation_failed``)."""
    sections, session_fingerprint, session_setup = _parse(sdp, ("active", "passive"))
    for section in sections:
        if section.kind in FORWARDED_CODECS:
            _check_dtls(section, session_fingerprint, session_setup)


def vet_publish_offer(sdp: str) -> VettedOffer:
    """Check a publisher's offer; :class:`ProtocolError` (``negotiation_failed``) says what is wrong."""
    sections, session_fingerprint, session_setup = _parse(sdp)
    kinds = tuple(s.kind for s in sections)
    if not kinds:
        raise _refuse("the offer has no audio or video")
    if (kinds.count("audio") > 1 or kinds.count("video") > MAX_VIDEO_LAYERS
            or not set(kinds) <= set(FORWARDED_CODECS)):
        raise _refuse(f"publish at most one audio and {MAX_VIDEO_LAYERS} video sections (the camera's "
                      "layers, the whole picture first) on this connection "
                      f"(the offer has {len(kinds)} sections: {', '.join(k[:16] for k in kinds[:8])})")
    total = sum(s.candidates for s in sections)  # <= MAX_CANDIDATES, as there are three sections at most
    for section in sections:
        _check_dtls(section, session_fingerprint, session_setup)
        offered = [section.codecs.get(pt) for pt in section.payload_types]
        if FORWARDED_CODECS[section.kind] not in offered:
            names = sorted({c for c in offered if c and c != "rtx"}) or ["none"]
            raise _refuse(
                f"this server forwards {FORWARDED_NAMES['video']} video (with RTX) and "
                f"{FORWARDED_NAMES['audio']} audio; the offer's {section.kind} section has no "
                f"{FORWARDED_NAMES[section.kind]} (it offers {', '.join(n[:16] for n in names[:8])})")
    return VettedOffer(kinds=kinds, candidates=total)
