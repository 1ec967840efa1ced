"""The studio names areas, occupations, levels and question types by their
labels in the trainer's language, never by the file keys."""

from __future__ import annotations

import re

from tests.studio.conftest import make_draft

CHINESE = {"Accept-Language": "zh-CN"}


def _visible(html: str) -> str:
    """The page's text without its tags and attribute values."""
    return re.sub(r"<[^>]+>", " ", html)


def test_the_draft_page_shows_labels_not_keys(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.client.get(f"/studio/drafts/{draft_id}", headers=CHINESE).text
    text = _visible(page)
    assert "法律安全" in text and "外卖骑手" in text and "五级（初级工）" in text
    for key in ("legal-safety", "online-delivery-worker", "ride-hailing-driver", "logistics"):
        assert key not in text, key


def test_the_question_bank_shows_type_labels_not_keys(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.client.get(f"/studio/drafts/{draft_id}/questions", headers=CHINESE).text
    text = _visible(page)
    assert "单选题" in text and "情景题" in text and "数值题" in text
    for key in ("true_false", "short_answer", "numerical", "scenario"):
        assert key not in text, key
