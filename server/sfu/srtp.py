"""SRTP and SRTCP through libsrtp without pylibsrtp's per-call work (pylibsrtp == 1.0 internals).

pylibsrtp's ``Session.protect``/``unprotect`` check the type of the packet and make a new cffi
``int *`` for every call; the forwarding unit protects every packet once per subscriber and
unprotects every packet it receives, so these closures bind the session's buffer, context and
length cell once (seam.py's direct receive and send paths use them). Each keeps its session
alive: libsrtp's context is freed with it.
"""

from __future__ import annotations

from collections.abc import Callable

import pylibsrtp
from pylibsrtp._binding import ffi as _ffi, lib as _lib

__all__ = ["protect", "protect_rtcp", "unprotect", "unprotect_rtcp"]


def _call(session: pylibsrtp.Session, function, trailer: int) -> Callable[[bytes], bytes]:  # noqa: ANN001
    """``session``'s ``function`` (a libsrtp call), ``trailer`` the room it needs past the packet."""
    cdata, buffer, srtp = session._cdata, session._buffer, session._srtp[0]
    limit = len(cdata) - trailer
    length = _ffi.new("int *")
    ok = _lib.srtp_err_status_ok

    def call(data: bytes, _session: pylibsrtp.Session = session) -> bytes:  # (kept alive: see above)
        size = len(data)
        if size > limit:
            raise ValueError("packet is too long")
        length[0] = size
        buffer[0:size] = data
        status = function(srtp, cdata, length)
        if status != ok:
            pylibsrtp._srtp_assert(status)
        return buffer[0:length[0]]

    return call


def protect(session: pylibsrtp.Session) -> Callable[[bytes], bytes]:
    """``session.protect``."""
    return _call(session, _lib.srtp_protect, pylibsrtp.SRTP_MAX_TRAILER_LEN)


def protect_rtcp(session: pylibsrtp.Session) -> Callable[[bytes], bytes]:
    """``session.protect_rtcp``."""
    return _call(session, _lib.srtp_protect_rtcp, pylibsrtp.SRTP_MAX_SRTCP_TRAILER_LEN)


def unprotect(session: pylibsrtp.Session) -> Callable[[bytes], bytes]:
    """``session.unprotect``."""
    return _call(session, _lib.srtp_unprotect, 0)


def unprotect_rtcp(session: pylibsrtp.Session) -> Callable[[bytes], bytes]:
    """``session.unprotect_rtcp``."""
    return _call(session, _lib.srtp_unprotect_rtcp, 0)
