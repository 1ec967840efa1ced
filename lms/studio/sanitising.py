"""What the studio stores of authored text: plain-text fields lose any HTML.

Markdown sections are kept as written; they are sanitised when rendered.
"""

from __future__ import annotations

from html import unescape
from typing import Any

import nh3

from lms.content.schema import LANGUAGES, SECTIONS

__all__ = ["clean_draft_data", "clean_text"]

_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "template"}


def clean_text(text: str) -> str:
    """Plain authored text with any HTML tags removed (the pages escape the rest)."""
    for _round in range(3):
        cleaned = unescape(nh3.clean(text, tags=set(), clean_content_tags=_DROP_WITH_CONTENT))
        if cleaned == text:
            break
        text = cleaned
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def clean_draft_data(data: dict[str, Any]) -> dict[str, Any]:
    """Strip HTML from every plain-text field; Markdown sections are sanitised when rendered."""
    cleaned = {
        "course": _clean(data.get("course") or {}),
        "questions": _clean(data.get("questions") or []),
        "lessons": [],
    }
    for lesson in data.get("lessons") or []:
        cleaned["lessons"].append(
            {
                "slug": _clean(lesson.get("slug", "")),
                "front": _clean(lesson.get("front") or {}),
                "body": {
                    section: {
                        lang: str(((lesson.get("body") or {}).get(section) or {}).get(lang) or "")
                        for lang in LANGUAGES
                    }
                    for section in SECTIONS
                },
            }
        )
    return cleaned
