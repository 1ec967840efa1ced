"""Panels other domains add to a quiz result (the certificate just earned, the
level reached and what the next one needs).

A panel is a function ``fn(profile, attempt) -> (template_name, context) | None``;
``LMS.init_app`` registers each domain's panels, so the result page never
imports those domains (certificates listen to grading, not the other way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup

from lms.accounts.models import Profile
from lms.assessments.models import Attempt

ResultPanel = Callable[[Profile, Attempt], tuple[str, dict[str, Any]] | None]

_PANELS: list[ResultPanel] = []


def register_result_panel(fn: ResultPanel) -> ResultPanel:
    """Add a panel to every graded attempt's result page; usable as a decorator."""
    if fn not in _PANELS:
        _PANELS.append(fn)
    return fn


def unregister_result_panel(fn: ResultPanel) -> None:
    """Remove a panel (tests, or a host that does not want it)."""
    if fn in _PANELS:
        _PANELS.remove(fn)


def render_result_panels(profile: Profile, attempt: Attempt) -> list[Markup]:
    """Each panel's HTML for this attempt; a failing panel is logged and left out,
    so one domain's bug never takes the result page down."""
    rendered = []
    for panel in _PANELS:
        try:
            found = panel(profile, attempt)
            if found is None:
                continue
            template, context = found
            rendered.append(Markup(render_template(template, **context)))  # noqa: S704 - our template output
        except Exception:
            current_app.logger.exception(
                "result panel %r failed", getattr(panel, "__name__", panel)
            )
    return rendered
