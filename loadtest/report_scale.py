"""`make loadtest-reports`: do the course report and item analysis scale with attempts?

1. Two fresh PostgreSQL databases of its own (``LMS_REPORTS_DATABASE``, default
   ``lms_reports``, and the same name with ``_small``), migrated and with the
   shipped content imported as `make loadtest` does it; dropped at the end.
2. In each, one organisation with one cohort: ``REPORT_LEARNERS`` (2,000)
   learners in the small one and ten times as many in the other, each with
   lessons, active time and ``REPORT_ATTEMPTS`` (3) graded attempts at the
   legal-safety quiz, answers and points per question.
3. The trainer's course report page and item analysis page of each, through
   the app's test client with a signed-in trainer, after one warm-up request:
   ``REPORT_RUNS`` (5) runs alternating between the two databases, the median
   of each side, and ``report scaling <page>: T1 ms -> T2 ms at 10x attempts,
   ratio R``; exits 1 when a ratio is above 10 (a page that costs more than
   linearly).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
# Run as a script only loadtest/ is on the path: this tree's code is measured.
sys.path.insert(0, str(ROOT))
from loadtest import scale_seed  # noqa: E402

BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get(
    "LMS_LOADTEST_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = os.environ.get("LMS_REPORTS_DATABASE", "lms_reports")
LEARNERS = int(os.environ.get("REPORT_LEARNERS", "2000"))
ATTEMPTS = int(os.environ.get("REPORT_ATTEMPTS", "3"))
RUNS = int(os.environ.get("REPORT_RUNS", "5"))
COURSE = "legal-safety"
PAGES = {
    "course": f"/studio/reports/courses/{COURSE}",
    "item analysis": f"/staff/courses/{COURSE}/items",
}
MAX_RATIO = 10.0
BATCH = 5000
# Seeded users never log in with a password (the trainer gets a minted session
# cookie, as loadtest/seed.py does): a value no password hashes to.
NO_PASSWORD = "-"


def migrate(env: dict[str, str]) -> None:
    """The schema and the shipped courses, as `make loadtest` (and the Makefile) do it."""
    for command in (["db", "upgrade"], ["lms", "content", "import"]):
        subprocess.run(
            [str(BIN / "flask"), *command], cwd=ROOT, env=env, check=True, capture_output=True
        )


def _inserted(session: Any, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in batches; the new ids in the order of ``rows``."""
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        ids.extend(
            session.scalars(
                sa.insert(model).returning(model.id, sort_by_parameter_order=True),
                rows[start : start + BATCH],
            )
        )
    return ids


def _insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(sa.insert(model), rows[start : start + BATCH])


def _answer(spec: dict[str, Any], skill: float, rng: random.Random) -> tuple[Any, float]:
    """A plausible answer and its points: stronger learners pick the right option more."""
    right = rng.random() < skill
    options = [option["id"] for option in spec.get("options") or ()]
    kind = spec.get("type")
    if kind == "single" and options:
        key = next((o["id"] for o in spec["options"] if o.get("correct")), options[0])
        return (key if right else rng.choice(options)), 1.0 if right else 0.0
    if kind == "multiple" and options:
        return rng.sample(options, rng.randint(1, len(options))), 1.0 if right else 0.5
    if kind == "true_false":
        return (bool(spec.get("answer")) == right), 1.0 if right else 0.0
    return None, 1.0 if right else 0.0


def seed_learners(cohort_id: int, first: int, count: int) -> None:
    """``count`` learners in the cohort with lessons, active time and graded attempts."""
    from lms.accounts.models import CohortMember, Profile, Role, User
    from lms.assessments.models import Attempt, AttemptQuestion, AttemptStatus
    from lms.courses.models import Course, LessonProgress, StepEvent, StepEventKind
    from lms.db import utcnow
    from lms.state import get_session

    session = get_session()
    rng = random.Random(first)
    course = session.scalar(sa.select(Course).where(Course.key == COURSE))
    version = course.current_version
    lessons = list(version.lessons)
    questions = [
        (item.question_version_id, item.question.key, item.question.spec)
        for item in version.quiz_questions
    ]
    now = utcnow()
    joined = now - timedelta(days=60)
    numbers = range(first, first + count)
    user_ids = _inserted(
        session, User, [{"phone": f"177{n:08d}", "password_hash": NO_PASSWORD} for n in numbers]
    )
    profile_ids = _inserted(
        session,
        Profile,
        [
            {
                "user_ref": str(user_id),
                "display_name": f"骑手{chr(0x4E00 + n % 500)}",
                "role": Role.LEARNER,
            }
            for n, user_id in zip(numbers, user_ids, strict=True)
        ],
    )
    _insert(
        session,
        CohortMember,
        [{"cohort_id": cohort_id, "profile_id": pid, "joined_at": joined} for pid in profile_ids],
    )
    progress, events, attempts, skills = [], [], [], []
    for pid in profile_ids:
        skill = rng.random()
        reached = rng.randint(0, len(lessons))
        for position, lesson in enumerate(lessons[: reached + 1]):
            when = now - timedelta(days=rng.randint(0, 50), minutes=rng.randint(0, 600))
            progress.append(
                {
                    "profile_id": pid,
                    "course_key": COURSE,
                    "lesson_key": lesson.key,
                    "lesson_version_id": lesson.id,
                    "step": "check",
                    "steps_done": ["situation"],
                    "started_at": when,
                    "updated_at": when,
                    "completed_at": when if position < reached else None,
                }
            )
            for step in range(2):
                events.append(
                    {
                        "profile_id": pid,
                        "client_key": f"{pid}-{lesson.key}-{step}",
                        "course_key": COURSE,
                        "lesson_key": lesson.key,
                        "lesson_version_id": lesson.id,
                        "step": "situation",
                        "kind": StepEventKind.DONE,
                        "occurred_at": when,
                        "active_seconds": rng.randint(5, 240),
                    }
                )
        for number in range(1, ATTEMPTS + 1):
            started = now - timedelta(days=rng.randint(0, 50), minutes=rng.randint(0, 600))
            score = round(100 * min(1.0, max(0.0, rng.gauss(skill, 0.15))), 1)
            attempts.append(
                {
                    "profile_id": pid,
                    "course_version_id": version.id,
                    "course_key": COURSE,
                    "quiz_key": version.quiz_key,
                    "number": number,
                    "status": AttemptStatus.GRADED,
                    "started_at": started,
                    "submitted_at": started + timedelta(minutes=4),
                    "graded_at": started + timedelta(minutes=4),
                    "score_percent": score,
                    "passed": score >= 60,
                    "policy": dict(version.quiz_policy or {}),
                    "review_mode": "explanations",
                    "critical_failed": [],
                    "by_topic": {},
                }
            )
            skills.append(skill)
    _insert(session, LessonProgress, progress)
    _insert(session, StepEvent, events)
    attempt_ids = _inserted(session, Attempt, attempts)
    answered = []
    for attempt_id, skill in zip(attempt_ids, skills, strict=True):
        for position, (version_id, key, spec) in enumerate(questions, 1):
            answer, points = _answer(spec, skill, rng)
            answered.append(
                {
                    "attempt_id": attempt_id,
                    "position": position,
                    "question_version_id": version_id,
                    "question_key": key,
                    "option_order": [],
                    "answer": answer,
                    "answered_at": now,
                    "points": points,
                    "correct": points >= 1.0,
                }
            )
    _insert(session, AttemptQuestion, answered)
    session.commit()
    session.execute(sa.text("ANALYZE"))
    session.commit()


def trainer_client(app: Any) -> tuple[Any, int]:
    """A test client signed in as a trainer of a new organisation, and its cohort's id."""
    from lms.accounts.models import Cohort, Organisation, OrganisationKind, Profile, Role, User
    from lms.state import get_session
    from loadtest.seed import session_cookies

    session = get_session()
    organisation = Organisation(name="报表测试站", kind=OrganisationKind.TRAINING_PROVIDER)
    user = User(phone="16600000000", password_hash=NO_PASSWORD)
    session.add_all([organisation, user])
    session.flush()
    session.add(
        Profile(
            user_ref=str(user.id),
            display_name="李老师",
            role=Role.TRAINER,
            organisation_id=organisation.id,
        )
    )
    cohort = Cohort(organisation_id=organisation.id, name="夜班")
    session.add(cohort)
    session.commit()
    (cookie,) = session_cookies(app, [user])
    client = app.test_client()
    client.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie)
    return client, cohort.id


def timed_once(client: Any, path: str) -> float:
    """Milliseconds of one request for ``path``, its whole body read."""
    started = time.perf_counter()
    response = client.get(path, headers={"Accept-Language": "en"})
    response.get_data()
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return (time.perf_counter() - started) * 1000


def prepared_database(name: str, learners: int) -> tuple[Any, Any]:
    """A database of its own with ``learners`` learners: its app and a trainer's client."""
    from lms import create_app

    url = scale_seed.create_database(ADMIN_URL, name)
    migrate({**os.environ, "LMS_DATABASE_URL": url})
    app = create_app({"LMS_DATABASE_URL": url})
    started = time.perf_counter()
    with app.app_context():
        client, cohort_id = trainer_client(app)
        seed_learners(cohort_id, 0, learners)
    print(
        f"seeded {learners} learners, {learners * ATTEMPTS} attempts "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return app, client


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="lms-reports-"))
    from lms.certificates.tokens import generate_key

    (work / "signing.pem").write_text(generate_key()[0], encoding="ascii")
    os.environ.update(
        {
            "FLASK_APP": "lms",
            "LMS_SECRET_KEY": "report-scale-secret-0123456789abcdef0123",
            "LMS_SIGNING_KEY_FILE": str(work / "signing.pem"),
            "LMS_RATELIMIT_ENABLED": "false",
        }
    )
    # Two databases, the second with ten times the learners and attempts,
    # timed in alternating requests: measured one after the other, minutes
    # apart, a slow spell of a shared machine would land on one side only.
    names = {LEARNERS: DATABASE + "_small", 10 * LEARNERS: DATABASE}
    try:
        clients = {count: prepared_database(name, count)[1] for count, name in names.items()}
        times: dict[str, dict[int, list[float]]] = {
            page: {count: [] for count in clients} for page in PAGES
        }
        for path in PAGES.values():
            for client in clients.values():
                timed_once(client, path)  # warm-up
        # Outside any app context: each request has its own, as in production.
        for _ in range(RUNS):
            for page, path in PAGES.items():
                for count, client in clients.items():
                    times[page][count].append(timed_once(client, path))
        failed = False
        for page, by_count in times.items():
            small, large = (statistics.median(by_count[count]) for count in names)
            ratio = large / small
            failed = failed or ratio > MAX_RATIO
            print(
                f"report scaling {page}: {small:.0f} ms -> {large:.0f} ms at 10x attempts, "
                f"ratio {ratio:.1f} (median of {RUNS} alternating runs)"
            )
        return 1 if failed else 0
    finally:
        for name in names.values():
            scale_seed.drop_database(ADMIN_URL, name)


if __name__ == "__main__":
    sys.exit(main())
