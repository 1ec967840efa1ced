"""Seed a PostgreSQL database of its own with learners at platform scale, by COPY.

Each learner gets a user and a profile, ``CERTIFICATES_PER_LEARNER`` course
certificates (real numbers, signed tokens, status-list entries, some revoked
or expired) and ``EVENTS_PER_LEARNER`` step events walking real lessons of the
shipped content, with the lesson progress rows those events leave behind.
:func:`seed_learners` adds learners ``start+1 .. stop``, so a run seeds a
first stage and tops it up to the next.

Run inside an app context of the database (``create_app`` with its URL): the
app computes the parts that must match what it would have written itself
(the publishing organisation, the signing key, the token fields).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from lms.accounts.services import hash_password, publishing_organisation
from lms.certificates import keys, numbers, tokens
from lms.certificates.issuing import token_fields
from lms.certificates.models import CertificateKind, CertificateStatusList
from lms.config import config_value
from lms.courses.models import Course, LessonVersion
from lms.courses.progress import STEPS
from lms.schema_migrations import upgrade_database
from lms.state import get_session

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
CERTIFICATES_PER_LEARNER = 2
EVENTS_PER_LEARNER = 20
#: databases this seeder must never create or drop: the suite's and `make loadtest`'s
PROTECTED_DATABASES = ("test", "postgres", "template0", "template1")
PROTECTED_PREFIXES = ("lms_load",)
#: every Nth certificate is revoked, every Mth has expired: verifiers see all states
REVOKED_EVERY = 50
EXPIRED_EVERY = 40
#: the status list grows in whole steps of the specification's minimum size
STATUS_LIST_STEP = 131072
#: the tables a top-up loads, whose secondary indexes and foreign keys are
#: dropped during the load and rebuilt after it (one sort beats millions of inserts)
BULK_TABLES = ("lms_profile", "lms_certificate", "lms_lesson_progress", "lms_step_event")
#: characters sent to COPY per write
BATCH_CHARACTERS = 4_000_000
PASSWORD = "scale-test-password"
DAY_ZERO = dt.date(2026, 1, 1)


def _is_protected(name: str) -> bool:
    return name in PROTECTED_DATABASES or name.startswith(PROTECTED_PREFIXES)


def create_database(admin_url: str, name: str) -> str:
    """A fresh, empty database ``name`` (dropped first if left over); returns its URL."""
    if _is_protected(name):
        raise SystemExit(f"refusing to use the database {name!r}: it belongs to others")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    """Drop the database ``name`` and every connection to it."""
    if _is_protected(name):
        raise SystemExit(f"refusing to drop the database {name!r}: it belongs to others")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def database_exists(admin_url: str, name: str) -> bool:
    admin = sa.create_engine(admin_url)
    with admin.connect() as connection:
        found = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
    admin.dispose()
    return found is not None


def migrate_and_import() -> None:
    """The project's migrations and the shipped content, as `flask db upgrade` and
    `flask lms content import` do them (the app context's database)."""
    from lms.courses.services import import_content
    from lms.levels.services import import_levels

    upgrade_database()
    for report in (import_content(CONTENT_DIR), import_levels(CONTENT_DIR)):
        get_session().commit()
        if not report.ok:
            raise SystemExit(f"content errors: {[str(error) for error in report.errors]}")


@dataclass(frozen=True)
class LessonWalk:
    """The events and progress a learner leaves in one lesson walked end to end."""

    course_key: str
    lesson_key: str
    lesson_version_id: int
    #: (step, kind, question_key, answer JSON or None, correct or None, points or None)
    events: tuple[tuple[str, str, str | None, str | None, bool | None, float | None], ...]


@dataclass(frozen=True)
class SeedPlan:
    """What every seeded row shares: content, organisation, signing key, texts."""

    lessons: tuple[LessonWalk, ...]
    course_titles: dict[str, dict[str, str]]
    organisation_id: int
    status_list_id: int
    password_hash: str
    issuer_name: str
    key_id: str
    signing_key: Any


def _walk(lesson: LessonVersion, course_key: str) -> LessonWalk:
    options = (lesson.decision or {}).get("options", [])
    best = next((o["id"] for o in options if o.get("best")), None)
    events: list[tuple[str, str, str | None, str | None, bool | None, float | None]] = [
        ("situation", "done", None, None, None, None),
        ("decision", "decision", "decision", _json({"value": best}), True, None),
        ("outcome", "done", None, None, None, None),
        ("rule", "done", None, None, None, None),
    ]
    for check in lesson.checks:
        right = [o["id"] for o in check.get("options", []) if o.get("correct")]
        value: Any = right[0] if check.get("type") == "single" and right else right
        events.append(("check", "answer", check["id"], _json({"value": value}), True, 1.0))
    return LessonWalk(course_key, lesson.key, lesson.id, tuple(events))


def seed_plan() -> SeedPlan:
    """Read the published content and the app's settings once, for every stage."""
    session = get_session()
    lessons: list[LessonWalk] = []
    titles: dict[str, dict[str, str]] = {}
    for course in session.scalars(select(Course).order_by(Course.key)):
        version = course.current_version
        if version is None:
            continue
        titles[course.key] = dict(version.title)
        lessons += [_walk(lesson, course.key) for lesson in version.lessons]
    organisation = publishing_organisation()
    status_list = session.scalar(
        select(CertificateStatusList).where(
            CertificateStatusList.organisation_id == organisation.id
        )
    )
    if status_list is None:
        status_list = CertificateStatusList(organisation_id=organisation.id)
        session.add(status_list)
        session.flush()
    signing = keys.signing_key()
    plan = SeedPlan(
        lessons=tuple(lessons),
        course_titles=titles,
        organisation_id=organisation.id,
        status_list_id=status_list.id,
        # One scrypt hash for everyone: a million of them would take hours.
        password_hash=hash_password(PASSWORD),
        issuer_name=str(config_value("LMS_ISSUER_NAME") or ""),
        key_id=signing.kid,
        signing_key=signing.private_key,
    )
    session.commit()
    return plan


def _copy(cursor: psycopg.Cursor, table: str, columns: Sequence[str], lines: Iterator[str]) -> int:
    """COPY text-format lines (or blocks of them) into ``table``; returns the rows sent."""
    count = 0
    batch: list[str] = []
    size = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for block in lines:
            batch.append(block)
            size += len(block)
            if size >= BATCH_CHARACTERS:
                data = "".join(batch)
                copy.write(data)
                count += data.count("\n")
                batch.clear()
                size = 0
        data = "".join(batch)
        copy.write(data)
        count += data.count("\n")
    return count


def _text(value: str | None) -> str:
    # Our values hold no tabs or newlines; only NULL needs spelling.
    return "\\N" if value is None else value


def _json(value: Any) -> str:
    """JSON for a COPY text line: COPY reads a backslash as an escape, so double it."""
    return json.dumps(value, ensure_ascii=False).replace("\\", "\\\\")


def _day(number: int) -> dt.date:
    """The day learner ``number`` started: spread over the year so far."""
    return DAY_ZERO + dt.timedelta(days=number % 330)


def _user_lines(plan: SeedPlan, start: int, stop: int) -> Iterator[str]:
    for number in range(start + 1, stop + 1):
        created = f"{_day(number).isoformat()} 08:00:00+00"
        yield f"{number}\t157{number:08d}\t{plan.password_hash}\t{created}\t{created}\n"


def _profile_lines(start: int, stop: int) -> Iterator[str]:
    for number in range(start + 1, stop + 1):
        created = f"{_day(number).isoformat()} 08:00:00+00"
        yield f"{number}\t{number}\t骑手{number}\tlearner\t{created}\n"


def _courses_of(plan: SeedPlan, number: int) -> list[str]:
    keys_in_order = sorted(plan.course_titles)
    first = number % len(keys_in_order)
    return [
        keys_in_order[(first + offset) % len(keys_in_order)]
        for offset in range(CERTIFICATES_PER_LEARNER)
    ]


def _certificate_lines(plan: SeedPlan, start: int, stop: int) -> Iterator[str]:
    kind = CertificateKind.TRAINING
    evidence = _json({"seeded": "scale test"})
    issuer = plan.issuer_name
    status_index = start * CERTIFICATES_PER_LEARNER
    for number in range(start + 1, stop + 1):
        holder = f"骑手{number}"
        for course_key in _courses_of(plan, number):
            status_index += 1
            compact = numbers.new_certificate_number().replace("-", "")
            issued = _day(number) + dt.timedelta(days=30)
            expires = issued + dt.timedelta(days=365) if status_index % EXPIRED_EVERY == 0 else None
            title = plan.course_titles[course_key]
            # The same fields the app signs into a certificate's QR token.
            fields = token_fields(
                SimpleNamespace(
                    number=compact,
                    holder_name=holder,
                    kind=kind,
                    issued_on=issued,
                    expires_on=expires,
                    issuer_name=issuer,
                    hours=1.5,
                    track_title={},
                    title=title,
                    level=None,
                )
            )
            token = tokens.sign_certificate(fields, plan.signing_key, plan.key_id)
            revoked = status_index % REVOKED_EVERY == 0
            row = [
                compact,
                str(number),
                kind.value,
                f"course:{course_key}:profile:{number}",
                holder,
                "{}",
                course_key,
                _json(title),
                "1.5",
                evidence,
                issued.isoformat(),
                _text(expires.isoformat() if expires else None),
                issuer,
                str(plan.organisation_id),
                plan.key_id,
                token,
                str(plan.status_list_id),
                str(status_index - 1),
                "revoked" if revoked else "valid",
                _text(f"{issued.isoformat()} 12:00:00+00" if revoked else None),
                _text("issued_in_error" if revoked else None),
                f"{issued.isoformat()} 09:00:00+00",
            ]
            yield "\t".join(row) + "\n"


#: what forked workers inherit instead of having it pickled: the app and the plan
_FORKED: dict[str, Any] = {}
CHUNK_LEARNERS = 10_000


def _certificate_chunk(bounds: tuple[int, int]) -> str:
    with _FORKED["app"].app_context():
        return "".join(_certificate_lines(_FORKED["plan"], *bounds))


def _forked_certificate_lines(plan: SeedPlan, start: int, stop: int) -> Iterator[str]:
    """The certificate lines made by two forked workers, in order.

    Signing a token is most of a certificate's cost (Ed25519 and its JSON), and
    PostgreSQL takes the lines faster than one process makes them, so both cores
    sign while this process feeds COPY.
    """
    _FORKED.update(app=current_app._get_current_object(), plan=plan)  # type: ignore[attr-defined]
    chunks = [(low, min(low + CHUNK_LEARNERS, stop)) for low in range(start, stop, CHUNK_LEARNERS)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        yield from pool.imap(_certificate_chunk, chunks)
    _FORKED.clear()


CERTIFICATE_COLUMNS = (
    "number",
    "profile_id",
    "kind",
    "achievement_key",
    "holder_name",
    "track_title",
    "course_key",
    "title",
    "hours",
    "evidence",
    "issued_on",
    "expires_on",
    "issuer_name",
    "organisation_id",
    "key_id",
    "token",
    "status_list_id",
    "status_index",
    "status",
    "revoked_at",
    "revocation_category",
    "created_at",
)
EVENT_COLUMNS = (
    "profile_id",
    "client_key",
    "course_key",
    "lesson_key",
    "lesson_version_id",
    "step",
    "kind",
    "question_key",
    "answer",
    "correct",
    "points",
    "occurred_at",
    "recorded_at",
    "active_seconds",
)
PROGRESS_COLUMNS = (
    "profile_id",
    "course_key",
    "lesson_key",
    "lesson_version_id",
    "step",
    "steps_done",
    "started_at",
    "updated_at",
    "completed_at",
)


def _flag(value: bool | None) -> str:
    return "\\N" if value is None else ("t" if value else "f")


def _learner_walk(plan: SeedPlan, number: int) -> list[tuple[LessonWalk, int]]:
    """The lessons learner ``number`` walked and how many events of each, adding up
    to ``EVENTS_PER_LEARNER``: whole lessons, then the start of the next."""
    walked = []
    left = EVENTS_PER_LEARNER
    position = (number * 7) % len(plan.lessons)
    while left > 0:
        lesson = plan.lessons[position % len(plan.lessons)]
        taken = min(left, len(lesson.events))
        walked.append((lesson, taken))
        left -= taken
        position += 1
    return walked


#: a learner's events one minute apart from 09:00, formatted once
CLOCK = [f" {9 + m // 60:02d}:{m % 60:02d}:00+00" for m in range(EVENTS_PER_LEARNER)]


def _event_lines(plan: SeedPlan, start: int, stop: int) -> Iterator[str]:
    """Each learner's step events, one minute apart from 09:00 of the day they started."""
    # Each lesson's constant columns, formatted once instead of 20 million times.
    constant = {
        walk.lesson_version_id: [
            "\t".join(
                [
                    walk.course_key,
                    walk.lesson_key,
                    str(walk.lesson_version_id),
                    step,
                    kind,
                    _text(question),
                    _text(answer),
                    _flag(correct),
                    _text(None if points is None else str(points)),
                ]
            )
            for step, kind, question, answer, correct, points in walk.events
        ]
        for walk in plan.lessons
    }
    for number in range(start + 1, stop + 1):
        minute = 0
        day = _day(number).isoformat()
        key = f"{number}\t{number:x}k"
        for lesson, taken in _learner_walk(plan, number):
            columns = constant[lesson.lesson_version_id]
            for index in range(taken):
                at = day + CLOCK[minute]
                yield (
                    f"{key}{minute:03d}seeded\t{columns[index]}\t{at}\t{at}\t"
                    f"{60 if minute else 0}\n"
                )
                minute += 1


def _progress_lines(plan: SeedPlan, start: int, stop: int) -> Iterator[str]:
    """The lesson progress rows the events of :func:`_event_lines` leave behind."""
    for number in range(start + 1, stop + 1):
        minute = 0
        day = _day(number).isoformat()
        for lesson, taken in _learner_walk(plan, number):
            done_steps = sorted({event[0] for event in lesson.events[:taken]}, key=STEPS.index)
            complete = taken == len(lesson.events)
            resume = next((s for s in STEPS if s not in done_steps), STEPS[-1])
            first, last = day + CLOCK[minute], day + CLOCK[minute + taken - 1]
            minute += taken
            row = [
                str(number),
                lesson.course_key,
                lesson.lesson_key,
                str(lesson.lesson_version_id),
                resume,
                _json(done_steps),
                first,
                last,
                last if complete else "\\N",
            ]
            yield "\t".join(row) + "\n"


@dataclass
class BulkLoad:
    """Secondary indexes and foreign keys of the bulk tables, dropped for a load."""

    drops: list[str]
    rebuilds: list[str]


def _bulk_load_plan(cursor: psycopg.Cursor) -> BulkLoad:
    tables = list(BULK_TABLES)
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conname",
        [tables],
    )
    foreign = cursor.fetchall()
    # Indexes of their own only: those behind a primary key or unique constraint stay.
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        " ORDER BY 1",
        [tables],
    )
    indexes = cursor.fetchall()
    drops = [f'ALTER TABLE {table} DROP CONSTRAINT "{name}"' for table, name, _ in foreign]
    drops += [f'DROP INDEX "{name}"' for name, _ in indexes]
    rebuilds = [definition for _, definition in indexes]
    rebuilds += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition in foreign
    ]
    return BulkLoad(drops, rebuilds)


@dataclass
class StageReport:
    learners: int
    certificates: int
    events: int
    seconds: float


def connect(url: str) -> psycopg.Connection:
    """A plain psycopg connection to the database of an SQLAlchemy URL (for COPY)."""
    plain = sa.make_url(url).set(drivername="postgresql")
    return psycopg.connect(plain.render_as_string(hide_password=False))


def seed_learners(url: str, plan: SeedPlan, start: int, stop: int) -> StageReport:
    """Add learners ``start+1 .. stop`` with their certificates and step events by COPY,
    then ANALYZE. Secondary indexes and foreign keys are rebuilt after a large load."""
    began = time.monotonic()
    rebuild = stop - start > 50_000
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SELECT count(*) FROM lms_user")
        (already,) = cursor.fetchone() or (0,)
        if already != start:
            raise SystemExit(f"expected {start} learners before this stage, found {already}")
        bulk = _bulk_load_plan(cursor) if rebuild else BulkLoad([], [])
        for statement in bulk.drops:
            cursor.execute(statement)
        _copy(
            cursor,
            "lms_user",
            ("id", "phone", "password_hash", "created_at", "password_changed_at"),
            _user_lines(plan, start, stop),
        )
        _copy(
            cursor,
            "lms_profile",
            ("id", "user_ref", "display_name", "role", "created_at"),
            _profile_lines(start, stop),
        )
        certificates = _copy(
            cursor,
            "lms_certificate",
            CERTIFICATE_COLUMNS,
            _forked_certificate_lines(plan, start, stop)
            if rebuild
            else _certificate_lines(plan, start, stop),
        )
        events = _copy(cursor, "lms_step_event", EVENT_COLUMNS, _event_lines(plan, start, stop))
        _copy(cursor, "lms_lesson_progress", PROGRESS_COLUMNS, _progress_lines(plan, start, stop))
        for table in ("lms_user", "lms_profile"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - our own table names
            )
        issued = stop * CERTIFICATES_PER_LEARNER
        size = -(-issued // STATUS_LIST_STEP) * STATUS_LIST_STEP
        cursor.execute(
            "UPDATE lms_certificate_status_list SET next_index = %s, size = GREATEST(size, %s)"
            " WHERE id = %s",
            [issued, size, plan.status_list_id],
        )
        for statement in bulk.rebuilds:
            cursor.execute(statement)
        connection.commit()
    with connect(url) as connection:
        connection.autocommit = True
        # VACUUM too: autovacuum would otherwise set the freshly loaded pages'
        # hint bits and visibility map in the middle of the measurement, and a
        # checkpoint writes the load out before the clock starts.
        connection.execute(f"VACUUM (ANALYZE) {', '.join(BULK_TABLES)}, lms_user")
        connection.execute("ANALYZE")
        connection.execute("CHECKPOINT")
    return StageReport(stop - start, certificates, events, time.monotonic() - began)


def table_counts(url: str) -> dict[str, int]:
    """Rows in the tables a stage fills, counted exactly."""
    counted = {}
    with connect(url) as connection:
        for table in ("lms_profile", "lms_certificate", "lms_step_event", "lms_lesson_progress"):
            row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - our own table names
            counted[table] = row[0] if row else 0
    return counted


def database_size(url: str) -> int:
    """The database's size on disk in bytes (``pg_database_size``)."""
    with connect(url) as connection:
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0
