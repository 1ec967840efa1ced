"""Assignment and Grade Services: a graded quiz attempt of a launched learner
becomes a score row in the attempt's transaction; the worker posts it to the
platform's line item with a client-credentials token, retrying with back-off
until the platform accepts it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pylti1p3.exception import LtiException
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import select

from lms import signals
from lms.config import config_value
from lms.db import utcnow
from lms.interop.lti_launch import SCORE_SCOPE, TimeoutSession
from lms.interop.lti_models import LtiLineItem, LtiPlatform, LtiScore
from lms.interop.lti_storage import registration_of
from lms.interop.outbox import ERROR_LENGTH, retry_delay
from lms.interop.xapi import base_url
from lms.state import get_session

SCORE_CONTENT_TYPE = "application/vnd.ims.lis.v1.score+json"


def score_of(attempt: Any, sub: str) -> dict[str, Any]:
    """The AGS score of a graded attempt: the percentage out of 100, and whether it
    passed (a wrong critical question fails it, whatever the percentage)."""
    passed = bool(attempt.passed)
    critical = list(attempt.critical_failed or [])
    if passed:
        comment = "Passed"
    elif critical:
        comment = "Not passed: a critical question was answered wrongly"
    else:
        comment = "Not passed"
    graded_at = attempt.graded_at or utcnow()
    return {
        "userId": sub,
        "scoreGiven": round(float(attempt.score_percent or 0), 2),
        "scoreMaximum": 100,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": graded_at.isoformat(),
        "comment": comment,
        f"{base_url()}/lti/score": {
            "passed": passed,
            "criticalFailed": critical,
            "attempt": attempt.number,
        },
    }


def on_attempt_graded(sender: Any, attempt: Any, **extra: Any) -> None:
    """Queue the attempt's score for every line item its learner launched it from."""
    session = get_session()
    line_items = session.scalars(
        select(LtiLineItem).where(
            LtiLineItem.profile_id == attempt.profile_id,
            LtiLineItem.course_key == attempt.course_key,
        )
    )
    for line_item in line_items:
        pending = any(
            isinstance(row, LtiScore)
            and row.line_item_id == line_item.id
            and row.attempt_id == attempt.id
            for row in session.new
        )
        known = session.scalar(
            select(LtiScore.id).where(
                LtiScore.line_item_id == line_item.id, LtiScore.attempt_id == attempt.id
            )
        )
        if pending or known is not None:
            continue
        session.add(
            LtiScore(
                line_item_id=line_item.id,
                attempt_id=attempt.id,
                score=score_of(attempt, line_item.sub),
                next_attempt_at=utcnow(),
            )
        )


def connect() -> None:
    """Connect the receiver (called once by ``LMS.init_app``)."""
    signals.attempt_graded.connect(on_attempt_graded, weak=False)


def scores_url(line_item_url: str) -> str:
    """``<line item>/scores``, keeping the line item's query string."""
    parts = urlsplit(line_item_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def post_score(platform: LtiPlatform, line_item: LtiLineItem, score: dict[str, Any]) -> None:
    """POST one score to the platform; raises LtiException when it is refused."""
    connector = ServiceConnector(registration_of(platform), requests_session=TimeoutSession())
    connector.make_service_request(
        [SCORE_SCOPE],
        scores_url(line_item.url),
        is_post=True,
        data=json.dumps(score, ensure_ascii=False),
        content_type=SCORE_CONTENT_TYPE,
        accept="application/json",
    )


@dataclass
class ScoreReport:
    delivered: int = 0
    failed: int = 0


def deliver_scores(batch_size: int | None = None, now: datetime | None = None) -> ScoreReport:
    """Post the due scores and commit; a refused or unreachable platform's rows
    wait for their next try (doubling, up to an hour)."""
    session = get_session()
    now = now or utcnow()
    batch_size = batch_size or int(config_value("LMS_LTI_SCORE_BATCH_SIZE"))
    query = (
        select(LtiScore)
        .where(LtiScore.delivered_at.is_(None), LtiScore.next_attempt_at <= now)
        .order_by(LtiScore.id)
        .limit(batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two workers never post one score: each skips the rows the other holds.
        query = query.with_for_update(skip_locked=True)
    report = ScoreReport()
    for row in list(session.scalars(query)):
        line_item = row.line_item
        platform = session.get(LtiPlatform, line_item.platform_id)
        try:
            post_score(platform, line_item, row.score)
        except (LtiException, OSError, ValueError) as error:
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
            row.next_attempt_at = now + retry_delay(row.attempts)
            report.failed += 1
        else:
            row.delivered_at = now
            report.delivered += 1
    session.commit()
    return report


def pending_scores() -> int:
    from sqlalchemy import func

    return get_session().scalar(
        select(func.count()).select_from(LtiScore).where(LtiScore.delivered_at.is_(None))
    )
