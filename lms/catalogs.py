"""Maintaining the translation catalogs: extract UI strings, merge them into
the zh_CN and en catalogs, compile. ``python -m lms.catalogs update|compile``."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE_DIR = Path(__file__).parent
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
LOCALES = ("zh_CN", "en")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    # Marks a string for translation where it is defined, without translating
    # it there (``lms.questions.base.N_``: the type labels, Flask-free).
    "N_": None,
    # A content or studio message kept with its parameters and rendered where it
    # is shown (``lms.content.messages.msg``).
    "msg": None,
    # A text in a named language, not the page's (``lms.i18n.gettext_in``).
    "gettext_in": (2,),
}
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]


def extract_messages() -> Catalog:
    """Every translatable UI string in the package's code and templates."""
    catalog = Catalog(project="lms", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE_DIR), METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def catalog_path(locale: str) -> Path:
    """The .po file of a locale."""
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str) -> Catalog:
    """A locale's catalog (empty if it does not exist yet)."""
    path = catalog_path(locale)
    if not path.exists():
        return Catalog(locale=locale)
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def update_catalogs() -> dict[str, int]:
    """Merge the extracted strings into every catalog; returns untranslated counts."""
    template = extract_messages()
    missing = {}
    for locale in LOCALES:
        catalog = read_catalog(locale)
        catalog.update(template, no_fuzzy_matching=True)
        if locale == "en":
            # English is the source language: its translation is the text itself.
            for message in catalog:
                if message.id and not _is_translated(message.string):
                    message.string = message.id
        catalog.obsolete.clear()
        path = catalog_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False)
        missing[locale] = sum(
            1 for message in catalog if message.id and not _is_translated(message.string)
        )
    return missing


def _is_translated(string: str | tuple[str, ...]) -> bool:
    if isinstance(string, tuple):
        return all(string)
    return bool(string)


def compile_catalogs() -> None:
    """Write the .mo files the app reads."""
    for locale in LOCALES:
        catalog = read_catalog(locale)
        with (catalog_path(locale).with_suffix(".mo")).open("wb") as handle:
            write_mo(handle, catalog)


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if action == "update":
        for locale, count in update_catalogs().items():
            print(f"{locale}: {count} untranslated")
    compile_catalogs()
