"""Certificate PDFs off the request path: issuing queues one RQ job after the
commit, the worker renders and stores, a download serves the stored bytes and
never renders while a job runner is configured, failures are recorded and
retried with back-off, and ``render`` fills the gaps through the same job.

Runs on the shared Redis with this worktree's own db number and key prefix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms.certificates import jobs, rendering
from lms.certificates.access import certificate_by_number
from lms.certificates.cli import certificates_cli
from lms.certificates.issuing import issue_certificate, reissue_certificate, revoke_certificate
from lms.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateEvent,
    CertificateKind,
)
from lms.certificates.rendering import RenderOutcome, render_due, render_one
from lms.db import utcnow
from lms.state import get_session
from tests.certificates.conftest import Issue, english, load, redis_or_skip
from tests.conftest import log_in

REDIS_URL = "redis://127.0.0.1:6379/5"


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"pdftest{uuid.uuid4().hex[:8]}"
    yield name
    client = redis_or_skip(REDIS_URL)
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)


@pytest.fixture
def cert_config(cert_config: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The certificate tests' config with a job runner: Redis configured."""
    redis_or_skip(REDIS_URL)
    return cert_config | {"LMS_REDIS_URL": REDIS_URL, "LMS_REDIS_KEY_PREFIX": prefix}


def queued(app: Flask) -> list[str]:
    """The ids of the jobs waiting on the PDF queue."""
    import redis

    with app.app_context():
        return list(jobs.queue(redis.Redis.from_url(REDIS_URL)).job_ids)


def render_events(app: Flask, number: str) -> int:
    with app.app_context():
        certificate = certificate_by_number(number)
        return get_session().scalar(
            select(func.count())
            .select_from(CertificateEvent)
            .where(
                CertificateEvent.certificate_id == certificate.id,
                CertificateEvent.action == CertificateAction.RENDERED,
            )
        )


def refuse_to_render(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(certificate: Certificate) -> bytes:
        raise RuntimeError("the renderer must not run here")

    monkeypatch.setattr(rendering, "render_signed_pdf", broken)


def test_issuing_queues_exactly_one_render_job_after_the_commit(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id, render=False)
    with cert_app.app_context():
        certificate_id = certificate_by_number(number).id
        expected = jobs.render_job_id(certificate_id)
    assert queued(cert_app) == [expected]
    # Issuing the same achievement again issues nothing and queues nothing.
    assert issue(learner.profile_id, render=False) == number
    assert queued(cert_app) == [expected]


def test_a_rolled_back_issue_queues_nothing(cert_app: Flask, learner: Any) -> None:
    with cert_app.app_context():
        issue_certificate(
            profile_id=learner.profile_id,
            kind=CertificateKind.TRAINING,
            achievement_key="course:rolled-back",
            title="Rolled back",
            hours=1.0,
            evidence={},
        )
        get_session().rollback()
        assert get_session().scalar(select(func.count()).select_from(Certificate)) == 0
    assert queued(cert_app) == []


def test_savepoints_inside_the_transaction_neither_queue_early_nor_forget(
    cert_app: Flask, learner: Any
) -> None:
    with cert_app.app_context():
        session = get_session()
        certificate = issue_certificate(
            profile_id=learner.profile_id,
            kind=CertificateKind.TRAINING,
            achievement_key="course:savepoints",
            title="Savepoints",
            hours=1.0,
            evidence={},
        )
        session.begin_nested().commit()
        assert queued(cert_app) == []
        session.begin_nested().rollback()
        session.commit()
        assert queued(cert_app) == [jobs.render_job_id(certificate.id)]


def test_the_worker_renders_and_stores_and_a_download_then_never_renders(
    cert_app: Flask, learner: Any, issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = issue(learner.profile_id, render=False)
    with cert_app.app_context():
        jobs.run_worker(interval_seconds=60, burst=True)
    stored = load(cert_app, number)
    assert stored.pdf and stored.pdf.startswith(b"%PDF")
    assert stored.pdf_sha256 == hashlib.sha256(stored.pdf).hexdigest()
    assert stored.pdf_rendered_at is not None and stored.pdf_attempts == 0
    assert render_events(cert_app, number) == 1
    assert queued(cert_app) == []

    refuse_to_render(monkeypatch)
    client = cert_app.test_client()
    log_in(client, learner.phone)
    download = client.get(f"/certificates/{number}/pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == stored.pdf
    page = client.get("/certificates").get_data(as_text=True)
    assert f"/certificates/{number}/pdf" in page


def test_before_the_job_runs_the_pages_say_being_prepared_in_both_languages(
    cert_app: Flask, learner: Any, issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = issue(learner.profile_id, render=False)
    refuse_to_render(monkeypatch)
    client = cert_app.test_client()
    log_in(client, learner.phone)

    page = client.get("/certificates").get_data(as_text=True)
    assert "正在生成" in page and f"/certificates/{number}/pdf" not in page
    waiting = client.get(f"/certificates/{number}/pdf")
    assert waiting.status_code == 202 and waiting.mimetype == "text/html"
    assert waiting.headers["Retry-After"] == "5"
    text = waiting.get_data(as_text=True)
    assert "正在生成" in text and '<meta http-equiv="refresh" content="5">' in text

    english(client)
    assert "PDF being prepared" in client.get("/certificates").get_data(as_text=True)
    assert "is being prepared" in client.get(f"/certificates/{number}/pdf").get_data(as_text=True)
    # Nothing was rendered or stored by asking.
    assert load(cert_app, number).pdf is None

    monkeypatch.undo()
    with cert_app.app_context():
        assert render_one(certificate_by_number(number).id) is RenderOutcome.RENDERED
    ready = client.get(f"/certificates/{number}/pdf")
    assert ready.status_code == 200 and ready.data == load(cert_app, number).pdf
    assert f"/certificates/{number}/pdf" in client.get("/certificates").get_data(as_text=True)


def test_a_failing_render_is_recorded_and_retried_with_back_off(
    cert_app: Flask, learner: Any, issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = issue(learner.profile_id, render=False)
    now = utcnow()
    refuse_to_render(monkeypatch)
    with cert_app.app_context():
        certificate_id = certificate_by_number(number).id
        assert render_one(certificate_id, now) is RenderOutcome.FAILED
    failed = load(cert_app, number)
    assert failed.pdf is None and failed.pdf_attempts == 1
    assert "the renderer must not run here" in (failed.pdf_error or "")
    first_retry = failed.pdf_next_attempt_at
    assert first_retry == now + rendering.retry_delay(1)

    with cert_app.app_context():
        # Not due yet: the sweep leaves it alone.
        assert render_due(now).rendered == render_due(now).failed == 0
        assert render_due(first_retry).failed == 1
    again = load(cert_app, number)
    assert again.pdf_attempts == 2
    assert again.pdf_next_attempt_at == first_retry + rendering.retry_delay(2)
    assert rendering.retry_delay(2) == 2 * rendering.retry_delay(1)

    status = cert_app.test_cli_runner().invoke(certificates_cli, ["status"])
    assert "waiting 1, failed at least once 1, the oldest since" in status.output

    monkeypatch.undo()
    with cert_app.app_context():
        report = render_due(again.pdf_next_attempt_at)
    assert report.rendered == 1
    done = load(cert_app, number)
    assert done.pdf and done.pdf_error is None and done.pdf_next_attempt_at is None
    assert (
        "waiting 0, failed at least once 0"
        in cert_app.test_cli_runner().invoke(certificates_cli, ["status"]).output
    )


def test_a_second_run_for_a_stored_certificate_does_nothing(
    cert_app: Flask, learner: Any, issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = issue(learner.profile_id)
    first = load(cert_app, number)
    refuse_to_render(monkeypatch)
    with cert_app.app_context():
        assert render_one(first.id) is RenderOutcome.SKIPPED
        assert jobs.render_job(first.id) == "skipped"
        assert render_due(utcnow()).rendered == 0
    assert load(cert_app, number).pdf == first.pdf
    assert render_events(cert_app, number) == 1


def test_render_fills_every_gap_through_the_job_with_a_progress_bar(
    cert_app: Flask, learner: Any, issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Click draws the bar only on a terminal; the test runner's output is not one.
    monkeypatch.setattr("click._termui_impl.isatty", lambda stream: True)
    kept = issue(learner.profile_id)
    gaps = [
        issue(learner.profile_id, course=course, render=False)
        for course in ("logistics", "ecommerce")
    ]
    runner = cert_app.test_cli_runner()
    result = runner.invoke(certificates_cli, ["render", "--all"])
    assert result.exit_code == 0, result.output
    assert "Rendering certificates" in result.output and "2/2" in result.output
    assert "Rendered 2 certificate PDF(s)." in result.output
    assert all(load(cert_app, number).pdf for number in gaps)
    assert render_events(cert_app, kept) == 1
    assert "Rendered 0 certificate PDF(s)." in runner.invoke(certificates_cli, ["render"]).output


def test_with_redis_down_the_certificate_is_still_rendered_by_the_sweep(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    # Nothing listens on port 1: queueing the job fails, issuing must not.
    cert_app.config["LMS_REDIS_URL"] = "redis://127.0.0.1:1/5"
    cert_app.extensions.pop("lms_redis", None)
    number = issue(learner.profile_id, render=False)
    assert load(cert_app, number).pdf is None
    with cert_app.app_context():
        assert render_due().rendered == 1
    assert load(cert_app, number).pdf


def test_a_revoked_certificate_is_neither_rendered_nor_downloaded(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    stored = issue(learner.profile_id)
    pending = issue(learner.profile_id, course="logistics", render=False)
    with cert_app.app_context():
        for number in (stored, pending):
            revoke_certificate(certificate_by_number(number), "issued_in_error", "", None)
        get_session().commit()
        assert render_one(certificate_by_number(pending).id) is RenderOutcome.SKIPPED
        assert rendering.missing_ids() == []
    client = cert_app.test_client()
    log_in(client, learner.phone)
    assert client.get(f"/certificates/{stored}/pdf").status_code == 410
    assert client.get(f"/certificates/{pending}/pdf").status_code == 410


def test_a_certificate_superseded_before_its_pdf_was_made_is_not_left_waiting(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id, render=False)
    with cert_app.app_context():
        new = reissue_certificate(certificate_by_number(number), "欧阳小明", None)
        get_session().commit()
        new_number = new.number
    client = cert_app.test_client()
    english(client)
    log_in(client, learner.phone)
    old = client.get(f"/certificates/{number}/pdf")
    assert old.status_code == 410 and "replaced by a corrected one" in old.get_data(as_text=True)
    assert client.get(f"/certificates/{new_number}/pdf").status_code == 202
    with cert_app.app_context():
        assert rendering.missing_ids() == [certificate_by_number(new_number).id]


def test_without_a_job_runner_the_download_renders_once(
    cert_app: Flask, learner: Any, issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_app.config["LMS_REDIS_URL"] = None
    number = issue(learner.profile_id, render=False)
    assert queued(cert_app) == []
    client = cert_app.test_client()
    log_in(client, learner.phone)
    first = client.get(f"/certificates/{number}/pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    refuse_to_render(monkeypatch)
    assert client.get(f"/certificates/{number}/pdf").data == first.data
    assert render_events(cert_app, number) == 1


def test_the_retry_delay_doubles_up_to_its_ceiling() -> None:
    delays = [rendering.retry_delay(n) for n in range(1, 30)]
    assert delays[0] == dt.timedelta(seconds=rendering.FIRST_RETRY_SECONDS)
    assert all(later >= earlier for earlier, later in zip(delays, delays[1:], strict=False))
    assert delays[-1] == dt.timedelta(seconds=rendering.MAX_RETRY_SECONDS)


#: Statements of one download: the signed-in learner, the certificate, its bytes
#: (the "being prepared" answer reads no bytes: one fewer).
DOWNLOAD_BUDGET = 3


def test_a_download_and_the_being_prepared_page_stay_within_their_query_budget(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    from tests.test_query_budgets import statements

    stored = issue(learner.profile_id)
    waiting = issue(learner.profile_id, course="logistics", render=False)
    client = cert_app.test_client()
    log_in(client, learner.phone)
    client.get(f"/certificates/{stored}/pdf")
    taken = statements(cert_app)
    assert client.get(f"/certificates/{stored}/pdf").status_code == 200
    download = taken()
    assert client.get(f"/certificates/{waiting}/pdf").status_code == 202
    preparing = taken()
    assert len(download) <= DOWNLOAD_BUDGET, download
    assert len(preparing) <= DOWNLOAD_BUDGET - 1, preparing
