"""The question editor folds rarely changed fields into <details> sections, but
never hides a field that has a problem, nor an explanation still to write."""

from __future__ import annotations

import re

from lms.state import get_session
from lms.studio.models import Draft
from tests.studio.conftest import make_draft


def _section_of(html: str, field: str) -> str:
    """The opening tag of the innermost <details> holding the named field."""
    at = html.index(f'name="{field}"')
    return re.findall(r"<details[^>]*>", html[:at])[-1]


def test_sections_are_folded_unless_a_problem_is_inside(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}/questions/0").text
    assert "open" not in _section_of(page, "options.1.feedback.en")
    assert "open" not in _section_of(page, "rule.en")
    with content_app.app_context():
        draft = get_session().get(Draft, draft_id)
        draft.problems = [
            {"path": "questions.0.options.1.feedback.en", "message": "Write the feedback."},
            {"path": "questions.0.rule.en", "message": "Write the rule."},
        ]
        get_session().commit()
    page = trainer.get(f"/studio/drafts/{draft_id}/questions/0").text
    assert "open" in _section_of(page, "options.1.feedback.en")
    assert "open" in _section_of(page, "rule.en")
    assert "open" not in _section_of(page, "id")


def test_a_new_question_shows_its_explanation_to_write(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}/questions/new?type=single").text
    assert "open" in _section_of(page, "explanation.zh_CN")
