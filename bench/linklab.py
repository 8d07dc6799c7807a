"""Network namespaces for the network bench: a router, a server side, and participants behind
links with rate caps (``tbf``) and a userspace delay/loss stage (``netstage.py``).

Everything lives in namespaces this module creates, named ``pnetbench<PID>-...`` after the
process that made them, with addresses in 10.77.0.0/16 inside them only; nothing is added to
the machine's own namespace. ``Lab.close()`` (also on Ctrl-C: use it as a context manager)
stops every process it started, by PID, and deletes its namespaces, which takes their veth and
TUN devices with them; ``sweep_stale()`` removes what a killed earlier run left behind. Needs
root and ``ip`` (iproute2).

The shape::

    server side  "s" 10.77.0.2 (server, unconstrained bots) -- r0 10.77.0.1 --+
                                                                              | router "r"
    participant  "p<i>" 10.77.<i>.2 ------ (tbf: uplink cap) ---- r<i> 10.77.<i>.1 (tbf: downlink cap)
                                                                  t<i>: TUN, read by the stage

In the router, policy routing sends everything from ``r<i>`` and everything from the server side
to ``10.77.<i>.0/24`` into ``t<i>``; the stage writes each packet back into ``t<i>`` after its
delay, and from there it is routed as usual. So on the way down a packet meets the stage before
the downlink cap (the stage sees what is offered to the link), and on the way up it meets the
uplink cap (in the participant's namespace, where a modem's upload queue would be) first.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from netstage import Impairment, LinkConfig

__all__ = ["Lab", "Shape", "check_environment", "in_netns", "sweep_stale"]

PREFIX = "pnetbench"  # namespaces: pnetbench<PID>-<role>; nobody else names theirs so
SERVER_ADDRESS = "10.77.0.2"
CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/var/run/netns")
STAGE = Path(__file__).resolve().parent / "netstage.py"
GRACE = 10.0  # seconds the processes get, together, to stop after SIGTERM (a bot leaves first)

T = TypeVar("T")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def check_environment() -> str | None:
    """Why this machine cannot run the lab (None: it can): root, ``ip netns``, ``tc``, TUN."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "tc"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
            return f"needs {tool} (iproute2)"
    if not os.path.exists("/dev/net/tun"):
        return "needs /dev/net/tun"
    probe = f"{PREFIX}{os.getpid()}-probe"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    try:
        _ip("-n", probe, "link", "add", "pa", "type", "veth", "peer", "name", "pb")
        tbf = subprocess.run(["tc", "-n", probe, "qdisc", "add", "dev", "pa", "root", "tbf", "rate",
                              "1mbit", "burst", "16kb", "latency", "50ms"], capture_output=True, text=True)
        if tbf.returncode != 0:
            return f"tc tbf unavailable: {tbf.stderr.strip()}"
        tun = _ip("-n", probe, "tuntap", "add", "dev", "pt", "mode", "tun", check=False)
        if tun.returncode != 0:
            return f"no TUN devices: {tun.stderr.strip()}"
    finally:
        _ip("netns", "del", probe, check=False)
    return None


def sweep_stale() -> list[str]:
    """Delete the namespaces of lab processes that no longer run (killed before they could
    clean up), after killing what still runs inside them (a server, bots: a lab's, by the
    namespace's name); their names."""
    gone = []
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = re.fullmatch(rf"{PREFIX}(\d+)-\w+", name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            for pid in _ip("netns", "pids", name, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            _ip("netns", "del", name, check=False)
            gone.append(name)
    return gone


_libc = ctypes.CDLL(None, use_errno=True)


def in_netns(namespace: str, fn: Callable[[], T], timeout: float = 30.0) -> T:
    """``fn()`` run on a thread that has entered ``namespace`` (sockets it opens live there)."""
    result: dict[str, object] = {}

    def target() -> None:
        try:
            fd = os.open(NETNS_DIR / namespace, os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {namespace}")
            finally:
                os.close(fd)
            result["value"] = fn()
        except BaseException as exc:  # handed to the caller
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name=f"netns {namespace}")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"{fn!r} in {namespace} took over {timeout:.0f} s")
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["value"]  # type: ignore[return-value]


@dataclass(frozen=True)
class Shape:
    """One participant's link: rate caps (kbit/s, None: none), the queue a cap keeps (ms of
    its rate), and what the stage does each way."""

    down_kbps: float | None = None
    up_kbps: float | None = None
    queue_ms: float = 200.0
    down: Impairment = Impairment()
    up: Impairment = Impairment()


def _tbf(namespace: str, device: str, kbps: float, queue_ms: float) -> None:
    rate_bytes = kbps * 1000 / 8
    burst = max(3200, int(rate_bytes * 0.005))  # 5 ms of the rate, at least two full packets
    subprocess.run(["tc", "-n", namespace, "qdisc", "replace", "dev", device, "root", "tbf",
                    "rate", f"{kbps:g}kbit", "burst", str(burst), "latency", f"{queue_ms:g}ms"],
                   check=True, capture_output=True, text=True, timeout=10)


def tbf_counts(namespace: str, device: str) -> dict[str, int] | None:
    """The root tbf's counters on ``device``: {"bytes", "packets", "dropped", "overlimits"}."""
    out = subprocess.run(["tc", "-n", namespace, "-s", "-j", "qdisc", "show", "dev", device],
                         capture_output=True, text=True, timeout=10)
    try:
        for q in json.loads(out.stdout or "[]"):
            if q.get("kind") == "tbf":
                return {k: int(q.get(k, 0)) for k in ("bytes", "packets", "drops", "overlimits")}
    except ValueError:
        pass
    return None


class Lab:
    """A router, a server side and participants; every process started in it is stopped by
    ``close()``, then its namespaces are deleted."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.tag = f"{PREFIX}{os.getpid()}"
        self.router = f"{self.tag}-r"
        self.server = f"{self.tag}-s"
        self.namespaces: list[str] = []
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.links: dict[int, tuple[str, Shape]] = {}  # participant index -> namespace, shape
        self.stage: subprocess.Popen | None = None
        self.stats_path = workdir / "stage.json"

    # --- building -------------------------------------------------------------------------

    def _netns(self, name: str) -> None:
        _ip("netns", "add", name)
        self.namespaces.append(name)
        for key in ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"):
            self.sysctl(name, key, 1)
        _ip("-n", name, "link", "set", "lo", "up")

    def sh(self, namespace: str, *command: str, timeout: float = 10.0) -> str:
        done = subprocess.run(["ip", "netns", "exec", namespace, *command], capture_output=True,
                              text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} in {namespace}: {done.stderr.strip()}")
        return done.stdout

    def sysctl(self, namespace: str, key: str, value: int) -> None:
        """Set ``key`` in ``namespace`` through its own /proc/sys (no sysctl binary needed)."""
        path = "/proc/sys/" + key.replace(".", "/")
        self.sh(namespace, "sh", "-c", f"echo {int(value)} > {path}")

    def build(self) -> None:
        """The router and the server side."""
        self._netns(self.router)
        self._netns(self.server)
        for key, value in (("net.ipv4.ip_forward", 1), ("net.ipv4.conf.all.rp_filter", 0),
                           ("net.ipv4.conf.default.rp_filter", 0)):
            self.sysctl(self.router, key, value)
        _ip("-n", self.router, "link", "add", "r0", "type", "veth", "peer", "name", "s0", "netns", self.server)
        _ip("-n", self.router, "addr", "add", "10.77.0.1/24", "dev", "r0")
        _ip("-n", self.router, "link", "set", "r0", "up")
        _ip("-n", self.server, "addr", "add", f"{SERVER_ADDRESS}/24", "dev", "s0")
        _ip("-n", self.server, "link", "set", "s0", "up")
        _ip("-n", self.server, "route", "add", "default", "via", "10.77.0.1")

    def add_participant(self, index: int, shape: Shape) -> tuple[str, str]:
        """A participant's namespace behind link ``index`` (1..250): (namespace, its address)."""
        if not 1 <= index <= 250 or index in self.links:
            raise ValueError(f"bad or repeated link index {index}")
        ns, address = f"{self.tag}-p{index}", f"10.77.{index}.2"
        self._netns(ns)
        r, p, t, table = f"r{index}", f"p{index}", f"t{index}", str(100 + index)
        _ip("-n", self.router, "link", "add", r, "type", "veth", "peer", "name", p, "netns", ns)
        _ip("-n", self.router, "addr", "add", f"10.77.{index}.1/24", "dev", r)
        _ip("-n", self.router, "link", "set", r, "up")
        _ip("-n", ns, "addr", "add", f"{address}/24", "dev", p)
        _ip("-n", ns, "link", "set", p, "up")
        _ip("-n", ns, "route", "add", "default", "via", f"10.77.{index}.1")
        _ip("-n", self.router, "tuntap", "add", "dev", t, "mode", "tun")
        # the queue towards the stage holds a burst of a second at 10 Mbit/s: what it drops (see
        # tun_drops) is the stage falling behind, not the link
        _ip("-n", self.router, "link", "set", t, "txqueuelen", "1000", "up")
        self.sysctl(self.router, f"net.ipv4.conf.{t}.rp_filter", 0)
        _ip("-n", self.router, "route", "add", "default", "dev", t, "table", table)
        _ip("-n", self.router, "rule", "add", "iif", t, "lookup", "main", "pref", str(1000 + index))
        _ip("-n", self.router, "rule", "add", "iif", r, "lookup", table, "pref", str(2000 + index))
        _ip("-n", self.router, "rule", "add", "iif", "r0", "to", f"10.77.{index}.0/24", "lookup", table,
            "pref", str(3000 + index))
        if shape.down_kbps is not None:
            _tbf(self.router, r, shape.down_kbps, shape.queue_ms)
        if shape.up_kbps is not None:
            _tbf(ns, p, shape.up_kbps, shape.queue_ms)
        self.links[index] = (ns, shape)
        return ns, address

    def start_stage(self, rtx_types: tuple[int, ...] = (), seed: int | None = None) -> None:
        """The delay/loss stage, over every participant's link (add them first)."""
        config = [LinkConfig(f"t{i}", f"10.77.{i}.0/24", shape.down, shape.up, rtx_types).to_json()
                  for i, (_, shape) in sorted(self.links.items())]
        path = self.workdir / "stage-config.json"
        path.write_text(json.dumps(config))
        command = [sys.executable, str(STAGE), "--config", str(path), "--stats", str(self.stats_path),
                   "--realtime"]
        if seed is not None:
            command += ["--seed", str(seed)]
        self.stage = self.spawn(self.router, "stage", command, stderr=self.workdir / "stage.stderr")
        deadline = time.monotonic() + 10
        while not self.stats_path.exists():  # it writes its first counters once its devices are open
            if self.stage.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stage did not start: see {self.workdir / 'stage.stderr'}")
            time.sleep(0.05)

    def stage_stats(self) -> dict:
        """The stage's latest counters ({"seconds", "links": {"t<i>": {"down", "up", ...}}})."""
        try:
            return json.loads(self.stats_path.read_text())
        except (OSError, ValueError):
            return {}

    def tun_drops(self, index: int) -> int | None:
        """Packets the kernel dropped on their way into the stage on link ``index`` (its queue
        was full: the stage fell behind); None if unknown."""
        out = _ip("-n", self.router, "-s", "-j", "link", "show", f"t{index}", check=False).stdout
        try:
            return int(json.loads(out)[0]["stats64"]["tx"]["dropped"])
        except (ValueError, LookupError, TypeError):
            return None

    def cap_counts(self, index: int) -> dict[str, dict | None]:
        """The rate caps' counters of link ``index``: {"down": ..., "up": ...} (None: no cap)."""
        ns, shape = self.links[index]
        return {"down": tbf_counts(self.router, f"r{index}") if shape.down_kbps else None,
                "up": tbf_counts(ns, f"p{index}") if shape.up_kbps else None}

    # --- processes ------------------------------------------------------------------------

    def spawn(self, namespace: str, name: str, command: list[str], *, stdout=subprocess.DEVNULL,
              stderr: Path | None = None, env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
        """Start ``command`` in ``namespace`` (``ip netns exec`` execs it: the PID is its own)."""
        err = stderr.open("wb") if stderr is not None else subprocess.DEVNULL
        proc = subprocess.Popen(["ip", "netns", "exec", namespace, *command], stdin=subprocess.DEVNULL,
                                stdout=stdout, stderr=err, env=env, cwd=cwd)
        self.processes.append((name, proc))
        return proc

    # --- cleaning up ----------------------------------------------------------------------

    def close(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL to those still there after ``GRACE``
        seconds: each by its PID), then delete every namespace. Idempotent."""
        for name, proc in reversed(self.processes):
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + GRACE
        for name, proc in self.processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"linklab: {name} (pid {proc.pid}) ignored SIGTERM; killing it", file=sys.stderr)
                proc.kill()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    print(f"linklab: {name} (pid {proc.pid}) did not die", file=sys.stderr)
        self.processes.clear()
        for ns in reversed(self.namespaces):
            _ip("netns", "del", ns, check=False)
        self.namespaces.clear()

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
