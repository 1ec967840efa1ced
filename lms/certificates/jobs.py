"""Certificate PDFs on the job runner (RQ on ``LMS_REDIS_URL``).

Issuing notes the new certificate in the session; only once the transaction
commits is its render job put on the queue, so a worker never looks for a
certificate that a rollback took back. If Redis cannot take the job at that
moment nothing is lost: the certificate still has no PDF, and the worker's
periodic sweep (``sweep_job``) renders it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.certificates import rendering
from lms.config import config_value
from lms.redis_client import key_prefix, redis_client

LOGGER = logging.getLogger(__name__)

#: session.info key: ids of the certificates issued in the open transaction
PENDING_KEY = "lms_certificate_pdfs_to_render"
#: Fixed stem of the periodic sweep's job ids, so a second worker does not double it.
SWEEP_NAME = "pdf-sweep"


def queue_name() -> str:
    return f"{key_prefix()}-certificate-pdf"


def render_job_id(certificate_id: int) -> str:
    return f"{key_prefix()}-pdf-{certificate_id}"


def sweep_job_id() -> str:
    return f"{key_prefix()}-{SWEEP_NAME}"


def queue(redis_connection: Any | None = None) -> Any:
    """The PDF queue, on the app's (short-timeout) Redis client unless given one."""
    from rq import Queue

    return Queue(queue_name(), connection=redis_connection or redis_client())


def render_job(certificate_id: int) -> str:
    """The RQ job of one certificate: runs in the worker's app context."""
    return rendering.render_one(certificate_id).value


def sweep_job(interval_seconds: float | None = None) -> dict[str, int]:
    """The periodic RQ job: render what is due (missed jobs, retries), then run again."""
    report = rendering.render_due()
    if interval_seconds:
        schedule_sweep(interval_seconds, queue(current_app.extensions["lms_rq_connection"]))
    return {"rendered": report.rendered, "failed": report.failed}


def schedule_sweep(interval_seconds: float, target: Any, at_once: bool = False) -> Any:
    """Put the sweep on the queue (now, or after the interval) unless a run of it
    already waits there."""
    waiting = [*target.job_ids, *target.scheduled_job_registry.get_job_ids()]
    if any(job.startswith(sweep_job_id()) for job in waiting):
        return None
    options = {
        "job_id": f"{sweep_job_id()}-{uuid.uuid4().hex}",
        "result_ttl": 60,
        "failure_ttl": 3600,
    }
    if at_once:
        return target.enqueue(sweep_job, interval_seconds, **options)
    return target.enqueue_in(
        timedelta(seconds=interval_seconds), sweep_job, interval_seconds, **options
    )


def enqueue_render(certificate_ids: list[int]) -> int:
    """Queue the render jobs of these certificates; returns how many were queued.

    A Redis that does not answer costs only the immediacy: the sweep renders
    them later.
    """
    if not certificate_ids or not rendering.runner_configured():
        return 0
    try:
        target = queue()
        for certificate_id in certificate_ids:
            target.enqueue(
                render_job,
                certificate_id,
                job_id=render_job_id(certificate_id),
                result_ttl=300,
                failure_ttl=3600,
            )
    except Exception:
        LOGGER.warning("could not queue certificate PDF jobs %s", certificate_ids, exc_info=True)
        return 0
    return len(certificate_ids)


def note_issued(certificate: Any) -> None:
    """Remember a certificate issued in the open transaction, to render after commit."""
    if not rendering.runner_configured():
        return
    from lms.state import get_session

    get_session().info.setdefault(PENDING_KEY, []).append(certificate.id)


def _after_commit(session: Session) -> None:
    # SQLAlchemy sends this for a savepoint too; only the outermost commit
    # makes the certificate visible to a worker.
    if session.get_nested_transaction() is not None:
        return
    pending = session.info.pop(PENDING_KEY, None)
    if pending and has_app_context():
        enqueue_render(list(dict.fromkeys(pending)))


def _after_rollback(session: Session) -> None:
    # A savepoint rolled back (a lost race in issuing) keeps what was noted before it.
    if session.get_nested_transaction() is None:
        session.info.pop(PENDING_KEY, None)


def listen_for_commits() -> None:
    """Queue the render jobs after each commit (once per process; every session,
    the host's too, but only one that issued a certificate has anything noted)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def run_worker(interval_seconds: float, burst: bool = False) -> None:
    """Run an RQ worker for the PDF queue in this process and app context (no
    fork: the jobs use the app's database engine), with the periodic sweep."""
    import redis
    from rq import SimpleWorker

    url = config_value("LMS_REDIS_URL")
    if not url:
        raise RuntimeError("LMS_REDIS_URL is not set: run `flask lms certificates render` instead.")
    # No short socket timeout here: the worker blocks on its queue.
    redis_connection = redis.Redis.from_url(url)
    current_app.extensions["lms_rq_connection"] = redis_connection
    target = queue(redis_connection)
    schedule_sweep(interval_seconds, target, at_once=True)
    SimpleWorker([target], connection=redis_connection).work(burst=burst, with_scheduler=True)
