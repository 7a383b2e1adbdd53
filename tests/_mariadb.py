"""Start a throwaway MariaDB server from the installed `mariadbd`, on loopback, for the tests."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pymysql

_SERVER: MariaDBServer | None = None


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
        if found:
            return found
    return None


def available() -> bool:
    """True when a MariaDB (or MySQL) server binary is installed."""
    return _binary("mariadbd", "mysqld") is not None and _binary("mariadb-install-db", "mysql_install_db") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MariaDBServer:
    """One mariadbd process with its data directory in a temporary folder."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="leadpipe-mariadb-"))
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._counter = 0

    def start(self) -> None:
        datadir = self.base / "data"
        install = _binary("mariadb-install-db", "mysql_install_db")
        server = _binary("mariadbd", "mysqld")
        assert install and server
        tmpdir = self.base / "tmp"  # private: parallel servers must not share /tmp's #sql files
        tmpdir.mkdir()
        subprocess.run(
            [install, "--no-defaults", f"--datadir={datadir}", f"--tmpdir={tmpdir}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True,
        )
        with (self.base / "server.log").open("wb") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [server, "--no-defaults", f"--datadir={datadir}", f"--tmpdir={tmpdir}",
                 f"--socket={self.base / 'sock'}",
                 f"--port={self.port}", "--bind-address=127.0.0.1", "--user=root",
                 "--skip-grant-tables", "--skip-name-resolve", "--local-infile=1", "--sql-mode=",
                 f"--key-buffer-size={os.environ.get('LEADPIPE_MARIADB_KEY_BUFFER', '256M')}",
                 "--innodb-buffer-pool-size=256M",
                 "--max-allowed-packet=256M", "--max-connections=200",
                 f"--pid-file={self.base / 'pid'}", "--skip-log-bin"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                pymysql.connect(host="127.0.0.1", port=self.port, user="root").close()
                break
            except pymysql.err.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    text = (self.base / "server.log").read_text(errors="replace")[-2000:]
                    msg = f"mariadbd did not start:\n{text}"
                    raise RuntimeError(msg) from None
                time.sleep(0.2)

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        self._counter += 1
        name = f"{prefix}_{os.getpid()}_{self._counter}"
        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root")
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE `{name}`")
        finally:
            conn.close()
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{name}"

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1].split("?")[0]
        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root")
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.base, ignore_errors=True)


def server() -> MariaDBServer:
    """The session's server, started on first use and stopped at exit."""
    global _SERVER
    if _SERVER is None:
        srv = MariaDBServer()
        srv.start()
        atexit.register(srv.stop)
        _SERVER = srv
    return _SERVER
