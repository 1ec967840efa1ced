"""Messages a content check or the studio shows a trainer, kept as a msgid and
its parameters so each reader sees them in their own language.

A loader has no request and no locale: it builds a :class:`Message` and the
place that shows it renders it, the studio in the trainer's locale and the
command line in the configured one. A parameter may itself be a message (a
field's label), rendered in the same language. Pure Python.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import support

__all__ = [
    "Message",
    "Translate",
    "catalog_translate",
    "msg",
    "render",
    "rendering_in",
]

Translate = Callable[[str], str]

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def _untranslated(text: str) -> str:
    return text


# How ``str(message)`` renders where nobody chose a language (tests, scripts):
# the English source text. The CLI and the studio set their own.
_TRANSLATE: ContextVar[Translate] = ContextVar("content_translate", default=_untranslated)


@dataclass(frozen=True)
class Message:
    """A translatable message: its English msgid and the values it names."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, translate: Translate) -> str:
        """The message in the language of ``translate`` (a gettext function)."""
        values = {
            key: value.render(translate) if isinstance(value, Message) else value
            for key, value in self.params.items()
        }
        text = translate(self.msgid)
        return text % values if values else text

    def __str__(self) -> str:
        """The message in the language chosen with :func:`rendering_in` (English by default)."""
        return self.render(_TRANSLATE.get())

    def as_data(self) -> dict[str, Any]:
        """The message as JSON data, for a draft's stored problems."""
        return {
            "msgid": self.msgid,
            "params": {
                key: value.as_data() if isinstance(value, Message) else value
                for key, value in self.params.items()
            },
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Message:
        """The message stored by :meth:`as_data`."""
        params = {
            key: cls.from_data(value) if isinstance(value, Mapping) else value
            for key, value in (data.get("params") or {}).items()
        }
        return cls(str(data["msgid"]), params)


def msg(msgid: str, **params: Any) -> Message:
    """A translatable message (extracted into the catalogs like ``_``)."""
    return Message(msgid, params)


def render(value: Any, translate: Translate | None = None) -> str:
    """A message, or any other value, as text in the language of ``translate``."""
    if isinstance(value, Message):
        return value.render(translate or _TRANSLATE.get())
    return str(value)


def catalog_translate(locale: str) -> Translate:
    """The gettext of the package's own catalog for ``locale``, without Flask."""
    translations = support.Translations.load(str(TRANSLATIONS_DIR), [locale], "messages")
    return translations.gettext


@contextlib.contextmanager
def rendering_in(translate: Translate) -> Iterator[None]:
    """Render messages with ``translate`` while the block runs."""
    token = _TRANSLATE.set(translate)
    try:
        yield
    finally:
        _TRANSLATE.reset(token)
