"""``flask lms content export ID PATH``: write a course as a content folder or zip;
``flask lms bank import|export``: a course's question bank to and from GIFT or Aiken.

``lms.cli`` registers ``export_command`` under ``flask lms content`` and
``bank_cli`` as ``flask lms bank``. The bank commands read and write files only.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("export")
@click.argument("course_id")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--draft", is_flag=True, help="Export the studio draft instead of the published version."
)
@with_appcontext
def export_command(course_id: str, path: Path, draft: bool) -> None:
    """Export a course as a content folder (or a .zip) that `content import` reads back."""
    from lms.studio.errors import StudioError
    from lms.studio.export import course_zip, write_folder
    from lms.studio.publishing import export_course

    try:
        exported = export_course(course_id, draft=draft)
    except StudioError as error:
        raise click.ClickException(str(error.message)) from None
    if path.suffix == ".zip":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(course_zip(exported, course_id))
    else:
        if path.exists() and any(path.iterdir()):
            raise click.ClickException(f"{path} is not empty: give a new or empty folder.")
        write_folder(exported, path)
    click.echo(f"{course_id}: {len(exported.files)} files written to {path}")


@click.group("bank")
def bank_cli() -> None:
    """Import and export a course's question bank as Moodle GIFT or Aiken files."""


def _content_root(content: Path | None) -> Path:
    from lms.config import config_value

    return content if content is not None else Path(config_value("LMS_CONTENT_DIR"))


@bank_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["gift", "aiken"]), required=True)
@click.option("--course", "course_id", required=True, help="The course id (course.yaml id).")
@click.option(
    "--language",
    type=click.Choice(["zh_CN", "en"]),
    default="zh_CN",
    show_default=True,
    help="The language the file is written in.",
)
@click.option("--content", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--dry-run", is_flag=True, help="Only report what would be imported.")
@with_appcontext
def bank_import_command(
    file: Path, fmt: str, course_id: str, language: str, content: Path | None, dry_run: bool
) -> None:
    """Add the questions of a GIFT or Aiken FILE to a course's questions.yaml."""
    from lms.studio.bank_files import BankFileError, add_to_bank, course_folder
    from lms.studio.bank_import import parse_bank

    try:
        folder = course_folder(_content_root(content), course_id)
        source = file.read_text(encoding="utf-8-sig")
    except BankFileError as error:
        raise click.ClickException(error.message) from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text: save it as UTF-8.") from None
    result = parse_bank(fmt, source, language)
    for problem in result.problems:
        click.echo(f"rejected: line {problem.line}: {problem.message}")
    for note in result.notes:
        click.echo(f"note: line {note.line}: {note.message}")
    if not dry_run:
        try:
            ids = add_to_bank(folder, course_id, [item.question for item in result.questions])
        except BankFileError as error:
            raise click.ClickException(error.message) from None
        for item, qid in zip(result.questions, ids, strict=True):
            click.echo(f"added: line {item.line}: {qid}")
    click.echo(f"imported: {len(result.questions)}, rejected: {len(result.problems)}")


@bank_cli.command("export")
@click.option("--course", "course_id", required=True, help="The course id (course.yaml id).")
@click.option("--format", "fmt", type=click.Choice(["gift", "aiken"]), default="gift")
@click.option("--language", type=click.Choice(["zh_CN", "en"]), default="zh_CN")
@click.option("--content", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def bank_export_command(
    course_id: str, fmt: str, language: str, content: Path | None, output: Path | None
) -> None:
    """Write a course's question bank as GIFT or Aiken (to --output, else to the screen)."""
    from lms.studio.bank_export import EXPORTERS
    from lms.studio.bank_files import BankFileError, course_folder, read_bank

    try:
        questions, errors = read_bank(course_folder(_content_root(content), course_id))
    except BankFileError as error:
        raise click.ClickException(error.message) from None
    if errors:
        from lms.content.messages import catalog_translate, rendering_in
        from lms.i18n import lms_locale

        with rendering_in(catalog_translate(lms_locale())):
            for error in errors:
                click.echo(str(error), err=True)
        raise click.ClickException(f"{len(errors)} error(s) in the question bank.")
    exported = EXPORTERS[fmt](questions, language)
    for qid, reason in exported.skipped:
        click.echo(f"skipped: {qid}: {reason}", err=True)
    for qid, reason in exported.changed:
        click.echo(f"changed: {qid}: {reason}", err=True)
    if output is None:
        click.echo(exported.text, nl=False)
    else:
        output.write_text(exported.text, encoding="utf-8")
    written = len(questions) - len(exported.skipped)
    click.echo(f"exported: {written}, skipped: {len(exported.skipped)}", err=True)
