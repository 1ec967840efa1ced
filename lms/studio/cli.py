"""``flask lms content export ID PATH``: write a course as a content folder or zip.

The lead registers ``export_command`` under the ``flask lms content`` group.
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
