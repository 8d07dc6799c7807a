"""Join tokens: signed, bound to one meeting, expiring; and what the meeting service checks."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server.clock import ManualClock
from server.config import ServerConfig
from server.meetings import MeetingService
from server.store_sqlite import SqliteStore
from server.tokens import TokenClaims, TokenSigner, load_or_create_secret
from wire import EndReason, ErrorCode, ProtocolError

SECRET = b"k" * 32


def refused(code: ErrorCode, call: Callable[[], object]) -> ProtocolError:
    with pytest.raises(ProtocolError) as exc:
        call()
    assert exc.value.code is code
    return exc.value


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def signer(clock: ManualClock) -> TokenSigner:
    return TokenSigner(SECRET, clock)


def test_issued_token_verifies(signer: TokenSigner, clock: ManualClock) -> None:
    token = signer.issue("m-1", "a-1", ttl_seconds=60)
    assert signer.verify(token) == TokenClaims("m-1", "a-1", clock.now() + 60)


def test_token_expires(signer: TokenSigner, clock: ManualClock) -> None:
    token = signer.issue("m-1", "a-1", ttl_seconds=60)
    clock.advance(59.9)
    signer.verify(token)
    clock.advance(0.1)
    refused(ErrorCode.TOKEN_EXPIRED, lambda: signer.verify(token))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_changed_claims_are_invalid(signer: TokenSigner) -> None:
    token = signer.issue("m-1", "a-1", ttl_seconds=60)
    _, signature = token.split(".")
    forged = _b64(json.dumps({"meeting_id": "m-1", "attendee_id": "a-2",
                              "expires_at": 9e12}).encode())
    refused(ErrorCode.INVALID_TOKEN, lambda: signer.verify(f"{forged}.{signature}"))


def test_token_of_another_secret_is_invalid(signer: TokenSigner, clock: ManualClock) -> None:
    other = TokenSigner(b"x" * 32, clock).issue("m-1", "a-1", ttl_seconds=60)
    refused(ErrorCode.INVALID_TOKEN, lambda: signer.verify(other))


def test_expired_forgery_is_invalid_not_expired(signer: TokenSigner, clock: ManualClock) -> None:
    other = TokenSigner(b"x" * 32, clock).issue("m-1", "a-1", ttl_seconds=1)
    clock.advance(10)
    refused(ErrorCode.INVALID_TOKEN, lambda: signer.verify(other))


@pytest.mark.parametrize(
    "garbled",
    ["", "abc", ".", "a.", ".b", "a.b.c", "é.é", "abc=.def=", "a b.c", "x" * 5000,
     "eyJ9.AAAA"],
)
def test_garbled_tokens_are_invalid(signer: TokenSigner, garbled: str) -> None:
    refused(ErrorCode.INVALID_TOKEN, lambda: signer.verify(garbled))


def test_signature_tampering_is_invalid(signer: TokenSigner) -> None:
    token = signer.issue("m-1", "a-1", ttl_seconds=60)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    refused(ErrorCode.INVALID_TOKEN, lambda: signer.verify(flipped))


def test_secret_created_once_and_private(tmp_path: Path) -> None:
    secret = load_or_create_secret(tmp_path)
    assert len(secret) == 32
    assert load_or_create_secret(tmp_path) == secret
    assert stat.S_IMODE((tmp_path / "token_secret").stat().st_mode) == 0o600


def test_damaged_secret_is_reported(tmp_path: Path) -> None:
    (tmp_path / "token_secret").write_bytes(b"short")
    with pytest.raises(RuntimeError, match="damaged"):
        load_or_create_secret(tmp_path)


# --- the meeting service's checks --------------------------------------------------------


@pytest.fixture
def service(
    tmp_path: Path, clock: ManualClock, signer: TokenSigner
) -> Iterator[MeetingService]:
    store = SqliteStore(":memory:")
    config = ServerConfig(data_dir=tmp_path, token_ttl_seconds=600)
    yield MeetingService(store, clock, signer, config)
    store.close()


def test_authenticate_lets_the_attendee_in(service: MeetingService) -> None:
    meeting = service.create_meeting()
    attendee, token, _ = service.add_attendee(meeting.id, "u-1", "Ada", "host")
    assert service.authenticate(meeting.id, token) == (meeting, attendee)


def test_token_of_meeting_a_does_not_open_meeting_b(service: MeetingService) -> None:
    a = service.create_meeting()
    b = service.create_meeting()
    _, token, _ = service.add_attendee(a.id, "u-1", "Ada", "host")
    error = refused(ErrorCode.INVALID_TOKEN, lambda: service.authenticate(b.id, token))
    assert error.message == "token is for another meeting"


def test_token_expires_after_the_configured_ttl(
    service: MeetingService, clock: ManualClock
) -> None:
    meeting = service.create_meeting()
    _, token, _ = service.add_attendee(meeting.id, "u-1", "Ada", "participant")
    clock.advance(600)
    refused(ErrorCode.TOKEN_EXPIRED, lambda: service.authenticate(meeting.id, token))


def test_token_of_an_unknown_attendee_is_invalid(
    service: MeetingService, signer: TokenSigner
) -> None:
    meeting = service.create_meeting()
    token = signer.issue(meeting.id, "nobody", ttl_seconds=60)
    refused(ErrorCode.INVALID_TOKEN, lambda: service.authenticate(meeting.id, token))


def test_ended_meeting_refuses_tokens_and_ending_is_idempotent(
    service: MeetingService, clock: ManualClock
) -> None:
    meeting = service.create_meeting()
    _, token, _ = service.add_attendee(meeting.id, "u-1", "Ada", "host")
    ended = service.end(meeting.id, EndReason.TIMER_EXPIRED)
    clock.advance(5)
    assert service.end(meeting.id, EndReason.DELETED) == ended
    assert (ended.ended_at, ended.end_reason) == (clock.now() - 5, EndReason.TIMER_EXPIRED)
    refused(ErrorCode.MEETING_ENDED, lambda: service.authenticate(meeting.id, token))
    refused(ErrorCode.MEETING_ENDED, lambda: service.add_attendee(meeting.id, "u-2", "B", "host"))


def test_timer_follows_start_and_limit(service: MeetingService, clock: ManualClock) -> None:
    unlimited = service.create_meeting()
    limited = service.create_meeting(settings_override={"limits": {"max_duration_seconds": 300}})
    assert service.timer_ends_at(limited) is None  # not started
    clock.advance(20)
    started = service.mark_started(limited.id)
    assert started.started_at == clock.now()
    assert service.timer_ends_at(started) == clock.now() + 300
    assert service.timer_ends_at(service.mark_started(unlimited.id)) is None


def test_capabilities_by_role(service: MeetingService) -> None:
    meeting = service.create_meeting()
    assert "end-call" in service.capabilities(meeting, "host")
    assert "end-call" not in service.capabilities(meeting, "participant")
    refused(ErrorCode.UNKNOWN_ROLE, lambda: service.capabilities(meeting, "guest"))
    refused(ErrorCode.MEETING_NOT_FOUND, lambda: service.get_meeting("missing"))
    refused(ErrorCode.UNKNOWN_CALL_TYPE, lambda: service.create_meeting("webinar"))


def test_invite_token_names_a_role_not_an_attendee(signer: TokenSigner, clock: ManualClock) -> None:
    token = signer.issue_invite("m1", "participant", ttl_seconds=60, invite_id="i1")
    claims = signer.verify(token)
    assert claims == TokenClaims("m1", "", clock.now() + 60, role="participant", invite_id="i1")
    assert claims.is_invite and not signer.verify(signer.issue("m1", "a1", 60)).is_invite
    clock.advance(61)
    assert refused(ErrorCode.TOKEN_EXPIRED, lambda: signer.verify(token)).code == ErrorCode.TOKEN_EXPIRED
