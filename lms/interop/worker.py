"""The xAPI outbox on RQ: a job that delivers what is due, then schedules its
next run, processed by ``flask lms outbox worker`` (Redis required).

The job calls the same function as ``flask lms outbox run``; the rows are
claimed with ``SKIP LOCKED`` on PostgreSQL, so several workers (or an RQ
worker beside the CLI) never send one statement twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app

from lms.config import config_value
from lms.interop.outbox import deliver_due, enabled
from lms.redis_client import key_prefix

#: Fixed id of the periodic job, so starting a second worker does not double it.
JOB_NAME = "xapi-deliver"


def queue_name() -> str:
    return f"{key_prefix()}-xapi"


def job_id() -> str:
    return f"{key_prefix()}-{JOB_NAME}"


def connection() -> Any:
    """A Redis connection for RQ: no short socket timeout (RQ blocks on its queue)."""
    import redis

    url = config_value("LMS_REDIS_URL")
    if not url:
        raise RuntimeError("LMS_REDIS_URL is not set: run `flask lms outbox run` instead.")
    return redis.Redis.from_url(url)


def queue(redis_connection: Any | None = None) -> Any:
    from rq import Queue

    return Queue(queue_name(), connection=redis_connection or connection())


def deliver_job(interval_seconds: float | None = None) -> dict[str, int]:
    """The RQ job: deliver the due statements, then (with an interval) run again
    after it. Runs in the worker's app context."""
    from lms.interop.lti_grades import deliver_scores

    report = deliver_due() if enabled() else None
    scores = deliver_scores()
    if interval_seconds:
        schedule(interval_seconds, queue(current_app.extensions["lms_rq_connection"]))
    return {
        "delivered": report.delivered if report else 0,
        "failed": report.failed if report else 0,
        "scores_delivered": scores.delivered,
        "scores_failed": scores.failed,
    }


def schedule(interval_seconds: float, target: Any, at_once: bool = False) -> Any:
    """Put the periodic job on the queue (now, or after the interval) unless a
    run of it already waits there (each run has its own id: a job cannot
    re-use the id of the one that schedules it)."""
    import uuid

    waiting = [*target.job_ids, *target.scheduled_job_registry.get_job_ids()]
    if any(job.startswith(job_id()) for job in waiting):
        return None
    options = {"job_id": f"{job_id()}-{uuid.uuid4().hex}", "result_ttl": 60, "failure_ttl": 3600}
    if at_once:
        return target.enqueue(deliver_job, interval_seconds, **options)
    return target.enqueue_in(
        timedelta(seconds=interval_seconds), deliver_job, interval_seconds, **options
    )


def run_worker(interval_seconds: float, burst: bool = False) -> None:
    """Run an RQ worker in this process and app context (no fork: the jobs use
    the app's database engine)."""
    from rq import SimpleWorker

    redis_connection = connection()
    current_app.extensions["lms_rq_connection"] = redis_connection
    target = queue(redis_connection)
    schedule(interval_seconds, target, at_once=True)
    SimpleWorker([target], connection=redis_connection).work(burst=burst, with_scheduler=True)
