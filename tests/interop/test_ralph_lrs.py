"""The outbox against a real LRS: Ralph (``ralph-malph``) started by the test on
its file-system backend, from its own virtual environment ``.venv-ralph`` (made
here when missing: its pins would not sit beside ours, ``make ralph-venv``).

Ralph validates every statement it accepts (its pydantic xAPI models) and the
statements are read back through its own ``GET /xAPI/statements``.

Ralph 5's file-system backend stores the statements of one LRS in one file that
it creates on the first POST and refuses to write again ("already exists and
overwrite is not allowed with operation_type create"): it takes one POST per
data folder. So each batch here is one POST, and the restarted LRS gets a
fresh data folder: the statements read back from the first run and from the
second together are every statement, each exactly once.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lms.db import utcnow
from lms.interop.outbox import deliver_batch
from tests.conftest import People, _dispose, build_test_app, log_in
from tests.interop.test_xapi_outbox import _journey, _rows

ROOT = Path(__file__).resolve().parents[2]
RALPH_VENV = ROOT / ".venv-ralph"
RALPH = RALPH_VENV / "bin" / "ralph"
PORT = 5232
USER, PASSWORD = "lms", "lrs-test-secret"


def _ensure_ralph() -> None:
    if RALPH.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(RALPH_VENV)], check=True)
    subprocess.run(
        [str(RALPH_VENV / "bin" / "pip"), "install", "-q", "ralph-malph[cli,lrs]", "requests"],
        check=True,
    )


class Ralph:
    def __init__(self, workdir: Path) -> None:
        self.env = {
            **os.environ,
            "RALPH_AUTH_FILE": str(workdir / "auth.json"),
            "RALPH_APP_DIR": str(workdir / "app"),
            "RALPH_RUNSERVER_BACKEND": "fs",
        }
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "ralph.log"
        subprocess.run(
            [str(RALPH), "auth", "-u", USER, "-p", PASSWORD, "-s", "all"]
            + ["-M", "mailto:lms-outbox@example.cn", "-w"],
            env=self.env,
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.runs += 1
        data = self.workdir / f"data-{self.runs}"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(RALPH), "runserver", "-b", "fs", "-h", "127.0.0.1", "-p", str(PORT)]
                + ["--fs-default-directory-path", str(data)],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", PORT)) == 0:
                    return
            time.sleep(0.2)
        raise RuntimeError("Ralph did not start: " + self.log.read_text()[-2000:])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def statements(self) -> list[dict[str, Any]]:
        """Every statement, following the ``more`` links of the query API."""
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        found: list[dict[str, Any]] = []
        path = "/xAPI/statements?limit=100"
        while path:
            request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}")
            request.add_header("Authorization", f"Basic {token}")
            request.add_header("X-Experience-API-Version", "1.0.3")
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
                page = json.load(response)
            found.extend(page["statements"])
            path = page.get("more") or ""
        return found


@pytest.fixture
def ralph(tmp_path: Path) -> Iterator[Ralph]:
    _ensure_ralph()
    server = Ralph(tmp_path / "ralph")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def lrs_app(database_backend: dict[str, Any], tmp_path: Path, ralph: Ralph) -> Iterator[Flask]:
    application = build_test_app(
        database_backend,
        tmp_path,
        with_content=True,
        LMS_XAPI_ENDPOINT=f"http://127.0.0.1:{PORT}/xAPI",
        LMS_XAPI_KEY=USER,
        LMS_XAPI_SECRET=PASSWORD,
        LMS_PUBLIC_URL="https://lms.example.cn",
    )
    yield application
    _dispose(application)


def test_a_journey_reaches_ralph_and_survives_it_going_down(lrs_app: Flask, ralph: Ralph):
    people = People(lrs_app)
    _journey(lrs_app, people)
    with lrs_app.app_context():
        report = deliver_batch(batch_size=1000)
        first = {row.statement_id for row in _rows()}
        assert report.delivered == len(first) and report.failed == 0
    stored = ralph.statements()
    assert sorted(s["id"] for s in stored) == sorted(first)
    verbs = {s["verb"]["id"].rsplit("/", 1)[1] for s in stored}
    assert {"experienced", "completed", "answered", "passed", "earned", "attended"} <= verbs
    assert all(s["actor"]["account"]["homePage"] == "https://lms.example.cn" for s in stored)

    ralph.stop()
    learner = _journey(lrs_app, people)
    client = lrs_app.test_client()
    assert log_in(client, learner.phone).status_code == 302
    assert client.get("/").status_code == 200
    with lrs_app.app_context():
        down = deliver_batch()
        assert down.delivered == 0 and down.failed > 0
        assert all(row.delivered_at is None for row in _rows() if row.attempts)

    ralph.start()
    with lrs_app.app_context():
        later = utcnow() + timedelta(hours=2)
        assert deliver_batch(batch_size=1000, now=later).failed == 0
        every = {row.statement_id for row in _rows()}
        assert all(row.delivered_at is not None for row in _rows()), [
            row.last_error for row in _rows() if row.delivered_at is None
        ]
    ids = [s["id"] for s in stored] + [s["id"] for s in ralph.statements()]
    assert sorted(ids) == sorted(every)
    assert len(ids) == len(set(ids)) > len(first)
