"""GIFT and Aiken, complete: every block of a file is imported or reported with
its line, a bank exported to GIFT or Aiken comes back the same, and the
``flask lms bank`` commands work on files without a secret key or database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lms.content.errors import ContentError
from lms.courses.id_registry import CourseIds
from lms.courses.question_loader import load_bank
from lms.studio.aiken import parse_aiken
from lms.studio.bank_export import export_aiken, export_gift
from lms.studio.bank_files import read_bank
from lms.studio.gift import parse_gift
from tests.conftest import CONTENT_DIR, PROJECT_DIR

FIXTURES = Path(__file__).parent / "fixtures"
GIFT_FILE = FIXTURES / "every_construct.gift"
AIKEN_FILE = FIXTURES / "every_construct.aiken"


def gift_blocks(text: str) -> int:
    """Blank-line separated blocks holding something other than comments and categories."""
    count, open_block = 0, False
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            open_block = False
        elif not stripped.startswith(("//", "$CATEGORY")):
            count += 0 if open_block else 1
            open_block = True
    return count


def imported_gift() -> Any:
    return parse_gift(GIFT_FILE.read_text(encoding="utf-8"), "en")


def by_id(result: Any) -> dict[str, dict[str, Any]]:
    return {item.question["id"]: item.question for item in result.questions}


def test_every_block_of_the_gift_file_is_imported_or_reported_with_its_line():
    result = imported_gift()
    assert len(result.questions) == 12
    assert {problem.line: problem.message for problem in result.problems} == {
        47: "essay questions need a person to mark them and cannot be imported",
        49: "a description (text with no answers in braces { }) asks nothing to import",
        51: "'{' is never closed: add } after the answers",
    }
    assert len(result.questions) + len(result.problems) == gift_blocks(GIFT_FILE.read_text())


def test_a_question_right_under_a_category_line_is_kept_with_the_category_as_topic():
    result = imported_gift()
    first = result.questions[0]
    assert first.line == 4
    assert first.question["id"] == "red-light-at-night"
    topics = [item.question["topic"] for item in result.questions]
    assert topics == ["night-riding"] * 4 + ["parcels"] * 8


def test_names_become_unique_readable_ids_and_unnamed_ones_get_none():
    ids = [item.question["id"] for item in imported_gift().questions]
    assert "fragile-word" in ids and "fragile-word-2" in ids
    # "::换电::" is Chinese only: its id is its pinyin.
    assert ids[-1] == "huan-dian"
    assert len(set(ids)) == len(ids)


def test_chinese_names_and_categories_become_pinyin_ids_kept_unique():
    text = (
        "$CATEGORY: $course$/交通安全/夜间骑行\n\n"
        "::夜间闯红灯::夜间没车时可以闯红灯。{F}\n\n"
        "::夜间闯红灯::夜里路口没人也要等红灯。{T}\n\n"
        "::绿灯２０秒::绿灯还剩２０秒时要减速吗？{T}\n\n"
        "::！？::只有标点的名字。{T}\n"
    )
    result = parse_gift(text, "zh_CN")
    assert result.problems == []
    ids = [item.question["id"] for item in result.questions]
    assert ids[:3] == ["ye-jian-chuang-hong-deng", "ye-jian-chuang-hong-deng-2", "lv-deng-20-miao"]
    # A name with nothing readable in it: the draft or bank gives a fresh id.
    assert ids[3] == "imported"
    assert {item.question["topic"] for item in result.questions} == {"ye-jian-qi-xing"}


def test_formats_are_honoured_and_html_is_sanitised():
    questions = by_id(imported_gift())
    assert questions["lights"]["prompt"]["en"] == "Riding without lights is fine on a lit street."
    assert questions["helmet"]["prompt"]["en"] == "A helmet must be fastened under the chin."
    assert questions["safe-habits"]["prompt"]["en"] == "Which habits keep you safe?"
    assert questions["escapes"]["prompt"]["en"] == "The fee is 5{yuan} = cheap: pay it anyway?"


def test_weights_feedback_and_true_false_feedback_are_kept():
    questions = by_id(imported_gift())
    habits = questions["safe-habits"]
    assert habits["type"] == "multiple" and habits["scoring"] == "partial"
    assert [bool(option["correct"]) for option in habits["options"]] == [True, True, False]
    assert habits["options"][2]["feedback"]["en"] == "No: the pavement is for people on foot."
    assert habits["explanation"]["en"] == "Helmet and lights, every ride."
    red = questions["red-light-at-night"]
    assert red["options"][0]["feedback"]["en"] == "Right: red means stop at any hour."
    lights = questions["lights"]
    assert lights["answer"] is False
    assert lights["explanation"]["en"] == (
        "Right: lights are about being seen.\nLights let others see you."
    )


def test_matching_numerical_and_short_answer_are_read():
    questions = by_id(imported_gift())
    parcels = questions["parcel-handling"]
    assert [pair["text"]["en"] for pair in parcels["pairs"]] == [
        "A box of glasses",
        "Fresh fish",
        "A new phone",
    ]
    assert parcels["distractors"] == [
        {"id": "x1", "text": {"zh_CN": "", "en": "Leave it at the door"}}
    ]
    assert questions["volumetric-weight"]["answers"] == [
        {
            "value": "10",
            "tolerance": "0.1",
            "credit": 100,
            "feedback": {"zh_CN": "", "en": "Right: 60000 / 6000."},
        },
        {
            "min": "9",
            "max": "11",
            "credit": 50,
            "feedback": {"zh_CN": "", "en": "Close: work it out exactly."},
        },
    ]
    assert questions["stop-distance"]["answers"] == [{"min": "8", "max": "12", "credit": 100}]
    assert questions["divisor"]["answers"] == [{"value": "6000", "credit": 100}]
    word = questions["fragile-word"]
    assert [(a["text"], a["credit"]) for a in word["answers"]] == [
        ("Fragile", 100),
        ("Careful", 50),
    ]
    assert word["explanation"]["en"] == "The label warns every handler."
    blank = questions["fragile-word-2"]
    assert blank["prompt"]["en"].endswith("with the _____ after asking the customer.")


def comparable(question: dict[str, Any]) -> dict[str, Any]:
    """What GIFT carries of a question (it has no rule, difficulty or unit)."""
    return {
        key: value
        for key, value in question.items()
        if key not in ("rule", "difficulty", "critical", "unit", "chinese_variants")
    }


def test_a_gift_export_imports_back_as_the_same_questions():
    first = [
        item.question for item in imported_gift().questions if item.question["id"] != "imported"
    ]
    exported = export_gift(first, "en")
    assert exported.skipped == []
    again = parse_gift(exported.text, "en")
    assert again.problems == []
    assert [comparable(item.question) for item in again.questions] == [comparable(q) for q in first]


def test_a_shipped_bank_goes_to_gift_and_back_in_chinese():
    questions, errors = read_bank(CONTENT_DIR / "courses" / "logistics")
    assert errors == []
    exported = export_gift(questions, "zh_CN")
    skipped = {qid for qid, _reason in exported.skipped}
    assert skipped == {q["id"] for q in questions if q["type"] in ("ordering", "scenario")}
    again = by_id(parse_gift(exported.text, "zh_CN"))
    for question in questions:
        if question["id"] in skipped:
            continue
        back = again[question["id"]]
        assert back["type"] == question["type"]
        assert back["topic"] == question["topic"]
        assert back["prompt"]["zh_CN"] == question["prompt"]["zh_CN"]
        assert back["explanation"]["zh_CN"] == question["explanation"]["zh_CN"]
        for mine, theirs in zip(
            question.get("options") or [], back.get("options") or [], strict=True
        ):
            assert theirs["text"]["zh_CN"] == mine["text"]["zh_CN"]
            assert bool(theirs["correct"]) == bool(mine["correct"])
        if question["type"] == "true_false":
            assert back["answer"] == question["answer"]


def test_aiken_is_imported_reported_and_exported_back():
    result = parse_aiken(AIKEN_FILE.read_text(encoding="utf-8"), "en")
    assert [item.line for item in result.questions] == [1, 7]
    assert [(problem.line, problem.message) for problem in result.problems] == [
        (14, "option C is out of order: expected B")
    ]
    questions = [item.question for item in result.questions]
    exported = export_aiken(questions, "en")
    again = parse_aiken(exported.text, "en")
    assert again.problems == []
    assert [item.question for item in again.questions] == questions
    only_single = export_aiken(
        [*questions, {"id": "tf", "type": "true_false", "answer": True}], "en"
    )
    assert only_single.skipped == [("tf", "Aiken holds only single-choice questions")]


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def test_bank_import_dry_run_prints_each_rejection_and_the_counts(runner, course_copy):
    before = (course_copy / "courses" / "logistics" / "questions.yaml").read_text()
    result = runner.invoke(
        args=[
            "lms",
            "bank",
            "import",
            str(GIFT_FILE),
            "--format",
            "gift",
            "--course",
            "logistics",
            "--language",
            "en",
            "--content",
            str(course_copy),
            "--dry-run",
        ]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().split("\n")
    assert lines[-1] == "imported: 12, rejected: 3"
    # The CLI speaks the deployment's default language, Chinese.
    assert "rejected: line 47: 问答题要人来批改，不能导入" in result.output
    assert (course_copy / "courses" / "logistics" / "questions.yaml").read_text() == before


def test_bank_import_appends_the_questions_to_the_course_bank(runner, course_copy):
    result = runner.invoke(
        args=[
            "lms",
            "bank",
            "import",
            str(GIFT_FILE),
            "--format",
            "gift",
            "--course",
            "logistics",
            "--language",
            "en",
            "--content",
            str(course_copy),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "added: line 4: red-light-at-night" in result.output
    errors: list[ContentError] = []
    bank = load_bank(course_copy / "courses" / "logistics" / "questions.yaml", CourseIds(), errors)
    ids = [question["id"] for question in bank]
    assert len(ids) == 22 + 12 and len(set(ids)) == len(ids)
    # Only the translations the trainer still has to write are wrong.
    assert errors and all(") is empty" in error.text() for error in errors)


def test_bank_export_writes_gift_and_says_what_it_skipped(runner, tmp_path):
    output = tmp_path / "logistics.gift"
    result = runner.invoke(
        args=[
            "lms",
            "bank",
            "export",
            "--course",
            "logistics",
            "--format",
            "gift",
            "--content",
            str(CONTENT_DIR),
            "--output",
            str(output),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "$CATEGORY: $course$/" in output.read_text()
    assert "exported: 18, skipped: 4" in result.output


def run_flask(*args: str) -> subprocess.CompletedProcess[str]:
    """``flask`` in a fresh process with no secret key and no database configured."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(PROJECT_DIR)}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "lms", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_file_commands_run_without_a_secret_key_or_a_database():
    checked = run_flask("lms", "content", "check", str(CONTENT_DIR))
    assert checked.returncode == 0, checked.stderr
    shipped = len(list((CONTENT_DIR / "courses").glob("*/course.yaml")))
    assert f"{shipped} courses" in checked.stdout
    dry = run_flask(
        "lms",
        "bank",
        "import",
        str(AIKEN_FILE),
        "--format",
        "aiken",
        "--course",
        "logistics",
        "--content",
        str(CONTENT_DIR),
        "--dry-run",
    )
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().split("\n")[-1] == "imported: 2, rejected: 1"
    # Serving still refuses to start without a real secret key.
    served = run_flask("lms", "db-upgrade")
    assert served.returncode != 0 and "LMS_SECRET_KEY" in served.stderr


def test_partial_credit_beside_a_full_answer_is_single_choice_with_a_note():
    result = parse_gift("Where is the depot? {~North gate ~%50%East gate =South gate}", "en")
    question = result.questions[0].question
    assert question["type"] == "single"
    assert [bool(option["correct"]) for option in question["options"]] == [False, False, True]
    assert [(note.line, note.message) for note in result.notes] == [
        (
            1,
            "the 50% credit for 'East gate' is not kept: a single-choice question scores "
            "the right answer only",
        )
    ]


def test_answers_that_name_their_own_format_are_read_in_it():
    result = parse_gift(
        "Match them. {=[html]<b>Glass</b> -> Fragile =[markdown]**Fish** -> Cold}", "en"
    )
    pairs = result.questions[0].question["pairs"]
    assert [pair["text"]["en"] for pair in pairs] == ["Glass", "Fish"]
