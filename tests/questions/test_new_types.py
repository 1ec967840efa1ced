"""Matching, numerical and short-answer questions: read from files with
file:line errors, graded with partial credit, decoded from the forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from lms.assessments.grading import (
    InvalidAnswer,
    answer_from_form,
    chosen_ids,
    grade,
    learner_view,
    review_view,
)
from lms.content.errors import ContentError
from lms.courses.id_registry import CourseIds
from lms.courses.question_loader import load_bank
from lms.questions.short_answer import normalise_text


def t(en: str, zh: str | None = None) -> dict[str, str]:
    return {"zh_CN": zh or f"中文 {en}", "en": en}


def matching(scoring: str = "partial") -> dict[str, Any]:
    return {
        "id": "q-match",
        "type": "matching",
        "prompt": t("Match each parcel to its handling"),
        "scoring": scoring,
        "pairs": [
            {"id": "glass", "text": t("Glass"), "match": t("Fragile label, upright")},
            {"id": "fish", "text": t("Fresh fish"), "match": t("Cold box, same day")},
            {"id": "phone", "text": t("Phone"), "match": t("Signature on delivery")},
        ],
        "distractors": [{"id": "x", "text": t("Leave at the door")}],
        "explanation": t("Each parcel has its rule."),
    }


def numerical() -> dict[str, Any]:
    return {
        "id": "q-volume",
        "type": "numerical",
        "prompt": t("Volumetric weight of 50 x 40 x 30 cm at 6000?"),
        "answers": [
            {"value": "10", "tolerance": "0.1", "credit": 100},
            {"min": "9", "max": "11", "credit": 50, "feedback": t("Close: round less.")},
            {"value": "60", "tolerance": None, "credit": 20},
        ],
        "unit": t("kg", "公斤"),
        "explanation": t("L x W x H / 6000."),
    }


def short_answer(variants: bool = False) -> dict[str, Any]:
    return {
        "id": "q-word",
        "type": "short_answer",
        "prompt": t("What do you write on a fragile parcel?"),
        "answers": [
            {"text": "易碎品", "credit": 100},
            {"text": "Fragile", "credit": 100},
            {"text": "小心", "credit": 50},
        ],
        "chinese_variants": variants,
        "explanation": t("The label tells every handler."),
    }


def test_matching_gives_a_share_per_right_pair():
    spec = matching()
    assert grade(spec, {"glass": "glass", "fish": "fish", "phone": "phone"}).points == 1.0
    assert grade(spec, {"glass": "glass", "fish": "x", "phone": "fish"}).points == 0.3333
    assert grade(spec, None).points == 0.0


def test_matching_all_or_nothing_needs_every_pair():
    spec = matching("all_or_nothing")
    assert grade(spec, {"glass": "glass", "fish": "fish"}).points == 0.0
    assert grade(spec, {"glass": "glass", "fish": "fish", "phone": "phone"}).correct


def test_matching_refuses_answers_no_page_could_send():
    with pytest.raises(InvalidAnswer):
        grade(matching(), {"glass": "nonsense"})
    with pytest.raises(InvalidAnswer):
        grade(matching(), {"car": "glass"})
    with pytest.raises(InvalidAnswer):
        grade(matching(), ["glass"])


def test_matching_reads_one_select_per_stem_and_shows_answers_in_the_given_order():
    spec = matching()
    form = MultiDict([("q1@glass", "glass"), ("q1@fish", "x"), ("q1@phone", "")])
    assert answer_from_form(spec, form.getlist, "q1") == {"glass": "glass", "fish": "x"}
    view = learner_view(spec, ["x", "phone", "glass", "fish"])
    assert [answer["id"] for answer in view["answers"]] == ["x", "phone", "glass", "fish"]
    assert "match" not in str(view["stems"])
    assert chosen_ids(spec, {"fish": "x"}) == ["fish:x"]


def test_matching_review_names_the_right_answer_of_each_wrong_pair():
    spec = matching()
    answer = {"glass": "glass", "fish": "x"}
    view = review_view(spec, answer, grade(spec, answer), "answers")
    assert [row["correct"] for row in view["rows"]] == [True, False, False]
    assert view["rows"][1]["chosen"] == t("Leave at the door")
    assert view["rows"][1]["match"] == t("Cold box, same day")


@pytest.mark.parametrize(
    ("typed", "points"),
    [
        ("10", 1.0),
        ("10.05", 1.0),
        ("１０", 1.0),  # full-width digits from a Chinese keyboard
        ("10 kg", 1.0),
        ("10公斤", 1.0),
        ("10,0", 1.0),  # a decimal comma
        ("9.5", 0.5),  # inside the range, outside the tolerance
        ("60", 0.2),
        ("1,250", 0.0),  # a thousands separator, not a decimal comma
        ("twelve", 0.0),
        ("", 0.0),
    ],
)
def test_numerical_gives_the_credit_of_the_best_matching_answer(typed, points):
    assert grade(numerical(), typed).points == points


def test_numerical_review_shows_accepted_values_and_the_matched_feedback():
    spec = numerical()
    view = review_view(spec, "9.5", grade(spec, "9.5"), "explanations")
    assert view["accepted"] == ["10 ± 0.1"]
    assert view["feedback"] == t("Close: round less.")
    assert view["unit"] == t("kg", "公斤")
    assert chosen_ids(spec, "１０.0") == ["10"]


def test_numerical_refuses_a_non_text_answer():
    with pytest.raises(InvalidAnswer):
        grade(numerical(), ["10"])


@pytest.mark.parametrize(
    ("typed", "points"),
    [
        ("易碎品", 1.0),
        (" 易碎品。", 1.0),
        ("FRAGILE", 1.0),
        ("ｆｒａｇｉｌｅ", 1.0),  # full-width letters
        ("fra gile!", 1.0),
        ("小心", 0.5),
        ("易碎", 0.0),
        ("易碎品", 1.0),
    ],
)
def test_short_answer_normalises_width_spaces_case_and_punctuation(typed, points):
    assert grade(short_answer(), typed).points == points


def test_short_answer_counts_traditional_as_simplified_only_when_asked():
    assert grade(short_answer(variants=False), "易碎品").points == 1.0
    assert grade(short_answer(variants=False), "小心").points == 0.5
    assert normalise_text("國際", chinese_variants=True) == "国际"
    spec = short_answer(variants=True)
    spec["answers"] = [{"text": "头盔", "credit": 100}]
    assert grade(spec, "頭盔").points == 1.0
    spec["chinese_variants"] = False
    assert grade(spec, "頭盔").points == 0.0


def test_short_answer_review_lists_the_full_credit_answers():
    spec = short_answer()
    view = review_view(spec, "小心", grade(spec, "小心"), "answers")
    assert view["accepted"] == ["易碎品", "Fragile"]
    assert view["chosen"] == "小心"


def test_short_answer_refuses_an_overlong_answer():
    with pytest.raises(InvalidAnswer):
        grade(short_answer(), "x" * 500)


BANK = """\
questions:
  - id: q-match
    type: matching
    topic: handling
    difficulty: 1
    prompt: {zh_CN: 配对, en: Match}
    pairs:
      - {id: glass, text: {zh_CN: 玻璃, en: Glass}, match: {zh_CN: 易碎, en: Fragile}}
      - {id: fish, text: {zh_CN: 鲜鱼, en: Fish}, match: {zh_CN: 冷藏, en: Cold}}
    distractors:
      - {id: x, text: {zh_CN: 放门口, en: Leave it}}
    explanation: {zh_CN: 各有规则, en: Each has a rule}
    rule: {zh_CN: 规则, en: Rule}
  - id: q-volume
    type: numerical
    topic: fees
    prompt: {zh_CN: 体积重？, en: Volumetric weight?}
    unit: {zh_CN: 公斤, en: kg}
    answers:
      - {value: 10, tolerance: 0.1}
      - {min: 9, max: 11, credit: 50}
    explanation: {zh_CN: 长宽高除以6000, en: L W H over 6000}
    rule: {zh_CN: 规则, en: Rule}
  - id: q-word
    type: short_answer
    topic: handling
    prompt: {zh_CN: 写什么？, en: What do you write?}
    chinese_variants: true
    answers:
      - text: 易碎品
      - {text: Fragile}
    explanation: {zh_CN: 标签, en: The label}
    rule: {zh_CN: 规则, en: Rule}
"""


def load(tmp_path: Path, text: str) -> tuple[list[dict[str, Any]] | None, list[str]]:
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    errors: list[ContentError] = []
    questions = load_bank(path, CourseIds(), errors)
    return questions, [f"{error.line}: {error.message}" for error in errors]


def test_a_bank_of_the_new_types_loads_into_the_grading_shape(tmp_path):
    questions, errors = load(tmp_path, BANK)
    assert errors == []
    match, volume, word = questions
    assert match["scoring"] == "partial"
    assert match["distractors"] == [{"id": "x", "text": {"zh_CN": "放门口", "en": "Leave it"}}]
    assert volume["answers"] == [
        {"credit": 100, "value": "10", "tolerance": "0.1", "feedback": None},
        {"credit": 50, "min": "9", "max": "11", "feedback": None},
    ]
    assert word["answers"][1] == {"text": "Fragile", "credit": 100, "feedback": None}
    assert word["chinese_variants"] is True
    assert grade(volume, "9.95").correct


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "      - {min: 9, max: 11, credit: 50}",
            "      - {min: 12, max: 11, credit: 50}",
            "21: the lowest value 12 is above the highest 11: swap them",
        ),
        (
            "      - {value: 10, tolerance: 0.1}",
            "      - {value: ten, tolerance: 0.1}",
            "20: Value must be a number such as 12.5, got 'ten'",
        ),
        (
            "      - {value: 10, tolerance: 0.1}",
            "      - {value: 10, credit: 60}",
            "19: question 'q-volume' has no answer with credit 100: give the right answer "
            "full credit",
        ),
        (
            "      - {id: x, text: {zh_CN: 放门口, en: Leave it}}",
            "      - {id: fish, text: {zh_CN: 放门口, en: Leave it}}",
            "11: wrong match id 'fish' is also a pair id in question 'q-match': give it its own id",
        ),
        (
            "      - {text: Fragile}",
            "      - {text: '!!'}",
            "31: the text of answer 2 is empty once spaces and punctuation are removed: write the "
            "words a learner would type",
        ),
        (
            "    unit: {zh_CN: 公斤, en: kg}",
            "    unit: {zh_CN: 公斤, en: kg}\n    options: []",
            "19: key 'options' is not used by a question of type Numerical: remove it",
        ),
    ],
)
def test_errors_in_the_new_types_name_the_line_and_the_fix(tmp_path, old, new, expected):
    assert old in BANK
    _questions, errors = load(tmp_path, BANK.replace(old, new))
    assert expected in errors, errors
