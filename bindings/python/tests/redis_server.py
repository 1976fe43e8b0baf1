"""A redis-server of the tests' own: on a free loopback port, in a temporary directory,
without persistence, stopped (killed) when the tests end. The tests never touch another
address. ``RATECELL_REDIS_SERVER`` names the binary (default ``redis-server``); without it
the Redis tests are skipped, unless ``CI`` or ``RATECELL_REDIS_REQUIRED`` is set (``make
py-test`` sets it), when that is a failure."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Optional

import redis


def binary() -> Optional[str]:
    return shutil.which(os.environ.get("RATECELL_REDIS_SERVER") or "redis-server")


def required() -> bool:
    return any(os.environ.get(v, "").strip() not in ("", "0", "false", "no") for v in ("CI", "RATECELL_REDIS_REQUIRED"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """One redis-server on 127.0.0.1; ``kill()`` stops it at once (as a crash would) and
    ``start()`` brings it back on the same port, empty."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="ratecell-redis-")
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/"

    def start(self) -> None:
        args = [self.path, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", self.dir]
        args += ["--enable-debug-command", "local"]  # DEBUG SLEEP makes a slow server
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        for _ in range(300):
            try:
                if client.ping():
                    client.close()
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.01)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
