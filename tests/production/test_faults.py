"""Restarts and crashes: PostgreSQL going away, a worker killed mid-request."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time

import pytest
import requests
import sqlalchemy as sa

from tests.production.conftest import server_environment, start_server

pytestmark = pytest.mark.postgres

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def postgres_cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def wait_for_postgres(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False)
        if ready.returncode == 0:
            return
        time.sleep(0.3)
    raise RuntimeError("PostgreSQL did not come back")


def register(session: requests.Session, base: str, phone: str, name: str) -> int:
    page = session.get(base + "/register", timeout=10).text
    token = CSRF.search(page).group(1)
    response = session.post(
        base + "/register",
        data={
            "csrf_token": token,
            "phone": phone,
            "display_name": name,
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
        allow_redirects=False,
        timeout=10,
    )
    return response.status_code


def test_requests_fail_cleanly_while_postgres_restarts_and_recover(production_database, tmp_path):
    server = start_server(server_environment(production_database, redis_db=13), tmp_path / "g.log")
    results: list[tuple[float, int, float]] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = requests.get(server.url + "/", timeout=15).status_code
            except requests.RequestException:
                status = -1
            results.append((started, status, time.monotonic() - started))
            time.sleep(0.1)

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        time.sleep(1)
        postgres_cluster("stop")
        outage_started = time.monotonic()
        time.sleep(3)
        restart_issued = time.monotonic()
        postgres_cluster("start")
        wait_for_postgres()
        back_at = time.monotonic()
        deadline = back_at + 20
        while time.monotonic() < deadline:
            if results and results[-1][1] == 200 and results[-1][0] > back_at:
                break
            time.sleep(0.2)
        time.sleep(1)
    finally:
        stop.set()
        worker.join(timeout=30)
        wait_for_postgres()
        server.stop()
    during = [
        status
        for started, status, _ in results
        if outage_started + 0.5 < started < restart_issued - 0.5
    ]
    after = [(started, status) for started, status, _ in results if started > back_at]
    assert during, "no request was made during the outage"
    assert set(during) <= {503}, f"outage answers: {sorted(set(during))}"
    assert all(duration < 10 for _, _, duration in results), "a request hung"
    recovered = [started for started, status in after if status == 200]
    assert recovered and recovered[0] - back_at < 10, "the app did not serve again within 10 s"
    assert after[-1][1] == 200
    assert "Traceback" not in server.log.read_text()


def test_killing_workers_loses_no_committed_data(production_database, tmp_path):
    server = start_server(
        server_environment(production_database, redis_db=12), tmp_path / "k.log", workers=2
    )
    try:
        acknowledged = []
        for index in range(5):
            phone = f"1360000{index:04d}"
            if register(requests.Session(), server.url, phone, "杀进程测试") == 302:
                acknowledged.append(phone)
        # one more registration in flight while every worker is killed
        in_flight = threading.Thread(
            target=lambda: _quiet(register, requests.Session(), server.url, "13600009999", "在途")
        )
        in_flight.start()
        for pid in server.worker_pids():
            os.kill(pid, signal.SIGKILL)
        in_flight.join(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(server.url + "/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
    finally:
        server.stop()
    engine = sa.create_engine(production_database)
    with engine.connect() as connection:
        phones = set(connection.execute(sa.text("SELECT phone FROM lms_user")).scalars())
        orphans = connection.execute(
            sa.text(
                "SELECT count(*) FROM lms_user u LEFT JOIN lms_profile p "
                "ON p.user_ref = CAST(u.id AS VARCHAR) WHERE p.id IS NULL"
            )
        ).scalar()
    engine.dispose()
    assert len(acknowledged) == 5
    assert set(acknowledged) <= phones
    assert orphans == 0, "a user was committed without its profile"


def _quiet(function, *args):
    try:
        function(*args)
    except (requests.RequestException, AttributeError):
        pass
