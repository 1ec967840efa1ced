"""Render trainer-written Markdown to HTML that is safe to show to learners."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

__all__ = ["ALLOWED_TAGS", "render_markdown"]

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "b",
        "i",
        "a",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "code",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "br",
        "hr",
    }
)
_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}}
_URL_SCHEMES: set[str] = {"http", "https", "mailto"}
# Tags whose text must disappear with them: keeping the inner text of a
# <script> or <iframe> would put code or foreign markup on the page as prose.
_DROP_WITH_CONTENT: set[str] = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "template",
    "noscript",
    "textarea",
    "select",
    "title",
    "xmp",
    "noembed",
    "noframes",
}

_md = MarkdownIt("commonmark", {"html": True}).enable("table")
# nh3 is the single authority on URL schemes. markdown-it's own check would
# leave `[x](javascript:...)` on the page as literal text; letting the link
# through means nh3 drops the href and only the harmless label remains.
_md.validateLink = lambda url: True  # type: ignore[method-assign]


def render_markdown(text: str) -> str:
    """Render Markdown (CommonMark + tables) to HTML sanitised with an allow-list."""
    html = _md.render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
