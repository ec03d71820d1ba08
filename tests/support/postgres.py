"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl in a temporary folder, on 127.0.0.1.

Debian's server binaries live in /usr/lib/postgresql/<version>/bin (not on PATH). ``initdb`` and
``postgres`` refuse to run as root, so as root the cluster runs as the ``postgres`` system user the
package creates, in a folder that user owns. Authentication is ``trust`` on loopback: this cluster
only lives for one test session.

:func:`find_server` says why a cluster cannot be had (no binaries, no ``postgres`` user when root);
the fixtures skip with that reason, except under CI=true where they fail: CI must test PostgreSQL.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


def _bin_dir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    for folder in candidates:
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def find_server() -> tuple[Path | None, str]:
    """The folder of the server binaries, or None with the reason none can be used."""
    folder = _bin_dir()
    if folder is None:
        return None, "PostgreSQL server binaries not found (install Debian's postgresql package: make test does as root)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root and there is no 'postgres' system user to run the server as"
    return folder, ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bin_dir: Path
    root: Path
    port: int
    user: str = "postgres"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            info = pwd.getpwnam("postgres")
            os.chown(self.root, info.pw_uid, info.pw_gid)
        result = self._run("initdb", "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8",
                           "--no-locale")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        result = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"),
                           "-w", "-t", "60", "start")
        if result.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace") if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {result.stderr.strip()} {log[-2000:]}")

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.user}@127.0.0.1:{self.port}/{dbname}"

    def admin_execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def admin_execute_in(self, url: str, sql: str) -> None:
        """Run ``sql`` as the superuser in the database of ``url``."""
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)

    def require_password(self, user: str, password: str) -> None:
        """A login role that must give ``password`` (scram-sha-256): the other roles keep trust."""
        hba = self.data / "pg_hba.conf"
        rule = f"host all {user} 127.0.0.1/32 scram-sha-256\n"
        text = hba.read_text()
        if rule not in text:
            hba.write_text(rule + text)
        self.admin_execute(f"DROP ROLE IF EXISTS {user}")
        self.admin_execute(f"CREATE ROLE {user} LOGIN SUPERUSER PASSWORD '{password}'")
        self.admin_execute("SELECT pg_reload_conf()")

    def create_database(self, prefix: str = "fm") -> str:
        """A new empty database; returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.admin_execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_cluster() -> Cluster:
    folder, reason = find_server()
    if folder is None:
        raise RuntimeError(reason)
    cluster = Cluster(folder, Path(tempfile.mkdtemp(prefix="fieldmark-pg-")), _free_port())
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster
