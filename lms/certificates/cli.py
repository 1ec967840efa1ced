"""``flask lms certificates ...``: render PDFs and manage the signing key."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from lms.state import get_session


@click.group("certificates")
def certificates_cli() -> None:
    """Certificates: render PDFs, publish keys."""


@certificates_cli.command("render")
@click.option(
    "--missing/--all",
    "missing",
    default=True,
    help="Every valid certificate without a stored PDF (the default; --all is the same "
    "set: a stored PDF is a document already handed out and is never rendered again).",
)
@click.argument("numbers", nargs=-1)
@with_appcontext
def render_command(missing: bool, numbers: tuple[str, ...]) -> None:
    """Render and store the PDFs that are missing, through the job runner's own job
    (also what to run without Redis, e.g. from cron)."""
    from lms.certificates import numbers as certificate_numbers
    from lms.certificates.rendering import RenderReport, missing_ids, render_one

    # --missing and --all name one set (``missing`` is not read): --all stays for
    # the scripts written before the job runner, which say it.
    compact = None
    if numbers:
        compact = []
        for text in numbers:
            check = certificate_numbers.check_number(text)
            if not check.ok:
                raise click.BadParameter(f"{text}: {check.status.value}", param_hint="NUMBERS")
            compact.append(check.compact)
    ids = missing_ids(compact)
    get_session().rollback()
    report = RenderReport()
    with click.progressbar(ids, label="Rendering certificates", show_pos=True) as bar:
        for certificate_id in bar:
            # Each job commits its own certificate: progress survives an interruption.
            report.add(render_one(certificate_id))
            get_session().expunge_all()
    click.echo(f"Rendered {report.rendered} certificate PDF(s).")
    if report.failed or report.skipped:
        click.echo(
            f"Failed {report.failed} (tried again by the next run), done before {report.skipped}."
        )
    if report.failed:
        raise SystemExit(1)


@certificates_cli.command("status")
@with_appcontext
def status_command() -> None:
    """Print how many certificate PDFs wait for the job runner."""
    from lms.certificates.rendering import backlog

    found = backlog()
    since = (
        f", the oldest since {found.oldest.isoformat(timespec='seconds')}" if found.oldest else ""
    )
    click.echo(f"waiting {found.waiting}, failed at least once {found.failing}{since}")


@certificates_cli.command("worker")
@click.option("--interval", default=30.0, show_default=True, help="Seconds between sweeps.")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(interval: float, burst: bool) -> None:
    """Render certificate PDFs as RQ jobs on LMS_REDIS_URL, with a periodic sweep
    for missed jobs and retries."""
    from lms.certificates.jobs import run_worker

    try:
        run_worker(interval, burst=burst)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error


@certificates_cli.command("jwks")
@with_appcontext
def jwks_command() -> None:
    """Print the public JWKS (for offline verifiers: save it as jwks.json)."""
    from lms.certificates.keys import published_jwks

    click.echo(json.dumps(published_jwks(), indent=2))


@certificates_cli.command("rotate-key")
@with_appcontext
def rotate_key_command() -> None:
    """Sign with a new key from now on; the old one stays published so its certificates
    verify, and the status lists are re-signed with the new one."""
    from lms.certificates.credentials import refresh_all_status_lists
    from lms.certificates.keys import KeyRotationError, rotate_signing_key

    try:
        old, new, key_file, retired_file = rotate_signing_key()
    except KeyRotationError as error:
        raise click.ClickException(str(error)) from None
    lists = refresh_all_status_lists()
    get_session().commit()
    click.echo(f"New signing key {new} written to {key_file}.")
    click.echo(f"Retired key {old} added to {retired_file} (still published in the JWKS).")
    click.echo(f"Re-signed {lists} status list(s). Restart every app server to use the new key.")


@certificates_cli.command("issue")
@click.option("--phone", required=True, help="The learner's registered mobile number.")
@click.option("--course", "course_key", required=True, help="The course id (its key).")
@click.option("--evidence", required=True, help="Where and when the training was done.")
@click.option("--hours", type=float, help="Hours of training (default: the course's).")
@with_appcontext
def issue_command(phone: str, course_key: str, evidence: str, hours: float | None) -> None:
    """Issue a course certificate for training done outside the app (audited)."""
    from lms.certificates.errors import CertificateError
    from lms.certificates.manual import HandIssue, issue_by_hand
    from lms.certificates.numbers import format_number

    try:
        certificate = issue_by_hand(HandIssue(phone, course_key, evidence, hours), actor=None)
    except CertificateError as error:
        get_session().rollback()
        raise click.ClickException(str(error.message)) from None
    get_session().commit()
    from lms.certificates.rendering import render_one, runner_configured

    if not runner_configured():
        # No job runner: this command is one, and renders the PDF now.
        render_one(certificate.id)
    click.echo(
        f"Issued certificate {format_number(certificate.number)} to {certificate.holder_name}."
    )
