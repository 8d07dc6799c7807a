"""A throwaway Janus gateway on this machine, for the tests and the benchmarks.

``LocalJanus`` writes a config dir (janus.jcfg, the VideoRoom plugin and the WebSocket
transport on a free loopback port; every other plugin, transport, event handler and logger
disabled), starts ``janus -C ... -F ...`` and stops it by PID.

Loopback: Janus gathers its host candidates itself (ice.c, ``janus_ice_setup_local``): it walks
``getifaddrs()`` and skips every interface flagged ``IFF_LOOPBACK``, whatever janus.jcfg says;
when that leaves nothing, libnice gathers on its own and skips loopback too. No setting makes it
offer 127.0.0.1: ``ice_enforce_list = "lo"`` alone leaves libnice offering the machine's other
addresses (IPv6 ones included), and ``nat_1_1_mapping = "127.0.0.1"`` only rewrites the address
written in the candidate while the socket stays bound to the other interface. So the test Janus
runs with a tiny ``LD_PRELOAD`` library (``LOOPBACK_SHIM``, built with the C compiler on first
use) whose ``getifaddrs`` clears ``IFF_LOOPBACK``, and with ``ice_enforce_list = "lo"``: its
only candidate is then 127.0.0.1, and no packet leaves loopback. (An operator's Janus needs none
of this: it offers its real interfaces.)
"""

from __future__ import annotations

import glob
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["JANUS", "LocalJanus", "free_port", "janus_config", "loopback_shim"]

#: the janus binary, or None when it is not installed (Debian: ``apt-get install janus``)
JANUS = shutil.which("janus")

_DISABLED_PLUGINS = ("audiobridge", "duktape", "echotest", "lua", "nosip", "recordplay", "sip",
                     "streaming", "textroom", "videocall", "voicemail")
_DISABLED_TRANSPORTS = ("http", "mqtt", "nanomsg", "pfunix", "rabbitmq")


#: The LD_PRELOAD library that lets Janus see the loopback interface as an ordinary one.
LOOPBACK_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stddef.h>

int getifaddrs(struct ifaddrs **ifap) {
    int (*real)(struct ifaddrs **) = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
    int rc = real(ifap);
    if (rc == 0)
        for (struct ifaddrs *ifa = *ifap; ifa != NULL; ifa = ifa->ifa_next)
            ifa->ifa_flags &= ~IFF_LOOPBACK;
    return rc;
}
"""


def loopback_shim() -> Path:
    """The shim library, built once per machine (``cc``) into the temp dir."""
    digest = hashlib.sha256(LOOPBACK_SHIM.encode()).hexdigest()[:12]
    library = Path(tempfile.gettempdir()) / f"parley-janus-loopback-{digest}.so"
    if library.exists():
        return library
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError("no C compiler to build the loopback shim for Janus (apt-get install gcc libc6-dev)")
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "loopback.c"
        source.write_text(LOOPBACK_SHIM)
        built = Path(work) / "loopback.so"
        subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(built), str(source), "-ldl"],
                       check=True, capture_output=True)
        partial = library.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(built, partial)
        os.replace(partial, library)
    return library


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _library_dir(kind: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/*/janus/{kind}")) + sorted(glob.glob(f"/usr/lib/janus/{kind}"))
    return found[0] if found else f"/usr/lib/janus/{kind}"


def janus_config(configs: Path, ws_port: int, rtp_ports: tuple[int, int] | None = None,
                 api_secret: str | None = None, admin_secret: str | None = None,
                 admin_port: int | None = None) -> Path:
    """Write a loopback-only Janus configuration into ``configs``; returns janus.jcfg's path.
    With ``admin_port``, the Admin API listens there too (WebSocket, loopback)."""
    configs.mkdir(parents=True, exist_ok=True)
    secret = f'\tapi_secret = "{api_secret}"\n' if api_secret else ""
    admin = f'\tadmin_secret = "{admin_secret}"\n' if admin_secret else ""
    ports = f'\trtp_port_range = "{rtp_ports[0]}-{rtp_ports[1]}"\n' if rtp_ports else ""
    disabled = ",".join(f"libjanus_{p}.so" for p in _DISABLED_PLUGINS)
    transports = ",".join(f"libjanus_{t}.so" for t in _DISABLED_TRANSPORTS)
    (configs / "janus.jcfg").write_text(
        "general: {\n"
        f'\tconfigs_folder = "{configs}"\n'
        f'\tplugins_folder = "{_library_dir("plugins")}"\n'
        f'\ttransports_folder = "{_library_dir("transports")}"\n'
        f'\tevents_folder = "{_library_dir("events")}"\n'
        f'\tloggers_folder = "{_library_dir("loggers")}"\n'
        "\tdebug_level = 4\n"
        "\tsession_timeout = 60\n"
        f"{secret}{admin}"
        "}\n"
        "certificates: {\n}\n"
        f"media: {{\n{ports}}}\n"
        "nat: {\n"
        '\tice_enforce_list = "lo"\n'
        '\tnat_1_1_mapping = "127.0.0.1"\n'
        "}\n"
        f'plugins: {{\n\tdisable = "{disabled}"\n}}\n'
        f'transports: {{\n\tdisable = "{transports}"\n}}\n'
        'loggers: {\n\tdisable = "libjanus_jsonlog.so"\n}\n'
        "events: {\n\tbroadcast = false\n}\n"
    )
    (configs / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    (configs / "janus.transport.websockets.jcfg").write_text(
        "general: {\n"
        '\tjson = "plain"\n'
        "\tws = true\n"
        f"\tws_port = {ws_port}\n"
        '\tws_ip = "127.0.0.1"\n'
        "\twss = false\n"
        "}\n"
        + ("admin: {\n\tadmin_ws = true\n\tadmin_ws_ip = \"127.0.0.1\"\n"
           f"\tadmin_ws_port = {admin_port}\n\tadmin_wss = false\n}}\n" if admin_port else
           "admin: {\n\tadmin_ws = false\n\tadmin_wss = false\n}\n")
    )
    return configs / "janus.jcfg"


class LocalJanus:
    """One Janus process on loopback; ``url`` is its WebSocket API (``ws://127.0.0.1:PORT/``),
    ``admin_url`` its Admin API (WebSocket), whose requests need ``admin_secret``."""

    def __init__(self, workdir: Path | None = None, api_secret: str | None = None) -> None:
        if JANUS is None:
            raise RuntimeError("the janus binary is not installed (apt-get install janus)")
        self._own_dir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="parley-janus-")) if workdir is None else workdir
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/"
        self.admin_port = free_port()
        self.admin_url = f"ws://127.0.0.1:{self.admin_port}/"
        self.admin_secret = secrets.token_hex(8)
        self.api_secret = api_secret
        self.log_path = self.workdir / "janus.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15.0) -> "LocalJanus":
        config = janus_config(self.workdir / "conf", self.port, api_secret=self.api_secret,
                              admin_secret=self.admin_secret, admin_port=self.admin_port)
        log = open(self.log_path, "wb")
        env = dict(os.environ, LD_PRELOAD=str(loopback_shim()))
        self.proc = subprocess.Popen(
            [JANUS, "-C", str(config), "-F", str(config.parent), "-o"], env=env,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"janus exited ({self.proc.returncode}): {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"janus did not listen on {self.port} within {timeout:g} s: {self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """Die at once (SIGKILL), as a crashed instance would."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def stop(self, grace: float = 5.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "LocalJanus":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
