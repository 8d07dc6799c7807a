"""A throwaway PostgreSQL cluster for the tests: Debian's ``postgresql`` binaries, run from a
temporary directory on a unix socket only (no TCP port to collide on), removed afterwards.

``initdb`` refuses to run as root: as root the cluster runs as the ``postgres`` user the
package creates (``runuser``), owning the temporary directory. One cluster serves the whole
test session; each test gets a schema of its own (``PostgresCluster.fresh_url``), dropped after.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

#: Where Debian puts each major version's server binaries.
BIN_GLOB = "/usr/lib/postgresql/*/bin"


def find_binaries() -> Path | None:
    """The newest installed version's bin dir with initdb and pg_ctl, else None."""
    found = [Path(d) for d in glob.glob(BIN_GLOB) if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists()]
    found.sort(key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    return found[-1] if found else None


class PostgresCluster:
    """initdb + pg_ctl in a temporary directory; ``url`` reaches its ``postgres`` database."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="parley-pg-"))
        self.data = self.dir / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.url = "postgresql://parley@/postgres?" + urllib.parse.urlencode({"host": str(self.dir)})
        self._started = False

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr or result.stdout}")

    def start(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "parley", "--auth=trust",
                  "--encoding=UTF8", "--no-sync")
        # unix socket in our own directory only; durability is not what the tests check
        options = (f"-k {self.dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=60")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w",
                  "-t", "60", "-o", options, "start")
        self._started = True

    def stop(self) -> None:
        try:
            if self._started:
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def fresh_url(self) -> tuple[str, str]:
        """A new empty schema and a URL whose connections use it: (url, schema)."""
        import psycopg

        schema = "t_" + secrets.token_hex(6)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return self.url + "&" + urllib.parse.urlencode({"options": f"-csearch_path={schema}"}), schema

    def drop(self, schema: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
