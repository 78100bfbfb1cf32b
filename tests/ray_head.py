"""A Ray cluster started apart, as on a real cluster: `ray start --head --block` in its own process
group, with token authentication (the `ray_cluster` fixture of tests/conftest.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


@dataclass
class Cluster:
    address: str
    token: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without Ray's variables, plus `extra`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("RAY_")}, **extra}


@contextmanager
def ray_head(cpus: int = 2) -> Iterator[Cluster]:
    """A one-node cluster of `cpus` CPUs with token authentication, as `ray start --head` makes it,
    started in a folder of its own (its workers start elsewhere than the tests' folder)."""
    import secrets

    token = secrets.token_hex(32)
    port = free_port()
    temp = tempfile.mkdtemp(prefix="vsray", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    log_path = Path(temp) / "head.log"
    with open(log_path, "w") as log:
        head = subprocess.Popen(
            [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--port", str(port),
             "--num-cpus", str(cpus), "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", temp],
            env=clean_env(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=temp)
        try:
            deadline = time.monotonic() + 90
            while "will now block" not in log_path.read_text():
                if head.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"ray start --head did not come up:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
            yield Cluster(f"127.0.0.1:{port}", token)
        finally:
            head.send_signal(signal.SIGTERM)  # --block: Ray stops the node's processes with it
            try:
                head.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(head.pid, signal.SIGKILL)
                head.wait()
