"""``ledger serve`` as an operator runs it: uvicorn with worker processes, tokens required."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from api.cli import app as cli
from tests.api.example import EXAMPLE

runner = CliRunner()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_with_two_workers_and_requires_tokens(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert runner.invoke(cli, ["import", str(EXAMPLE), "--db", db]).exit_code == 0
    created = runner.invoke(
        cli, ["token", "create", "--name", "ops", "--role", "reader", "--scope", "hp",
              "--json", "--db", db],
    )  # fmt: skip
    token = json.loads(created.stdout)["token"]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2",
         "--db", db],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"{base}/health").json() == {"status": "ok"}
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert httpx.get(f"{base}/orgs/hp/roster").status_code == 401
        headers = {"authorization": f"Bearer {token}"}
        answers = [httpx.get(f"{base}/orgs/hp/roster?as_of=2021-12-31", headers=headers)
                   for _ in range(6)]  # fmt: skip
        assert {a.status_code for a in answers} == {200}
        assert len({a.json()["count"] for a in answers}) == 1
        assert "server" not in answers[0].headers  # no server banner
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Started parent process" in output and output.count("Started server process") == 2


def test_serve_without_auth_only_on_this_machine(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert runner.invoke(cli, ["migrate", "--db", db]).exit_code == 0
    refused = runner.invoke(cli, ["serve", "--no-auth", "--host", "0.0.0.0", "--db", db])
    assert refused.exit_code == 2 and "--no-auth only on this machine" in refused.output
    missing = runner.invoke(cli, ["serve", "--db", f"sqlite:///{tmp_path / 'nope.db'}"])
    assert missing.exit_code == 2 and "no ledger database" in missing.output
