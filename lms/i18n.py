"""Translations of the LMS: its own gettext domain, so a host's catalogs and
ours never mix, and the locale choice (user's choice, then Accept-Language).

The LMS chooses its locale itself (:func:`lms_locale`) rather than through
Flask-Babel's selector, so a host's own Babel, and the locale it gives the
host's pages, stay exactly as the host set them."""

from __future__ import annotations

from pathlib import Path

from babel import support
from flask import g, has_app_context, has_request_context, request, session
from flask_babel import Domain

from lms.config import config_value

TRANSLATIONS_DIR = Path(__file__).parent / "translations"


class CatalogDomain(Domain):
    """Our gettext domain, finding catalogs by the names we give them.

    Babel spells Chinese as ``zh_Hans_CN``; our catalog folder is ``zh_CN``.
    """

    def get_translations(self) -> support.NullTranslations:
        if not has_app_context():
            return support.NullTranslations()
        # A page calls gettext dozens of times; find the catalog once per request.
        code = lms_locale()
        cached = g.get("_lms_translations") if has_request_context() else None
        if cached is not None and cached[0] == code:
            return cached[1]
        translations = self.cache.get(code)
        if translations is None:
            translations = support.Translations.load(str(TRANSLATIONS_DIR), [code], "messages")
            self.cache[code] = translations
        if has_request_context():
            g._lms_translations = (code, translations)
        return translations


domain = CatalogDomain(translation_directories=str(TRANSLATIONS_DIR), domain="messages")
gettext = domain.gettext
ngettext = domain.ngettext
lazy_gettext = domain.lazy_gettext
_ = gettext
_l = lazy_gettext

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
SESSION_KEY = "lms_locale"


def gettext_in(locale: str, message: str, **variables: object) -> str:
    """``message`` translated into ``locale``, whatever the request's language."""
    translations = domain.cache.get(locale)
    if translations is None:
        translations = support.Translations.load(str(TRANSLATIONS_DIR), [locale], "messages")
        domain.cache[locale] = translations
    text = translations.gettext(message)
    return text % variables if variables else text


def languages() -> tuple[str, ...]:
    """The languages offered, default first."""
    return tuple(config_value("LMS_LANGUAGES"))


def select_locale() -> str:
    """The user's explicit choice, else the best Accept-Language match, else zh_CN."""
    offered = languages()
    if has_request_context():
        chosen = session.get(SESSION_KEY)
        if chosen in offered:
            return chosen
        # Accept-Language uses hyphens and often "zh" alone; map it onto ours.
        aliases = {code.replace("_", "-"): code for code in offered}
        aliases.setdefault("zh", "zh_CN")
        aliases.setdefault("zh-Hans", "zh_CN")
        match = request.accept_languages.best_match(list(aliases))
        if match:
            return aliases[match]
    return offered[0]


def lms_locale() -> str:
    """The locale of LMS pages in this request (chosen once per request)."""
    if not has_request_context():
        return languages()[0] if has_app_context() else "zh_CN"
    chosen = g.get("_lms_locale")
    if chosen is None:
        chosen = g._lms_locale = select_locale()
    return chosen


def html_lang(locale: str) -> str:
    """BCP 47 tag for the ``lang`` attribute."""
    return {"zh_CN": "zh-CN"}.get(locale, locale)


def localised(text: dict[str, str] | None, locale: str) -> str:
    """Pick one language of a bilingual content text, falling back to Chinese, then
    to whichever language is written (an imported text has only one)."""
    if not text:
        return ""
    return (
        text.get(locale)
        or text.get("zh_CN")
        or next((value for value in text.values() if value), "")
    )
