"""`make loadtest-scale`: do the hot pages stay as fast at a million learners?

1. Two PostgreSQL databases of its own, migrated, with the shipped content:
   ``lms_scale_small`` seeded by COPY with 10,000 learners and ``lms_scale``
   with 1,000,000 (2 certificates and 20 step events each, so 2,000,000
   certificates and 20,000,000 events; loadtest/scale_seed.py).
2. The app, in this process, answers the public verification page of a random
   certificate, the signed-in home page of a random learner and a lesson-step
   save of a random learner, in turn, ``--requests`` times each after a warm-up,
   on both databases in alternating rounds (a slow spell of a shared machine
   then lands on both sides of the ratio): the p95 of each.
3. It prints each p95 at both sizes and their ratio (target <= 1.5), the time
   taken and the databases' peak size, then ``EXPLAIN (ANALYZE, BUFFERS)`` of
   every statement those three requests run on the large one, and exits 1 if
   a ratio misses the target or a plan reads a large table by a sequential scan.
4. Both databases are dropped at the end, also after a failure or Ctrl-C.

Redis is left out on purpose: its cached answers would hide the database.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
# Run as a script only loadtest/ is on the path: measure this checkout's code.
sys.path.insert(0, str(ROOT))

from lms import create_app  # noqa: E402
from lms.accounts.models import User  # noqa: E402
from lms.certificates.tokens import generate_key  # noqa: E402
from lms.state import get_session  # noqa: E402
from loadtest import scale_seed  # noqa: E402
from loadtest.seed import session_cookies  # noqa: E402

ADMIN_URL = os.environ.get(
    "LMS_SCALE_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = os.environ.get("LMS_SCALE_DATABASE", "lms_scale")
RATIO_TARGET = 1.5
#: a sequential scan of a table this big is a missing index, not a planner's choice
LARGE_TABLE_ROWS = 100_000
ENDPOINTS = ("verify", "home", "step save")
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")
SEQ_SCAN = re.compile(r"Seq Scan on (?:public\.)?(\w+)")
READING_STEPS = ("situation", "outcome", "rule")
#: measuring rounds, alternating between the small and the large database
ROUNDS = 4
#: the small stage's database is the large one's name with this suffix
SMALL_SUFFIX = "_small"


def scale_label(count: int) -> str:
    """10000 -> 10k, 1000000 -> 1M: how the results name a stage."""
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count >= 1_000 and count % 1_000 == 0:
        return f"{count // 1_000}k"
    return str(count)


def p95(samples: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def seq_scans_on_large_tables(plan: str, row_counts: dict[str, float]) -> list[str]:
    """The tables of more than LARGE_TABLE_ROWS rows that ``plan`` reads by a Seq Scan."""
    return sorted(
        {table for table in SEQ_SCAN.findall(plan) if row_counts.get(table, 0) > LARGE_TABLE_ROWS}
    )


def build_app(url: str, work: Path) -> Flask:
    key = work / "signing.pem"
    if not key.exists():
        key.write_text(generate_key()[0], encoding="ascii")
    return create_app(
        {
            "LMS_DATABASE_URL": url,
            "LMS_SECRET_KEY": "scale-test-secret-0123456789abcdef0123",
            "LMS_SIGNING_KEY_FILE": str(key),
            # one client address for every request: the limiter would measure itself
            "LMS_RATELIMIT_ENABLED": False,
        }
    )


@dataclass
class Subjects:
    """Random certificates to verify and signed-in learners, one per request."""

    numbers: list[str]
    learners: list[FlaskClient]
    savers: list[FlaskClient]
    lessons: list[tuple[str, str]]


def _signed_in(app: Flask, profile_numbers: list[int]) -> list[FlaskClient]:
    with app.app_context():
        session = get_session()
        users = [session.get(User, number) for number in profile_numbers]
        cookies = session_cookies(app, [user for user in users if user is not None])
        session.remove()
    clients = []
    for cookie in cookies:
        client = app.test_client()
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
        clients.append(client)
    return clients


def pick_subjects(app: Flask, learners: int, count: int, rng: random.Random) -> Subjects:
    """``count`` random certificate numbers and two sets of ``count`` random learners."""
    url = app.config["LMS_DATABASE_URL"]
    with scale_seed.connect(url) as connection:
        (top,) = connection.execute("SELECT max(id) FROM lms_certificate").fetchone() or (0,)
        ids = [rng.randint(1, top) for _ in range(count)]
        found = dict(
            connection.execute(
                "SELECT id, number FROM lms_certificate WHERE id = ANY(%s)", [ids]
            ).fetchall()
        )
        lessons = connection.execute(
            "SELECT c.key, l.key FROM lms_course c"
            " JOIN lms_lesson_version l ON l.course_version_id = c.current_version_id"
        ).fetchall()
    numbers = [found[i] for i in ids if i in found]
    return Subjects(
        numbers=numbers,
        learners=_signed_in(app, [rng.randint(1, learners) for _ in range(count)]),
        savers=_signed_in(app, [rng.randint(1, learners) for _ in range(count)]),
        lessons=[(course, lesson) for course, lesson in lessons],
    )


def _verify(client: FlaskClient, number: str) -> None:
    response = client.get(f"/verify/{number}")
    if response.status_code != 200:
        raise SystemExit(f"verification of {number} answered {response.status_code}")


def _home(client: FlaskClient) -> None:
    response = client.get("/")
    # The log-out button shows the learner is signed in, not a visitor.
    if response.status_code != 200 or "/logout" not in response.get_data(as_text=True):
        raise SystemExit(f"the signed-in home page answered {response.status_code}")


def _save_step(client: FlaskClient, course: str, lesson: str, rng: random.Random) -> None:
    event = {
        "key": uuid.uuid4().hex,
        "kind": "done",
        "course": course,
        "lesson": lesson,
        "step": rng.choice(READING_STEPS),
        "at": int(time.time() * 1000),
    }
    response = client.post(
        "/api/sync",
        data=json.dumps({"events": [event]}),
        headers={"Content-Type": "application/json", "X-LMS-Sync": "1"},
    )
    results = (response.get_json(silent=True) or {}).get("results") or [{}]
    if response.status_code != 200 or results[0].get("status") == "rejected":
        raise SystemExit(f"the step save answered {response.status_code}: {results}")


def requests_of(
    app: Flask, subjects: Subjects, rng: random.Random
) -> list[list[tuple[str, Callable[[], None]]]]:
    """One round per subject: a verification, a home page and a step save."""
    anonymous = app.test_client()
    rounds = []
    for number, learner, saver in zip(
        subjects.numbers, subjects.learners, subjects.savers, strict=False
    ):
        course, lesson = rng.choice(subjects.lessons)
        rounds.append(
            [
                ("verify", lambda n=number: _verify(anonymous, n)),
                ("home", lambda c=learner: _home(c)),
                ("step save", lambda c=saver, k=course, ln=lesson: _save_step(c, k, ln, rng)),
            ]
        )
    return rounds


def measure(
    app: Flask, learners: int, requests: int, warmup: int, seed: int
) -> dict[str, list[float]]:
    """The times in ms of each endpoint over ``requests`` rounds after ``warmup`` rounds,
    the three endpoints in turn so a slow spell of the machine hits them alike."""
    rng = random.Random(seed)
    subjects = pick_subjects(app, learners, requests + warmup, rng)
    timings: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    for position, round_ in enumerate(requests_of(app, subjects, rng)):
        for name, send in round_:
            began = time.perf_counter()
            send()
            if position >= warmup:
                timings[name].append((time.perf_counter() - began) * 1000)
    return timings


def measure_alternating(
    apps: dict[int, Flask], requests: int, warmup: int, rounds: int = ROUNDS
) -> dict[int, dict[str, float]]:
    """The p95 of each endpoint on each database, measured in alternating rounds.

    Both databases are measured in every round, one after the other, so a slow
    spell of a shared machine lands on both sides of the ratio rather than on
    one stage: measured one stage after the other, two runs of the same code
    gave ratios of 0.5 and 2.0.
    """
    samples = {learners: {name: [] for name in ENDPOINTS} for learners in apps}
    per_round = max(1, math.ceil(requests / rounds))
    for round_number in range(rounds):
        for stage, (learners, app) in enumerate(apps.items()):
            timings = measure(
                app,
                learners,
                per_round,
                warmup if round_number == 0 else 0,
                seed=round_number * len(apps) + stage,
            )
            for name, times in timings.items():
                samples[learners][name].extend(times)
    return {
        learners: {name: p95(times) for name, times in by_name.items()}
        for learners, by_name in samples.items()
    }


def hot_queries(app: Flask, learners: int, seed: int) -> list[tuple[str, str, Any]]:
    """(endpoint, SQL, parameters) of every statement one request of each endpoint runs."""
    rng = random.Random(seed)
    subjects = pick_subjects(app, learners, 1, rng)
    (round_,) = requests_of(app, subjects, rng)
    seen: list[tuple[str, str, Any]] = []
    current = [""]

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            if (
                isinstance(parameters, list | tuple)
                and parameters
                and not isinstance(parameters[0], str | int | float | bool | type(None))
            ):
                parameters = parameters[0]  # an executemany: one row's plan is every row's
            seen.append((current[0], statement, parameters))

    with app.app_context():
        engine = app.extensions["lms"].db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        for name, send in round_:
            current[0] = name
            send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return seen


@dataclass
class Plan:
    endpoint: str
    statement: str
    text: str
    large_seq_scans: list[str] = field(default_factory=list)


def explain_all(url: str, statements: list[tuple[str, str, Any]]) -> list[Plan]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of each statement in one transaction rolled back
    at the end, so the writes among them change nothing; plain ``EXPLAIN`` for a
    statement that cannot run twice (an insert of a key the request already stored)."""
    plans = []
    with scale_seed.connect(url) as connection:
        counts = dict(
            connection.execute(
                "SELECT relname, reltuples FROM pg_class WHERE relkind IN ('r', 'p')"
            ).fetchall()
        )
        cursor = psycopg.ClientCursor(connection)
        for endpoint, statement, parameters in statements:
            text = ""
            for options in ("ANALYZE, BUFFERS", "COSTS"):
                cursor.execute("SAVEPOINT plan")
                try:
                    cursor.execute(f"EXPLAIN ({options}) {statement}", parameters or None)
                    text = "\n".join(row[0] for row in cursor.fetchall())
                    cursor.execute("RELEASE SAVEPOINT plan")
                    break
                except psycopg.Error as error:
                    cursor.execute("ROLLBACK TO SAVEPOINT plan")
                    text = f"(could not explain: {str(error).splitlines()[0]})"
            plans.append(Plan(endpoint, statement, text, seq_scans_on_large_tables(text, counts)))
        connection.rollback()
    return plans


@dataclass
class ScaleResult:
    """What a run found; ``exit_code`` is 1 when a target was missed."""

    p95_ms: dict[int, dict[str, float]] = field(default_factory=dict)
    counts: dict[int, dict[str, int]] = field(default_factory=dict)
    plans: list[Plan] = field(default_factory=list)
    peak_bytes: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


def run(
    small: int,
    large: int,
    requests: int,
    warmup: int,
    database: str = DATABASE,
    admin_url: str = ADMIN_URL,
) -> ScaleResult:
    """Seed a database of ``small`` learners and one of ``large``, measure both in
    alternating rounds, explain the hot queries on the large one, drop both."""
    began = time.monotonic()
    result = ScaleResult()
    work = Path(tempfile.mkdtemp(prefix="lms-scale-"))
    names = {small: database + SMALL_SUFFIX, large: database}
    apps: dict[int, Flask] = {}
    stage_seconds: list[float] = []
    measure_seconds = 0.0
    try:
        urls = {}
        for learners, name in names.items():
            urls[learners] = scale_seed.create_database(admin_url, name)
            app = apps[learners] = build_app(urls[learners], work)
            with app.app_context():
                scale_seed.migrate_and_import()
                plan = scale_seed.seed_plan()
                get_session().remove()
                report = scale_seed.seed_learners(urls[learners], plan, 0, learners)
            stage_seconds.append(report.seconds)
            result.counts[learners] = scale_seed.table_counts(urls[learners])
            result.peak_bytes = sum(scale_seed.database_size(url) for url in urls.values())
        measuring = time.monotonic()
        result.p95_ms = measure_alternating(apps, requests, warmup)
        measure_seconds = time.monotonic() - measuring
        result.plans = explain_all(urls[large], hot_queries(apps[large], large, seed=7))
        result.peak_bytes = max(
            result.peak_bytes, sum(scale_seed.database_size(url) for url in urls.values())
        )
    finally:
        for app in apps.values():
            with app.app_context():
                get_session().remove()
                app.extensions["lms"].db.engine.dispose()
        for name in names.values():
            scale_seed.drop_database(admin_url, name)
        shutil.rmtree(work, ignore_errors=True)
    _report(result, small, large, time.monotonic() - began, stage_seconds, measure_seconds)
    return result


def _report(
    result: ScaleResult,
    small: int,
    large: int,
    elapsed: float,
    stage_seconds: list[float],
    measure_seconds: float,
) -> None:
    for learners, counted in result.counts.items():
        print(
            f"scale rows at {scale_label(learners)}: {counted['lms_profile']} learners, "
            f"{counted['lms_certificate']} certificates, {counted['lms_step_event']} progress "
            f"events, {counted['lms_lesson_progress']} lesson progress rows"
        )
    low, high = scale_label(small), scale_label(large)
    for name in ENDPOINTS:
        before, after = result.p95_ms[small][name], result.p95_ms[large][name]
        ratio = after / before if before else float("inf")
        print(
            f"scale {name} p95 {low}: {before:.1f} ms, {high}: {after:.1f} ms, ratio: {ratio:.2f}"
        )
        if ratio > RATIO_TARGET:
            result.failures.append(
                f"{name}: p95 grew {ratio:.2f} times from {low} to {high} learners "
                f"(target <= {RATIO_TARGET})"
            )
    seeding = " + ".join(f"{seconds:.0f} s" for seconds in stage_seconds)
    print(
        f"scale elapsed: {elapsed / 60:.1f} min (seeding {seeding}, "
        f"measuring {measure_seconds:.0f} s)"
    )
    print(f"scale peak database size: {result.peak_bytes / 1e9:.2f} GB")
    for plan in result.plans:
        print(f"--- {plan.endpoint}: {plan.statement.strip()}")
        print(plan.text)
        for table in plan.large_seq_scans:
            result.failures.append(
                f"the {plan.endpoint} request reads {table} by a sequential scan"
            )
    if result.failures:
        for failure in result.failures:
            print(f"scale FAILED: {failure}")
    else:
        print(f"scale OK: every ratio <= {RATIO_TARGET}, no sequential scan of a large table")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="learners of the first stage")
    parser.add_argument("--large", type=int, default=1_000_000, help="learners after top-up")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=30, help="untimed rounds first")
    parser.add_argument("--database", default=DATABASE, help="the database to create and drop")
    options = parser.parse_args(argv)
    # A stop from outside unwinds like Ctrl-C, through the cleanup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = run(options.small, options.large, options.requests, options.warmup, options.database)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
