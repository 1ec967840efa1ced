"""Real gunicorn processes on PostgreSQL and Redis, for the production tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import CONTENT_DIR, POSTGRES_REQUIRED, POSTGRES_URL

PROJECT_DIR = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379")
SECRET = "production-test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:
        return str(error)
    return None


@pytest.fixture(scope="module")
def production_database() -> Iterator[str]:
    """A fresh PostgreSQL database, migrated and with the shipped content."""
    if not POSTGRES_URL:
        pytest.skip("production tests need LMS_TEST_DATABASE_URL (PostgreSQL)")
    problem = _redis_problem()
    if problem:
        if POSTGRES_REQUIRED:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {problem}")
        pytest.skip(f"Redis unreachable: {problem}")
    name = f"lms_prod_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    env = server_environment(url, redis_db=14)
    for command in (["db", "upgrade"], ["lms", "content", "import", str(CONTENT_DIR)]):
        subprocess.run(
            [str(Path(sys.executable).parent / "flask"), *command],
            env=env,
            cwd=PROJECT_DIR,
            check=True,
            capture_output=True,
            timeout=120,
        )
    yield url
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def server_environment(database_url: str, redis_db: int, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        FLASK_APP="lms",
        LMS_SECRET_KEY=SECRET,
        LMS_DATABASE_URL=database_url,
        LMS_REDIS_URL=f"{REDIS_URL}/{redis_db}",
        LMS_RATELIMIT_STORAGE_URL=f"{REDIS_URL}/{redis_db}",
        LMS_PUBLIC_URL="http://127.0.0.1",
        LMS_LOG_JSON="true",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """One gunicorn master with its workers."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in out.stdout.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_server(
    env: dict[str, str],
    log: Path,
    workers: int = 1,
    threads: int = 4,
    config: str = "deploy/gunicorn.conf.py",
) -> Server:
    """Start gunicorn with a production config and wait until it answers."""
    port = free_port()
    env = {
        **env,
        "LMS_BIND": f"127.0.0.1:{port}",
        "LMS_WORKERS": str(workers),
        "LMS_THREADS": str(threads),
        "LMS_STREAM_BIND": f"127.0.0.1:{port}",
        "LMS_STREAM_WORKERS": str(workers),
    }
    handle = log.open("wb")
    process = subprocess.Popen(
        [str(GUNICORN), "-c", config, "lms:create_app()"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, f"http://127.0.0.1:{port}", log, env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(server.url + "/healthz", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")
