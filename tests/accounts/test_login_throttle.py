"""Login throttling that holds when guesses arrive together, and that a
stranger cannot turn against the riders who share a station's Wi-Fi."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from lms.accounts import throttle
from lms.accounts.services import AccountError, LoginThrottled
from lms.accounts.throttle import (
    ADDRESS_FREE_FAILURES,
    LoginSlowedDown,
    finish_login,
    reserve_login_attempt,
)
from lms.db import utcnow
from lms.state import get_session
from tests.conftest import (
    CSRF_PATTERN,
    PASSWORD,
    People,
    _dispose,
    build_concurrent_app,
    log_in,
    post_form,
)

GUESSES = 20
STATION = "10.8.0.1"


def guess(phone: str, password: str, address: str = STATION, now=None, known=None):
    """One login through the services, committed the way the view commits it."""
    try:
        attempt = reserve_login_attempt(phone, address, known, now=now)
    except AccountError:
        get_session().commit()
        raise
    get_session().commit()
    try:
        return finish_login(attempt, password, now=now)
    finally:
        get_session().commit()


@pytest.fixture
def busy_app(database_backend: dict[str, Any], tmp_path: Path):
    """The app with enough database connections for every guess at once."""
    application = build_concurrent_app(database_backend, tmp_path, GUESSES, with_content=False)
    yield application
    _dispose(application)


def test_twenty_guesses_at_once_count_twenty_and_only_the_allowed_five_are_checked(
    busy_app, monkeypatch
):
    rider = People(busy_app).make()
    checked = []
    real_check = throttle.check_password_hash

    def counting_check(stored: str, password: str) -> bool:
        checked.append(password)
        return real_check(stored, password)

    monkeypatch.setattr(throttle, "check_password_hash", counting_check)
    barrier = threading.Barrier(GUESSES)

    def one_guess(index: int) -> str:
        with busy_app.test_request_context("/login", method="POST"):
            barrier.wait()
            try:
                guess(rider.phone, f"wrong-{index}", address=f"10.9.0.{index}")
            except LoginThrottled:
                return "throttled"
            except AccountError:
                return "wrong"
            finally:
                get_session().remove()
        return "in"

    with ThreadPoolExecutor(GUESSES) as pool:
        outcomes = list(pool.map(one_guess, range(GUESSES)))

    assert outcomes.count("wrong") == 5
    assert outcomes.count("throttled") == GUESSES - 5
    assert len(checked) == 5
    with busy_app.test_request_context("/login", method="POST"):
        with pytest.raises(LoginThrottled):
            guess(rider.phone, PASSWORD, address="10.9.1.1")


def test_many_wrong_passwords_from_a_station_only_slow_it_down_for_seconds(app, people):
    rider = people.make()
    start = utcnow()
    with app.test_request_context("/login", method="POST"):
        for index in range(ADDRESS_FREE_FAILURES + 3):
            with pytest.raises(AccountError):
                # Guesses at many numbers, one at a time, from the station's one address.
                guess(f"1390000{index:04d}", "wrong", now=start + timedelta(seconds=2 * index))
        later = start + timedelta(seconds=2 * (ADDRESS_FREE_FAILURES + 2) + 1)
        with pytest.raises(LoginSlowedDown) as slowed:
            guess(rider.phone, PASSWORD, now=later)
        assert slowed.value.seconds <= 60

        user = guess(rider.phone, PASSWORD, now=later + timedelta(seconds=61))
        assert user.phone == rider.phone


def test_a_stranger_cannot_lock_a_rider_out_of_the_phone_she_signed_in_on(app, people):
    rider = people.make()
    her_phone = app.test_client()
    log_in(her_phone, rider.phone)
    post_form(her_phone, "/logout", {})
    stranger = app.test_client()
    for _ in range(6):
        log_in(stranger, rider.phone, "guessing")

    assert log_in(stranger, rider.phone).status_code == 429
    assert log_in(her_phone, rider.phone).status_code == 302


def test_the_known_device_cookie_of_another_rider_does_not_lift_the_lock(app, people):
    rider, other = people.make(), people.make(name="李四")
    shared = app.test_client()
    log_in(shared, other.phone)
    post_form(shared, "/logout", {})
    for _ in range(5):
        log_in(app.test_client(), rider.phone, "guessing")

    assert log_in(shared, rider.phone).status_code == 429


def test_twenty_logins_at_once_over_http_get_answers_and_never_a_5xx(busy_app):
    """Regression: 20 parallel logins answered some with a 500 (SQLite: no lock)."""
    people = People(busy_app)
    riders = [people.make() for _ in range(GUESSES // 2)]
    target = people.make()
    server = make_server("127.0.0.1", 0, busy_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    barrier = threading.Barrier(GUESSES)

    def one_login(index: int) -> int:
        browser = requests.Session()
        page = browser.get(f"{base}/login", timeout=30).text
        token = CSRF_PATTERN.search(page).group(1)
        right = index < len(riders)
        form = {
            "csrf_token": token,
            "phone": riders[index].phone if right else target.phone,
            "password": PASSWORD if right else f"wrong-{index}",
        }
        barrier.wait()
        answer = browser.post(f"{base}/login", data=form, allow_redirects=False, timeout=30)
        return answer.status_code

    try:
        with ThreadPoolExecutor(GUESSES) as pool:
            statuses = list(pool.map(one_login, range(GUESSES)))
    finally:
        server.shutdown()

    assert all(status < 500 for status in statuses), statuses
    assert statuses[: len(riders)] == [302] * len(riders)
    assert set(statuses[len(riders) :]) <= {400, 429}
