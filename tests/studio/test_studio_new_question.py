"""“Add question” opens an empty editor; the bank gains the question only when
the trainer saves it."""

from __future__ import annotations

from lms.state import get_session
from lms.studio.models import Draft
from tests.studio.conftest import editor_form, make_draft


def _bank(app, draft_id: int) -> tuple[int, list[dict]]:
    with app.app_context():
        draft = get_session().get(Draft, draft_id)
        return draft.revision, list(draft.data["questions"])


def test_opening_the_new_question_form_saves_nothing(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    before = _bank(content_app, draft_id)
    page = trainer.get(f"/studio/drafts/{draft_id}/questions/new?type=numerical")
    assert page.status_code == 200
    assert "New question" in page.text
    assert 'name="answers.0.value"' in page.text  # the numerical type's own fields
    assert _bank(content_app, draft_id) == before


def test_saving_the_new_question_form_adds_it_to_the_bank(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    revision, questions = _bank(content_app, draft_id)
    page = trainer.get(f"/studio/drafts/{draft_id}/questions/new?type=true_false")
    form = editor_form(page.text)
    form["prompt.zh_CN"] = "电动自行车可以载一名十二岁以下的儿童。"
    form["prompt.en"] = "An e-bike may carry one child under twelve."
    saved = trainer.client.post(f"/studio/drafts/{draft_id}/questions/new", data=form)
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(
        f"/studio/drafts/{draft_id}/questions/{len(questions)}"
    )
    after_revision, after = _bank(content_app, draft_id)
    assert after_revision == revision + 1
    assert len(after) == len(questions) + 1
    added = after[-1]
    assert added["type"] == "true_false"
    assert added["prompt"]["zh_CN"] == "电动自行车可以载一名十二岁以下的儿童。"
    assert added["id"] not in {question["id"] for question in questions}


def test_an_unknown_type_is_refused_and_changes_nothing(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    before = _bank(content_app, draft_id)
    page = trainer.get(f"/studio/drafts/{draft_id}/questions/new?type=essay")
    assert page.status_code == 400
    assert "Choose a question type from the list." in page.text
    form = editor_form(trainer.get(f"/studio/drafts/{draft_id}/questions/new").text)
    form["type"] = "essay"
    refused = trainer.client.post(f"/studio/drafts/{draft_id}/questions/new", data=form)
    assert refused.status_code == 400
    assert _bank(content_app, draft_id) == before
