"""The ``flask lms`` command group: each command calls the services and commits."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.accounts.models import OrganisationKind, Role
from lms.config import config_value
from lms.content.schema import LANGUAGES
from lms.state import get_session


@click.group("lms")
def lms_cli() -> None:
    """Skills training: content, users and maintenance."""


@lms_cli.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or upgrade the LMS tables (its own Alembic version table)."""
    from lms.schema_migrations import upgrade_database

    upgrade_database()
    click.echo("LMS database is up to date.")


@lms_cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Copy the live SQLite database to TARGET (PostgreSQL: use pg_dump)."""
    from lms.ops.backup import BackupNotSupported, backup_sqlite
    from lms.state import get_state

    try:
        size = backup_sqlite(get_state().db.engine, target)
    except BackupNotSupported as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {size // 1024} KB to {target}.")


@lms_cli.command("create-user")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.LEARNER.value)
@click.option("--phone", required=True, help="Mainland China mobile number.")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--organisation",
    default=None,
    help="Organisation name (staff roles; a platform admin defaults to the publishing one).",
)
@click.option(
    "--organisation-kind",
    type=click.Choice([k.value for k in OrganisationKind]),
    default=None,
    help="Kind of a new organisation (default: employer for employers, else training provider).",
)
@with_appcontext
def create_user_command(
    role: str,
    phone: str,
    display_name: str,
    password: str,
    organisation: str | None,
    organisation_kind: str | None,
) -> None:
    """Create a standalone user with a role."""
    from lms.accounts.services import (
        AccountError,
        create_user,
        get_or_create_organisation,
        publishing_organisation,
    )

    publisher = publishing_organisation()
    kind = OrganisationKind(organisation_kind) if organisation_kind else None
    if kind is None:
        kind = (
            OrganisationKind.EMPLOYER
            if role == Role.EMPLOYER.value
            else OrganisationKind.TRAINING_PROVIDER
        )
    org = get_or_create_organisation(organisation, kind) if organisation else None
    if org is None and role == Role.PLATFORM_ADMIN.value:
        org = publisher
    try:
        profile = create_user(phone, password, display_name, Role(role), org)
    except AccountError as error:
        get_session().rollback()
        raise click.ClickException(str(error.message)) from None
    get_session().commit()
    click.echo(f"Created {profile.role.value} {profile.display_name} ({phone}).")


@lms_cli.command("sign-out")
@click.option("--phone", required=True, help="Mainland China mobile number of the account.")
@with_appcontext
def sign_out_command(phone: str) -> None:
    """End every login session of a standalone account (a lost or stolen phone)."""
    from lms.accounts.login_sessions import end_login_sessions
    from lms.accounts.services import find_user_by_phone, normalise_phone

    user = find_user_by_phone(normalise_phone(phone) or "")
    if user is None:
        raise click.ClickException(f"No account has the mobile number {phone}.")
    ended = end_login_sessions(user)
    get_session().commit()
    click.echo(f"Signed out {ended} session(s) of {user.phone}.")


@lms_cli.command("grant-role")
@click.option(
    "--user-ref", required=True, help="The user's id: the host's get_id(), or an LMS user id."
)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--organisation", default=None, help="Organisation name (required for staff roles).")
@click.option(
    "--organisation-kind",
    type=click.Choice([k.value for k in OrganisationKind]),
    default=OrganisationKind.TRAINING_PROVIDER.value,
)
@click.option("--name", "display_name", default=None, help="Display name if the profile is new.")
@with_appcontext
def grant_role_command(
    user_ref: str,
    role: str,
    organisation: str | None,
    organisation_kind: str,
    display_name: str | None,
) -> None:
    """Make a user (a host's user in plugin mode) a learner, trainer, employer or admin."""
    from lms.accounts.services import AccountError, grant_role

    try:
        profile = grant_role(
            user_ref, Role(role), organisation, display_name, OrganisationKind(organisation_kind)
        )
    except AccountError as error:
        get_session().rollback()
        raise click.ClickException(str(error.message)) from None
    get_session().commit()
    where = f" of {profile.organisation.name}" if profile.organisation else ""
    click.echo(f"User {profile.user_ref} is now {profile.role.value}{where}.")


@lms_cli.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the production settings: signing key, public URL, Redis, accounts, CSRF."""
    from flask import current_app

    from lms.ops.startup_checks import production_problems, request_time_problems
    from lms.state import get_state

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = get_state()
    problems = production_problems(app, state) + request_time_problems(app, state)
    if problems:
        for problem in problems:
            click.echo(f"- {problem}", err=True)
        raise click.ClickException(f"{len(problems)} problem(s): the LMS is not ready to serve.")
    click.echo(
        f"OK: accounts {state.accounts}, signing key set, public URL "
        f"{config_value('LMS_PUBLIC_URL')}, Redis answers (if configured)."
    )


DEMO_ORGANISATION = "示范区新就业群体服务中心"
DEMO_EMPLOYER = "示范同城配送有限公司"
DEMO_PEOPLE = (
    (Role.LEARNER, "13800000001", "王小骑"),
    (Role.TRAINER, "13800000002", "李培训"),
    (Role.EMPLOYER, "13800000003", "赵站长"),
    (Role.ADMIN, "13800000004", "陈管理"),
    (Role.PLATFORM_ADMIN, "13800000005", "周平台"),
)


@lms_cli.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create demo accounts once; their passwords are printed only then."""
    from lms.accounts.services import (
        create_user,
        find_user_by_phone,
        get_or_create_organisation,
        publishing_organisation,
    )

    organisations = {
        Role.LEARNER: None,
        Role.TRAINER: get_or_create_organisation(
            DEMO_ORGANISATION, OrganisationKind.SERVICE_CENTRE
        ),
        Role.EMPLOYER: get_or_create_organisation(DEMO_EMPLOYER, OrganisationKind.EMPLOYER),
        Role.PLATFORM_ADMIN: publishing_organisation(),
    }
    organisations[Role.ADMIN] = organisations[Role.TRAINER]
    created = []
    for role, phone, name in DEMO_PEOPLE:
        if find_user_by_phone(phone) is not None:
            continue
        password = secrets.token_urlsafe(9)
        create_user(phone, password, name, role, organisations[role])
        created.append((role, phone, name, password))
    get_session().commit()
    if not created:
        click.echo("Demo accounts exist already (their passwords were printed when created).")
        return
    click.echo("Demo accounts (shown once, write them down):")
    for role, phone, name, password in created:
        click.echo(f"  {role.value:<14} {phone}  {password}  {name}")


def _register_domain_commands() -> None:
    from lms.certificates.cli import certificates_cli
    from lms.interop.cli import lti_cli, outbox_cli
    from lms.studio.cli import bank_cli, export_command

    lms_cli.add_command(certificates_cli)
    lms_cli.add_command(outbox_cli)
    lms_cli.add_command(lti_cli)
    lms_cli.add_command(bank_cli)
    content_cli.add_command(export_command)


@lms_cli.group("content")
def content_cli() -> None:
    """Check and import course content files."""


def _content_path(path: str | None) -> Path:
    return Path(path) if path else Path(config_value("LMS_CONTENT_DIR"))


@content_cli.command("check")
@click.argument("path", required=False)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the messages (default: the deployment's first language).",
)
@with_appcontext
def content_check(path: str | None, lang: str | None) -> None:
    """Validate content files; errors name the file and line."""
    from lms.content.messages import catalog_translate, rendering_in

    with rendering_in(catalog_translate(lang or config_value("LMS_LANGUAGES")[0])):
        _content_check(path)


def _content_check(path: str | None) -> None:
    from lms.content.schema import LEVELS_FILE
    from lms.courses.cues import answer_cues
    from lms.courses.loader import load_content
    from lms.levels.loader import read_levels
    from lms.levels.services import course_facts

    root = _content_path(path)
    specs, errors = load_content(root)
    if (root / LEVELS_FILE).is_file():
        _levels, level_errors = read_levels(root / LEVELS_FILE, course_facts(root, published=False))
        errors = [*errors, *level_errors]
    for error in errors:
        click.echo(str(error), err=True)
    lessons = sum(len(spec.lessons) for spec in specs)
    questions = sum(len(spec.quiz.questions) for spec in specs)
    if errors:
        raise click.ClickException(f"{len(errors)} error(s) in content.")
    # Answer cues are warnings: the content is valid, but learners could guess.
    warnings = [warning for spec in specs for warning in answer_cues(spec)]
    for warning in warnings:
        click.echo(str(warning))
    click.echo(f"{len(specs)} courses, {lessons} lessons, {questions} quiz questions: OK")
    click.echo(f"warnings: {len(warnings)}")


@content_cli.command("import")
@click.argument("path", required=False)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the messages (default: the deployment's first language).",
)
@with_appcontext
def content_import(path: str | None, lang: str | None) -> None:
    """Publish content: changed courses get a new version, unchanged ones are skipped."""
    from lms.content.messages import catalog_translate, rendering_in
    from lms.courses.services import import_content
    from lms.levels.services import import_levels

    translate = catalog_translate(lang or config_value("LMS_LANGUAGES")[0])

    report = import_content(_content_path(path))
    get_session().commit()
    with rendering_in(translate):
        for error in report.errors:
            click.echo(str(error), err=True)
    for course in report.courses:
        version = f" v{course.version}" if course.version else ""
        click.echo(f"{course.key}: {course.status.value}{version}")
    # Tracks refer to courses, so they are imported once the courses are in.
    levels = import_levels(_content_path(path))
    get_session().commit()
    with rendering_in(translate):
        for error in levels.errors:
            click.echo(str(error), err=True)
    for track in levels.tracks:
        version = f" v{track.version}" if track.version else ""
        click.echo(f"track {track.key}: {track.status.value}{version}")
    if not report.ok or not levels.ok:
        raise click.ClickException(
            "Some content was rejected; nothing of those courses was imported."
        )


_register_domain_commands()
