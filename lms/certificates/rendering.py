"""A certificate's PDF, rendered and signed once, off the request path.

A certificate without stored bytes (``pdf_sha256`` is None) is the job: the
job runner renders it after the issuing transaction commits, and a periodic
sweep picks up whatever that missed (Redis down at that moment, a worker
stopped mid-job, a failed render waiting for its retry). With a job runner
configured (``LMS_REDIS_URL``) a download never renders; without one (the
standalone ``make run``) the download renders once, as the only way a
single-process install gets its PDFs without a second command.

A stored PDF is never rendered again, not even after a design change: it is a
document already handed out, and its hash is how an uploaded copy is verified.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Select, func, or_, select, update

from lms.certificates import numbers, pades
from lms.certificates.issuing import document_for
from lms.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateEvent,
    CertificateStatus,
)
from lms.certificates.pdf import render_pdf
from lms.config import config_value
from lms.db import utcnow
from lms.state import get_session

LOGGER = logging.getLogger(__name__)

#: Seconds before the first retry of a failed render; each failure doubles it.
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 6 * 3600
ERROR_LENGTH = 500
#: Certificates one sweep takes from the work list at a time.
SWEEP_BATCH = 50


class RenderOutcome(StrEnum):
    RENDERED = "rendered"
    #: already stored, revoked or gone: nothing to do
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class RenderReport:
    rendered: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, outcome: RenderOutcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


def runner_configured() -> bool:
    """True when a job runner renders the PDFs (a download then never renders)."""
    return bool(config_value("LMS_REDIS_URL"))


def pdf_stored(certificate: Certificate) -> bool:
    """True once the certificate's PDF bytes are stored (reads no deferred column)."""
    return certificate.pdf_sha256 is not None


def being_prepared(certificate: Certificate) -> bool:
    """True when the PDF is not stored yet and the job runner, not the download, makes it."""
    return not pdf_stored(certificate) and runner_configured()


def needs_pdf(certificate: Certificate) -> bool:
    """A valid certificate without stored bytes; revoked and superseded ones are
    never offered for download, so nothing renders them."""
    return not pdf_stored(certificate) and certificate.status is CertificateStatus.VALID


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failures (exponential)."""
    seconds = FIRST_RETRY_SECONDS * 2 ** max(0, min(attempts - 1, 20))
    return timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))


def render_signed_pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF, rendered and signed (PAdES); stores nothing."""
    return pades.sign_pdf(
        render_pdf(document_for(certificate)),
        pades.signing_identity(),
        reason=f"Certificate {numbers.format_number(certificate.number)}",
    )


def store_pdf(certificate: Certificate, now: datetime | None = None) -> bool:
    """Render and store the PDF unless it is stored already; flushes, the caller
    commits. True when this call stored it.

    The store is a guarded ``UPDATE ... WHERE pdf_sha256 IS NULL``: two workers
    rendering the same certificate at once leave exactly one PDF and one audit
    entry, and the bytes a holder once downloaded never change.
    """
    if pdf_stored(certificate):
        return False
    data = render_signed_pdf(certificate)
    digest = hashlib.sha256(data).hexdigest()
    now = now or utcnow()
    session = get_session()
    stored = session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.pdf_sha256.is_(None))
        .values(
            pdf=data,
            pdf_sha256=digest,
            pdf_rendered_at=now,
            pdf_error=None,
            pdf_next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    # The row may have changed under us; read what was stored, ours or the other's.
    session.expire(certificate, ["pdf", "pdf_sha256", "pdf_rendered_at", "pdf_error"])
    if stored != 1:
        return False
    session.add(
        CertificateEvent(
            certificate_id=certificate.id,
            action=CertificateAction.RENDERED,
            actor_profile_id=None,
            detail={"sha256": digest, "attempt": certificate.pdf_attempts + 1},
            organisation_id=certificate.organisation_id,
        )
    )
    session.flush()
    return True


def record_failure(certificate_id: int, error: BaseException, now: datetime) -> None:
    """Note a failed render and when to try again (the caller commits)."""
    session = get_session()
    attempts = (
        session.scalar(select(Certificate.pdf_attempts).where(Certificate.id == certificate_id))
        or 0
    ) + 1
    session.execute(
        update(Certificate)
        .where(Certificate.id == certificate_id, Certificate.pdf_sha256.is_(None))
        .values(
            pdf_attempts=attempts,
            pdf_error=f"{type(error).__name__}: {error}"[:ERROR_LENGTH],
            pdf_next_attempt_at=now + retry_delay(attempts),
        )
        .execution_options(synchronize_session=False)
    )


def render_one(certificate_id: int, now: datetime | None = None) -> RenderOutcome:
    """The render job: render and store one certificate's PDF, and commit.

    Idempotent: a stored, revoked or missing certificate is skipped. A failure
    is recorded (attempts, error, next try with back-off), never raised.
    """
    session = get_session()
    now = now or utcnow()
    certificate = session.get(Certificate, certificate_id)
    if certificate is None or not needs_pdf(certificate):
        session.rollback()
        return RenderOutcome.SKIPPED
    try:
        stored = store_pdf(certificate, now)
    except Exception as error:
        LOGGER.exception("rendering certificate %s failed", certificate_id)
        session.rollback()
        record_failure(certificate_id, error, now)
        session.commit()
        return RenderOutcome.FAILED
    session.commit()
    return RenderOutcome.RENDERED if stored else RenderOutcome.SKIPPED


def _work_list(now: datetime | None) -> Select[tuple[int]]:
    query = select(Certificate.id).where(
        Certificate.pdf_sha256.is_(None), Certificate.status == CertificateStatus.VALID
    )
    if now is not None:
        query = query.where(
            or_(Certificate.pdf_next_attempt_at.is_(None), Certificate.pdf_next_attempt_at <= now)
        )
    return query.order_by(Certificate.id)


def missing_ids(numbers_only: list[str] | None = None) -> list[int]:
    """Every valid certificate without stored bytes, due or not (``render --missing``)."""
    query = _work_list(None)
    if numbers_only is not None:
        query = query.where(Certificate.number.in_(numbers_only))
    return list(get_session().scalars(query))


def due_ids(now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """The certificates whose render is due now (never tried, or their retry is due)."""
    return list(get_session().scalars(_work_list(now).limit(limit)))


@dataclass(frozen=True)
class Backlog:
    waiting: int
    failing: int
    oldest: datetime | None


def backlog() -> Backlog:
    """How many valid certificates wait for their PDF, how many of them failed at
    least once, and since when the oldest waits (a stopped worker shows here)."""
    waiting, failing, oldest = (
        get_session()
        .execute(
            select(
                func.count(),
                func.count().filter(Certificate.pdf_attempts > 0),
                func.min(Certificate.created_at),
            ).where(Certificate.pdf_sha256.is_(None), Certificate.status == CertificateStatus.VALID)
        )
        .one()
    )
    return Backlog(int(waiting), int(failing), oldest)


def render_due(now: datetime | None = None, max_batches: int = 100) -> RenderReport:
    """The sweep: render every certificate that is due, batch by batch, until none
    is left or a whole batch failed (the renderer is broken: wait for the retry)."""
    now = now or utcnow()
    report = RenderReport()
    for _ in range(max_batches):
        ids = due_ids(now)
        get_session().rollback()
        if not ids:
            break
        outcomes = [render_one(certificate_id, now) for certificate_id in ids]
        for outcome in outcomes:
            report.add(outcome)
        if all(outcome is RenderOutcome.FAILED for outcome in outcomes):
            break
    return report
