"""Network namespaces for tests and benchmarks that need a real network between processes: a
client whose UDP is dropped, a server behind a 1:1 NAT, a TURN server beside it.

Every namespace is made here, with veth pairs carrying 10.77.x.x addresses *inside* the
namespaces only (the host's own network is never touched), and removed by ``close()`` along
with every process started in them (by PID), whatever happened. It needs root, ``ip`` and
``iptables``; :func:`unavailable` says why not in a sentence (tests skip with it).

coturn runs from :meth:`Lab.coturn` with a throwaway config: the REST API secret, no TLS, no
CLI, relaying allowed to the lab's 10.77.0.0/16 only (coturn refuses private peers the
operator did not allow).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_serial = itertools.count()


def unavailable() -> str | None:
    """Why namespaces cannot be made here (None: they can)."""
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "making network namespaces needs root (CI runs the tests as root)"
    for tool in ("ip", "iptables"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (.ci/run installs it)"
    return None


def coturn_unavailable() -> str | None:
    if shutil.which("turnserver") is None:
        return "coturn's turnserver is not installed (.ci/run installs the coturn package)"
    return unavailable()


class Lab:
    """Namespaces, links and processes for one test; ``close()`` removes all of them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.tag = f"pl{os.getpid() % 100000}x{next(_serial)}"
        self.namespaces: list[str] = []
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self._links = itertools.count()

    # --- the network ------------------------------------------------------------------------

    def namespace(self, name: str) -> str:
        ns = f"{self.tag}{name}"
        subprocess.run(["ip", "netns", "add", ns], check=True)
        self.namespaces.append(ns)
        self.run(ns, "ip", "link", "set", "lo", "up")
        return ns

    def link(self, ns_a: str, cidr_a: str, ns_b: str, cidr_b: str) -> tuple[str, str]:
        """A veth pair between two namespaces, ``cidr_a`` (e.g. ``10.77.19.1/24``) on ``ns_a``'s
        end, ``cidr_b`` on ``ns_b``'s; returns the two ends' device names."""
        n = next(self._links)
        a, b = f"v{self.tag[-6:]}{n}a", f"v{self.tag[-6:]}{n}b"
        subprocess.run(["ip", "link", "add", a, "netns", ns_a, "type", "veth", "peer", "name", b,
                        "netns", ns_b], check=True)
        for ns, dev, cidr in ((ns_a, a, cidr_a), (ns_b, b, cidr_b)):
            self.run(ns, "ip", "addr", "add", cidr, "dev", dev)
            self.run(ns, "ip", "link", "set", dev, "up")
        return a, b

    def run(self, ns: str, *command: str) -> str:
        done = subprocess.run(["ip", "netns", "exec", ns, *command], check=True,
                              capture_output=True, text=True)
        return done.stdout

    def one_to_one_nat(self, router: str, private: str, public: str, device: str) -> None:
        """``router`` maps ``public`` to ``private`` both ways (a cloud's 1:1 NAT): what comes
        for ``public`` goes to ``private``, what ``private`` sends leaves from ``public``.
        ``device``: the router's interface on the public side (``public`` is added to it)."""
        self.forward(router)
        self.run(router, "ip", "addr", "add", f"{public}/32", "dev", device)
        self.run(router, "iptables", "-t", "nat", "-A", "PREROUTING", "-d", public, "-j", "DNAT",
                 "--to-destination", private)
        self.run(router, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", private, "-j", "SNAT",
                 "--to-source", public)
        # the private address is not routed from outside (as on the internet): only what came
        # for the public one reaches it
        self.run(router, "iptables", "-A", "FORWARD", "-d", private, "-m", "conntrack", "!",
                 "--ctstate", "DNAT,SNAT", "-j", "DROP")

    def home_nat(self, router: str, outside: str) -> None:
        """``router`` masquerades what it forwards out of ``outside`` (a home router): replies
        come back in, nothing unsolicited does."""
        self.forward(router)
        self.run(router, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", outside, "-j", "MASQUERADE")

    def forward(self, ns: str) -> None:
        """``ns`` routes between its links (its own /proc/sys/net, not the host's)."""
        self.run(ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward")

    def route(self, ns: str, via: str) -> None:
        self.run(ns, "ip", "route", "add", "default", "via", via)

    def drop_udp(self, ns: str) -> None:
        """Nothing over UDP in or out of ``ns`` (a hotel network): TCP only."""
        for chain in ("INPUT", "OUTPUT"):
            self.run(ns, "iptables", "-A", chain, "-p", "udp", "-j", "DROP")

    def drop_tcp_port(self, ns: str, port: int) -> None:
        """No TCP connection out of ``ns`` to ``port`` (a stricter office: only HTTPS-like ports)."""
        self.run(ns, "iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", str(port), "-j", "DROP")

    def certificate(self, address: str) -> tuple[Path, Path]:
        """A self-signed certificate for ``address`` (its IP in the subject alternative name)
        and its key, as PEM files; a client trusts it through ``SSL_CERT_FILE``."""
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        cert_path, key_path = self.tmp / "turn-cert.pem", self.tmp / "turn-key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cert_path, key_path

    # --- processes --------------------------------------------------------------------------

    def start(self, ns: str, name: str, command: list[str], env: dict[str, str] | None = None,
              stdout=subprocess.DEVNULL) -> subprocess.Popen:
        """``command`` in ``ns`` (its stderr in ``tmp/NAME.stderr``), stopped by ``close()``."""
        with (self.tmp / f"{name}.stderr").open("wb") as stderr:  # the child keeps its own copy
            proc = subprocess.Popen(["ip", "netns", "exec", ns, *command], cwd=REPO,
                                    env=env or dict(os.environ, PYTHONPATH=str(REPO)),
                                    stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, text=True)
        self.processes.append((name, proc))
        return proc

    def wait_for_port(self, ns: str, host: str, port: int, proc: subprocess.Popen,
                      timeout: float = 20.0, what: str = "") -> None:
        """Until something in ``ns`` accepts TCP on ``host:port`` (``proc`` must not exit)."""
        deadline = time.monotonic() + timeout
        probe = (f"import socket; socket.create_connection(({host!r}, {port}), 1).close()")
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{what or proc.args} exited ({proc.returncode}); see {self.tmp}")
            if subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", probe],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{what or 'a process'} did not listen on {host}:{port} within {timeout:g} s")

    def coturn(self, ns: str, address: str, secret: str, port: int = 3478,
               tls: tuple[Path, Path] | None = None, tls_port: int = 5349) -> subprocess.Popen:
        """coturn on ``address:port`` (UDP and TCP) in ``ns``, and with ``tls`` (certificate,
        key) TLS on ``tls_port``, relaying from ``address`` to the lab's addresses only,
        checking credentials with ``secret`` (the TURN REST API)."""
        config = self.tmp / "turnserver.conf"
        secure = ([f"tls-listening-port={tls_port}", f"cert={tls[0]}", f"pkey={tls[1]}"] if tls
                  else ["no-tls"])
        config.write_text("\n".join([
            f"listening-ip={address}", f"relay-ip={address}", f"listening-port={port}",
            "min-port=49152", "max-port=49999",
            "use-auth-secret", f"static-auth-secret={secret}", "realm=parley.test",
            "fingerprint", "no-cli", *secure, "no-dtls", "no-multicast-peers",
            "allowed-peer-ip=10.77.0.0-10.77.255.255",
            f"userdb={self.tmp / 'turndb'}", f"pidfile={self.tmp / 'turnserver.pid'}",
            "no-stdout-log", f"log-file={self.tmp / 'turnserver.log'}", "simple-log", "verbose",
        ]) + "\n")
        proc = self.start(ns, "coturn", ["turnserver", "-c", str(config)])
        self.wait_for_port(ns, address, port, proc, what="coturn")
        if tls:
            self.wait_for_port(ns, address, tls_port, proc, what="coturn's TLS listener")
        return proc

    # --- a meeting server in a namespace ---------------------------------------------------------

    def parley_server(self, ns: str, host: str, *options: str, port: int = 8750) -> ParleyServer:
        """``parley-server`` listening on ``host:port`` in ``ns`` with ``options`` (its ICE,
        TURN, NAT settings), a throwaway data dir and API key."""
        key = f"lab-{self.tag}"
        env = dict(os.environ, PYTHONPATH=str(REPO), PARLEY_API_KEY=key)
        proc = self.start(ns, "server", [sys.executable, "-m", "server", "--host", host, "--port", str(port),
                                         "--data-dir", str(self.tmp / "data"), *options], env=env)
        self.wait_for_port(ns, host, port, proc, what="parley-server")
        return ParleyServer(self, ns, f"http://{host}:{port}", key)

    def bot(self, ns: str, name: str, join_url: str, *options: str,
            env: dict[str, str] | None = None) -> subprocess.Popen:
        """``parley-bot --json`` in ``ns`` (with ``env`` added to its environment); read its
        report with :func:`report`."""
        return self.start(ns, name, [sys.executable, "-m", "desktop.bot", join_url, "--name", name,
                                     "--json", *options],
                          env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})), stdout=subprocess.PIPE)

    def close(self) -> None:
        for name, proc in reversed(self.processes):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
        self.processes.clear()
        for ns in reversed(self.namespaces):
            # the namespace's veth ends go with it
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.namespaces.clear()



class ParleyServer:
    """A ``parley-server`` in a namespace, and its REST API called from inside that namespace
    (the test's own process is outside every namespace and reaches none of them)."""

    def __init__(self, lab: Lab, ns: str, base_url: str, key: str) -> None:
        self.lab, self.ns, self.base_url, self.key = lab, ns, base_url, key

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        script = (
            "import json, sys, urllib.request\n"
            "method, url, key, body = json.loads(sys.argv[1])\n"
            "data = None if body is None else json.dumps(body).encode()\n"
            "request = urllib.request.Request(url, data=data, method=method)\n"
            "request.add_header('Authorization', 'Bearer ' + key)\n"
            "request.add_header('Content-Type', 'application/json')\n"
            "opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
            "print(opener.open(request, timeout=10).read().decode())\n")
        out = self.lab.run(self.ns, sys.executable, "-c", script,
                           json.dumps([method, self.base_url + path, self.key, body]))
        return json.loads(out or "{}")

    def meeting(self) -> str:
        return self.call("POST", "/v1/meetings", {})["meeting"]["id"]

    def join_url(self, meeting_id: str, name: str) -> str:
        return self.call("POST", f"/v1/meetings/{meeting_id}/attendees",
                         {"user_id": f"u-{name}", "name": name, "role": "participant"})["join_url"]


def report(proc: subprocess.Popen, timeout: float) -> dict:
    """A bot's ``--json`` report, once it has left (it must within ``timeout``)."""
    out, _ = proc.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise AssertionError(f"{proc.args[-1]} printed no report (exit {proc.returncode})")
    return json.loads(lines[-1])
