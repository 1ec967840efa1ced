"""``flask lms certificates ...``: render PDFs and manage the signing key."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lms.state import get_session

BATCH = 50


@click.group("certificates")
def certificates_cli() -> None:
    """Certificates: render PDFs, publish keys."""


@certificates_cli.command("render")
@click.option("--all", "render_all", is_flag=True, help="Every certificate that has no PDF yet.")
@click.argument("numbers", nargs=-1)
@with_appcontext
def render_command(render_all: bool, numbers: tuple[str, ...]) -> None:
    """Render stored PDFs once (a PDF already stored is never re-rendered)."""
    from lms.certificates import numbers as certificate_numbers
    from lms.certificates.issuing import render_certificate
    from lms.certificates.models import Certificate

    if not render_all and not numbers:
        raise click.UsageError("Give certificate numbers or --all.")
    session = get_session()
    query = select(Certificate.id).where(Certificate.pdf_sha256.is_(None))
    if numbers:
        compact = []
        for text in numbers:
            check = certificate_numbers.check_number(text)
            if not check.ok:
                raise click.BadParameter(f"{text}: {check.status.value}", param_hint="NUMBERS")
            compact.append(check.compact)
        query = query.where(Certificate.number.in_(compact))
    ids = list(session.scalars(query.order_by(Certificate.id)))
    with click.progressbar(ids, label="Rendering certificates", show_pos=True) as bar:
        for done, certificate_id in enumerate(bar, start=1):
            certificate = session.get(Certificate, certificate_id)
            if certificate is not None:
                render_certificate(certificate)
            # Commit in batches: progress survives an interruption, memory stays flat.
            if done % BATCH == 0:
                session.commit()
                session.expunge_all()
    session.commit()
    click.echo(f"Rendered {len(ids)} certificate PDF(s).")


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
    click.echo(
        f"Issued certificate {format_number(certificate.number)} to {certificate.holder_name}."
    )
