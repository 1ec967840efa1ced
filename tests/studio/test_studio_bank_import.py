"""Question-bank import from Moodle GIFT and Aiken files."""

from __future__ import annotations

import io

from lms.state import get_session
from lms.studio.aiken import parse_aiken
from lms.studio.gift import parse_gift
from lms.studio.models import Draft
from tests.studio.conftest import editor_form, forms_on, make_draft

GIFT = """\
// Night riding questions, exported from Moodle
$CATEGORY: $course$/night

::Red light::At night the light is red and the road is empty. What do you do? {
  =Wait behind the stop line#Right: red means stop at any hour.
  ~Ride through slowly#No: night is when crashes happen.
  ####Red means stop, day or night.
}

Riding without lights at night is allowed in a lit street.{F}

::Safe habits:: Which habits keep you safe? {
  ~%50%Wear a helmet
  ~%50%Use lights
  ~%-100%Ride on the pavement
}

The fine is 5\\{yuan\\} \\= cheap\\: do it anyway? {T}
"""

BROKEN_GIFT = """\
Good one {=yes ~no}

Unclosed question {=yes ~no

Short answer {=Beijing}

Numeric {#3:1}

Matching {=a -> 1 =b -> 2}

Just a description.

No right answer {~a ~b}
"""

AIKEN = """\
What is the top speed of an e-bike in the non-motor lane?
A. 15 km/h
B) 25 km/h
C. 40 km/h
ANSWER: A

Who pays for an occupational injury under the pilot scheme?
A. The rider alone
B. The occupational injury fund
ANSWER: B
"""

BROKEN_AIKEN = """\
Good question?
A. yes
B. no
ANSWER: A

Letters out of order?
A. one
C. two
ANSWER: A

Answer not an option?
A. one
B. two
ANSWER: D

Forgot the answer?
A. one
B. two

Next question?
A. x
B. y
ANSWER: B

ANSWER: A
"""


def test_gift_reads_every_supported_type():
    result = parse_gift(GIFT, "en")
    assert result.problems == []
    single, true_false, multiple, escaped = (item.question for item in result.questions)
    assert [item.line for item in result.questions] == [4, 10, 12, 18]
    assert result.questions[0].title == "Red light"

    assert single["type"] == "single"
    assert single["prompt"] == {
        "zh_CN": "",
        "en": "At night the light is red and the road is empty. What do you do?",
    }
    assert [option["correct"] for option in single["options"]] == [True, None]
    assert single["options"][1]["feedback"]["en"] == "No: night is when crashes happen."
    assert single["explanation"]["en"] == "Red means stop, day or night."

    assert true_false["type"] == "true_false"
    assert true_false["answer"] is False

    assert multiple["type"] == "multiple"
    assert multiple["scoring"] == "partial"
    assert [bool(option["correct"]) for option in multiple["options"]] == [True, True, False]

    assert escaped["prompt"]["en"] == "The fine is 5{yuan} = cheap: do it anyway?"
    assert escaped["answer"] is True


def test_gift_reports_what_it_cannot_import_with_line_numbers():
    result = parse_gift(BROKEN_GIFT, "zh_CN")
    assert [item.line for item in result.questions] == [1, 5, 7, 9]
    assert [item.question["type"] for item in result.questions] == [
        "single",
        "short_answer",
        "numerical",
        "matching",
    ]
    problems = {problem.line: problem.message for problem in result.problems}
    assert set(problems) == {3, 11, 13}
    assert "never closed" in problems[3]
    assert "asks nothing" in problems[11]
    assert "no answer is marked right" in problems[13]


def test_gift_puts_the_text_in_the_chosen_language():
    result = parse_gift("红灯怎么办？{=停 ~闯}", "zh_CN")
    question = result.questions[0].question
    assert question["prompt"] == {"zh_CN": "红灯怎么办？", "en": ""}
    assert question["options"][0]["text"] == {"zh_CN": "停", "en": ""}


def test_aiken_reads_questions_with_both_option_styles():
    result = parse_aiken(AIKEN, "en")
    assert result.problems == []
    first, second = (item.question for item in result.questions)
    assert first["type"] == "single"
    assert [option["text"]["en"] for option in first["options"]] == [
        "15 km/h",
        "25 km/h",
        "40 km/h",
    ]
    assert [option["correct"] for option in first["options"]] == [True, None, None]
    assert [option["correct"] for option in second["options"]] == [None, True]


def test_aiken_reports_malformed_questions_with_line_numbers():
    result = parse_aiken(BROKEN_AIKEN, "en")
    assert [item.line for item in result.questions] == [1, 20]
    problems = {problem.line: problem.message for problem in result.problems}
    assert set(problems) == {8, 14, 16, 25}
    assert "out of order" in problems[8]
    assert "not one of the options" in problems[14]
    assert "no ANSWER" in problems[16]
    assert "without a question" in problems[25]


def test_import_page_previews_then_imports_with_translations_missing(
    content_app, trainer, course_data
):
    draft_id = make_draft(content_app, trainer.person, course_data)
    url = f"/studio/drafts/{draft_id}/import"
    page = trainer.get(url)
    revision = editor_form(page.text)["revision"]
    preview = trainer.post(
        url,
        {
            "revision": revision,
            "format": "gift",
            "language": "en",
            "action": "preview",
            "file": (io.BytesIO(BROKEN_GIFT.encode()), "bank.gift"),
        },
    )
    assert preview.status_code == 200
    assert "Line 3" in preview.text and "never closed" in preview.text
    assert preview.text.count('class="import-row"') == 4
    with content_app.app_context():
        assert len(get_session().get(Draft, draft_id).data["questions"]) == 4

    # The confirm form comes first and carries the pasted text again.
    confirm = next(form for form in forms_on(preview.text) if "text" in form)
    confirm["action"] = "import"
    done = trainer.post(url, confirm)
    assert done.status_code == 303
    with content_app.app_context():
        bank = get_session().get(Draft, draft_id).data["questions"]
    assert len(bank) == 8
    imported = bank[4]
    assert imported["prompt"] == {"zh_CN": "", "en": "Good one"}
    assert len({question["id"] for question in bank}) == 8

    listing = trainer.get(f"/studio/drafts/{draft_id}/questions")
    assert "missing translation" in listing.text
    # The validator needs both languages, so publishing is refused until translated.
    page = trainer.get(f"/studio/drafts/{draft_id}")
    refused = trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert refused.status_code == 303
    question_page = trainer.get(f"/studio/drafts/{draft_id}/questions/4")
    assert "Question (Chinese) is empty: write the Chinese text" in question_page.text


def test_aiken_paste_is_imported(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    url = f"/studio/drafts/{draft_id}/import"
    revision = editor_form(trainer.get(url).text)["revision"]
    done = trainer.post(
        url,
        {
            "revision": revision,
            "format": "aiken",
            "language": "zh_CN",
            "action": "import",
            "text": AIKEN,
        },
    )
    assert done.status_code == 303
    with content_app.app_context():
        bank = get_session().get(Draft, draft_id).data["questions"]
    assert [question["type"] for question in bank[-2:]] == ["single", "single"]
    assert bank[-1]["prompt"]["zh_CN"].startswith("Who pays")
