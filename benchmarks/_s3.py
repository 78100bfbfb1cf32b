"""An S3 server on this machine for the benchmarks that read or write object storage: moto's, in
a process of its own (`python -m moto.server`; needs the test extra: moto, flask, flask-cors,
s3fs, boto3). Its figures are the client's cost, not a network's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def s3_server(bucket: str = "bench") -> Iterator[tuple[dict[str, str], Any]]:
    """Start the server with `bucket` made; yields (the environment a process needs to reach
    it, a boto3 client). This process's environment is set to reach it too (s3fs reads it)."""
    import boto3

    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    keys = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1"}
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench",
                              region_name="us-east-1")
        for _ in range(100):
            try:
                client.create_bucket(Bucket=bucket)
                break
            except Exception:  # noqa: BLE001 - the server is still starting
                time.sleep(0.1)
        os.environ.update(keys)
        yield {**os.environ, **keys}, client
    finally:
        server.terminate()
        server.wait()
