"""`guidedesk-hq serve --proxy-headers`: behind a reverse proxy the client address (what the
enrolment rate limit counts by) comes from X-Forwarded-For; without the flag a client's
header cannot choose it. A real `serve` process, its access log read back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client_address_seen(tmp_path: Path, *flags: str) -> str:
    env = {**os.environ, "GUIDEDESK_HQ_DB": f"sqlite:///{tmp_path / 'hq.sqlite3'}"}
    hq = [sys.executable, "-m", "sync.hq.cli"]
    subprocess.run([*hq, "init"], env=env, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [*hq, "serve", "--host", "127.0.0.1", "--port", str(port), "--access-log", *flags],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/healthz",
                    headers={"X-Forwarded-For": "203.0.113.7"},
                    timeout=1.0,
                )
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "HQ did not start"
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    lines = [line for line in log.splitlines() if "GET /healthz" in line]
    assert lines, log
    return lines[0].split("INFO:", 1)[1].split(" - ", 1)[0].strip().rsplit(":", 1)[0]


def test_without_proxy_headers_the_connection_address_counts(tmp_path: Path) -> None:
    assert _client_address_seen(tmp_path) == "127.0.0.1"


def test_with_proxy_headers_the_forwarded_address_counts(tmp_path: Path) -> None:
    assert _client_address_seen(tmp_path, "--proxy-headers") == "203.0.113.7"


def test_a_proxy_not_in_forwarded_allow_ips_is_not_believed(tmp_path: Path) -> None:
    seen = _client_address_seen(tmp_path, "--proxy-headers", "--forwarded-allow-ips", "192.0.2.1")
    assert seen == "127.0.0.1"
