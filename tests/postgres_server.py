"""A real, throw-away PostgreSQL server for tests (Debian's `postgresql` package; .ci/run installs it).

Runs initdb + pg_ctl on a free loopback port in a temporary folder, as the `postgres` user when
the tests run as root (PostgreSQL refuses to run as root). ``start()`` returns None with the
reason when no server can be started, so tests skip saying why.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self, folder: Path, port: int, bin_dir: Path, as_user: list[str]) -> None:
        self.folder, self.port, self.bin_dir, self.as_user = folder, port, bin_dir, as_user
        self.url = f"postgresql://citewire@127.0.0.1:{port}/postgres"

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> tuple[PostgresServer | None, str]:
    bin_dir = _binaries()
    if bin_dir is None:
        return None, "PostgreSQL server binaries (Debian package `postgresql`) are not installed"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "psycopg is not installed (pip install -e '.[test]')"
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="citewire-pg-", dir="/tmp"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return None, "running as root and `runuser` is missing: PostgreSQL will not run as root"
        try:
            import pwd

            user = pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root and there is no `postgres` user to run the server as"
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"
    steps = [
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "citewire", "--auth=trust", "-E", "UTF8",
         "--no-sync"],
        [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60", "-o",
         f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off", "start"],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = (folder / "log").read_text()[-500:] if (folder / "log").exists() else ""
            shutil.rmtree(folder, ignore_errors=True)
            return None, f"could not start PostgreSQL: {(result.stderr or result.stdout)[-500:]} {log}"
    return PostgresServer(folder, port, bin_dir, as_user), ""


def running():
    """For a fixture, ``yield from running()``: a started server (the test skipped, saying why, when none can
    start), stopped afterwards."""
    import pytest

    server, why = start()
    if server is None:
        pytest.skip(why)
    try:
        yield server
    finally:
        server.stop()


_databases = itertools.count()


def new_database(server: PostgresServer) -> str:
    """The URL of a fresh, empty database on ``server``: each test its own record."""
    import psycopg

    name = f"t{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + "/" + name


def pg_ctl(server: PostgresServer, action: str) -> None:
    """Stop, or start again on the same port and socket folder (as ``start`` first started it)."""
    command = [*server.as_user, str(server.bin_dir / "pg_ctl"), "-D", str(server.folder / "data"), "-w", "-t", "60"]
    if action == "stop":
        command += ["-m", "fast"]
    else:  # the server's log goes to a file: an inherited pipe would keep subprocess.run waiting
        command += ["-l", str(server.folder / "log"), "-o", f"-p {server.port} -k {server.folder} "
                    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"]
    subprocess.run([*command, action], check=True, capture_output=True, timeout=90)
