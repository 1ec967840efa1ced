"""Panels other domains add to a learner's home page (e.g. "your next level").

A panel is a function ``fn(profile) -> (template_name, context) | None``; it
returns None when it has nothing to show this learner. ``LMS.init_app`` registers
each domain's panels, so the home page never imports those domains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup

from lms.accounts.models import Profile

HomePanel = Callable[[Profile], tuple[str, dict[str, Any]] | None]

_PANELS: list[HomePanel] = []


def register_home_panel(fn: HomePanel) -> HomePanel:
    """Add a panel to every learner's home page; usable as a decorator."""
    if fn not in _PANELS:
        _PANELS.append(fn)
    return fn


def unregister_home_panel(fn: HomePanel) -> None:
    """Remove a panel (tests, or a host that does not want it)."""
    if fn in _PANELS:
        _PANELS.remove(fn)


def render_home_panels(profile: Profile) -> list[Markup]:
    """Each panel's HTML for this learner; a failing panel is logged and left out
    so one domain's bug never takes the whole home page down."""
    rendered = []
    for panel in _PANELS:
        try:
            found = panel(profile)
            if found is None:
                continue
            template, context = found
            rendered.append(Markup(render_template(template, **context)))  # noqa: S704 - our template output
        except Exception:
            current_app.logger.exception("home panel %r failed", getattr(panel, "__name__", panel))
    return rendered
