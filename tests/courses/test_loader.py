"""Tests for the content loader: a valid minimal course, then one break per test.

Every error is asserted as the exact ``file:line: message`` a trainer sees; the
expected line is looked up in the written file so the assertion says *which*
line is meant rather than hard-coding a number.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from lms.content.errors import ContentError, ContentErrors
from lms.courses.loader import load_content, load_course, main
from lms.courses.markdown import render_markdown
from lms.courses.specs import CourseSpec

REPO_CONTENT = Path(__file__).resolve().parents[2] / "content"

COURSE_YAML = """\
id: {p}-course
title:
  zh_CN: 测试课程
  en: Test course
summary:
  zh_CN: 一门测试课程。
  en: A test course.
area: legal-safety
occupations:
  - courier
level: 5
lessons:
  - 01-first
quiz:
  id: {p}-quiz
  title:
    zh_CN: 测验
    en: Quiz
  bank: questions.yaml
  draw: 3
  draw_by_tag:
    traffic: 1
  pass_mark: 80
  shuffle_questions: true
  shuffle_options: true
  max_attempts: 3
  cooldown_minutes: 30
  time_limit_minutes: 20
  review: explanations
"""

CHECK_BLOCK = """\
check:
  - id: {p}-check-1
    type: single
    prompt: {{zh_CN: 红灯怎么办？, en: What to do at a red light}}
    options:
      - id: a
        text: {{zh_CN: 停, en: Stop}}
        correct: true
      - id: b
        text: {{zh_CN: 走, en: Go}}
        feedback: {{zh_CN: 不对。, en: No.}}
    explanation: {{zh_CN: 红灯停。, en: Red means stop.}}
"""

LESSON_MD = (
    """\
---
id: {p}-lesson
title:
  zh_CN: 第一课
  en: First lesson
minutes: 3
tags: [traffic]
decision:
  prompt:
    zh_CN: 你会怎么做？
    en: What would you do?
  options:
    - id: a
      text: {{zh_CN: 闯过去, en: Go through}}
      consequence: {{zh_CN: 被罚款。, en: You are fined.}}
    - id: b
      text: {{zh_CN: 等绿灯, en: Wait for green}}
      consequence: {{zh_CN: 安全。, en: Safe.}}
      best: true
rule_source:
  zh_CN: 《道路交通安全法》第38条
  en: Road Traffic Safety Law, Art. 38
"""
    + CHECK_BLOCK
    + """\
---

## situation [zh_CN]

情景。

## situation [en]

The situation.

## outcome [zh_CN]

结果。

## outcome [en]

The outcome.

## rule [zh_CN]

- **规则**：红灯停。

## rule [en]

- **Rule**: stop at red.
"""
)

QUESTIONS_YAML = """\
questions:
  - id: {p}-q-single
    type: single
    topic: traffic
    difficulty: 1
    critical: true
    prompt: {{zh_CN: 单选题, en: Single question}}
    options:
      - id: a
        text: {{zh_CN: 对, en: Right}}
        correct: true
        feedback: {{zh_CN: 好。, en: Good.}}
      - id: b
        text: {{zh_CN: 错, en: Wrong}}
    explanation: {{zh_CN: 解释。, en: Explanation.}}
    rule: {{zh_CN: 规则。, en: Rule.}}
  - id: {p}-q-multiple
    type: multiple
    topic: traffic
    scoring: partial
    prompt: {{zh_CN: 多选题, en: Multiple question}}
    options:
      - id: a
        text: {{zh_CN: 甲, en: A}}
        correct: true
      - id: b
        text: {{zh_CN: 乙, en: B}}
        correct: true
      - id: c
        text: {{zh_CN: 丙, en: C}}
    explanation: {{zh_CN: 解释。, en: Explanation.}}
    rule: {{zh_CN: 规则。, en: Rule.}}
  - id: {p}-q-true-false
    type: true_false
    topic: safety
    answer: false
    prompt: {{zh_CN: 判断题, en: True or false}}
    explanation: {{zh_CN: 解释。, en: Explanation.}}
    rule: {{zh_CN: 规则。, en: Rule.}}
  - id: {p}-q-ordering
    type: ordering
    topic: traffic
    prompt: {{zh_CN: 排序题, en: Put in order}}
    items:
      - id: a
        text: {{zh_CN: 第一, en: First}}
      - id: b
        text: {{zh_CN: 第二, en: Second}}
      - id: c
        text: {{zh_CN: 第三, en: Third}}
    explanation: {{zh_CN: 解释。, en: Explanation.}}
    rule: {{zh_CN: 规则。, en: Rule.}}
  - id: {p}-q-scenario
    type: scenario
    topic: safety
    critical: true
    scoring: per_part
    case: {{zh_CN: 案例。, en: The case.}}
    prompt: {{zh_CN: 情景题, en: Scenario}}
    explanation: {{zh_CN: 解释。, en: Explanation.}}
    rule: {{zh_CN: 情景规则。, en: Scenario rule.}}
    parts:
      - id: {p}-q-scenario-1
        type: single
        prompt: {{zh_CN: 第一问, en: Part one}}
        options:
          - id: a
            text: {{zh_CN: 对, en: Right}}
            correct: true
          - id: b
            text: {{zh_CN: 错, en: Wrong}}
        explanation: {{zh_CN: 解释一。, en: Explanation one.}}
      - id: {p}-q-scenario-2
        type: true_false
        answer: true
        prompt: {{zh_CN: 第二问, en: Part two}}
        explanation: {{zh_CN: 解释二。, en: Explanation two.}}
"""


# ------------------------------------------------------------------ helpers


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Error strings show paths relative to the cwd; this keeps them short and exact.
    monkeypatch.chdir(tmp_path)


def write_course(root: Path, folder: str = "course", prefix: str = "t") -> Path:
    """Write a valid minimal course (one lesson, five questions of every type)."""
    course = root / folder
    course.mkdir(parents=True)
    (course / "course.yaml").write_text(COURSE_YAML.format(p=prefix), encoding="utf-8")
    (course / "01-first.md").write_text(LESSON_MD.format(p=prefix), encoding="utf-8")
    (course / "questions.yaml").write_text(QUESTIONS_YAML.format(p=prefix), encoding="utf-8")
    return course


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based number of the nth line of ``path`` containing ``needle``."""
    hits = [
        number
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1)
        if needle in line
    ]
    assert len(hits) >= nth, f"{needle!r} not found {nth} times in {path.name}"
    return hits[nth - 1]


def errors_of(folder: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_course(folder)
    return [str(error) for error in caught.value.errors]


def at(path: Path, needle: str, message: str, nth: int = 1) -> str:
    return f"{path.relative_to(Path.cwd())}:{line_of(path, needle, nth)}: {message}"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return write_course(tmp_path)


# --------------------------------------------------------------- valid course


def test_minimal_course_is_valid_and_normalised(course: Path) -> None:
    spec = load_course(course)
    assert isinstance(spec, CourseSpec)
    assert (spec.id, spec.area, spec.level, spec.occupations) == (
        "t-course",
        "legal-safety",
        5,
        ("courier",),
    )
    assert spec.title == {"zh_CN": "测试课程", "en": "Test course"}
    assert spec.source_path == course
    assert len(spec.content_hash) == 64

    quiz = spec.quiz
    assert (quiz.id, quiz.draw, quiz.draw_by_tag, quiz.pass_mark) == (
        "t-quiz",
        3,
        {"traffic": 1},
        80,
    )
    assert (quiz.shuffle_questions, quiz.shuffle_options) == (True, True)
    assert (quiz.max_attempts, quiz.cooldown_minutes, quiz.time_limit_minutes) == (3, 30, 20)
    assert quiz.review == "explanations"
    single, multiple, true_false, ordering, scenario = quiz.questions
    common = {"id", "type", "topic", "difficulty", "critical", "prompt", "explanation", "rule"}
    assert set(single) == common | {"options"}
    assert single["options"] == [
        {
            "id": "a",
            "text": {"zh_CN": "对", "en": "Right"},
            "correct": True,
            "feedback": {"zh_CN": "好。", "en": "Good."},
        },
        {"id": "b", "text": {"zh_CN": "错", "en": "Wrong"}, "correct": False, "feedback": None},
    ]
    assert (single["topic"], single["difficulty"], single["critical"]) == ("traffic", 1, True)
    assert set(multiple) == common | {"options", "scoring"}
    assert multiple["scoring"] == "partial"
    assert (multiple["difficulty"], multiple["critical"]) == (None, False)
    assert set(true_false) == common | {"answer"}
    assert true_false["answer"] is False
    assert set(ordering) == common | {"items"}
    assert [item["id"] for item in ordering["items"]] == ["a", "b", "c"]
    assert set(ordering["items"][0]) == {"id", "text"}
    assert set(scenario) == common | {"case", "scoring", "parts"}
    assert scenario["scoring"] == "per_part"
    assert scenario["case"] == {"zh_CN": "案例。", "en": "The case."}
    part_one, part_two = scenario["parts"]
    assert set(part_one) == common | {"options"}
    assert set(part_two) == common | {"answer"}
    for part in (part_one, part_two):
        # Parts take rule, topic and critical from their scenario.
        assert part["rule"] == {"zh_CN": "情景规则。", "en": "Scenario rule."}
        assert (part["topic"], part["critical"], part["difficulty"]) == ("safety", True, None)
    assert part_two["explanation"] == {"zh_CN": "解释二。", "en": "Explanation two."}

    (lesson,) = spec.lessons
    assert (lesson.id, lesson.position, lesson.slug, lesson.minutes) == (
        "t-lesson",
        1,
        "01-first",
        3,
    )
    assert lesson.tags == ("traffic",)
    assert lesson.decision["prompt"] == {"zh_CN": "你会怎么做？", "en": "What would you do?"}
    assert [(o["id"], o["best"]) for o in lesson.decision["options"]] == [("a", False), ("b", True)]
    assert set(lesson.decision["options"][0]) == {"id", "text", "consequence", "best"}
    assert lesson.rule_source["en"] == "Road Traffic Safety Law, Art. 38"
    assert lesson.situation_html == {"zh_CN": "<p>情景。</p>", "en": "<p>The situation.</p>"}
    assert lesson.rule_html["en"] == "<ul>\n<li><strong>Rule</strong>: stop at red.</li>\n</ul>"
    (check,) = lesson.check
    assert set(check) == common | {"options"}
    assert (check["topic"], check["difficulty"], check["critical"], check["rule"]) == (
        None,
        None,
        False,
        None,
    )


def test_specs_are_frozen(course: Path) -> None:
    spec = load_course(course)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.id = "other"  # type: ignore[misc]


def test_optional_quiz_fields_may_be_left_out(course: Path) -> None:
    edit(course / "course.yaml", "  draw_by_tag:\n    traffic: 1\n", "")
    edit(course / "course.yaml", "  time_limit_minutes: 20\n", "")
    quiz = load_course(course).quiz
    assert (quiz.draw_by_tag, quiz.time_limit_minutes) == ({}, None)


def test_crlf_and_bom_are_accepted_and_do_not_change_the_hash(course: Path) -> None:
    before = load_course(course).content_hash
    for path in course.iterdir():
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert load_course(course).content_hash == before


# ------------------------------------------------------------- error classes

# (file, old text, new text, line needle, message): each row breaks one thing
# in the valid course and expects exactly one error on the needle's line.
SINGLE_ERRORS = [
    # course.yaml
    (
        "course.yaml",
        "id: t-course",
        "id: T_Course",
        "id: T_Course",
        "invalid ID 'T_Course': use 2-64 lowercase letters, digits and -, "
        "starting with a letter or digit",
    ),
    (
        "course.yaml",
        "area: legal-safety",
        "area: law",
        "area: law",
        "unknown area 'law': use one of legal-safety, ecommerce, logistics",
    ),
    (
        "course.yaml",
        "  - courier",
        "  - rider",
        "  - rider",
        "unknown occupation 'rider': use one of online-delivery-worker, courier, "
        "ride-hailing-driver, truck-driver, ecommerce-operator",
    ),
    (
        "course.yaml",
        "occupations:\n  - courier",
        "occupations: []",
        "occupations:",
        "Occupations is empty: list one or more of online-delivery-worker, courier, "
        "ride-hailing-driver, truck-driver, ecommerce-operator",
    ),
    (
        "course.yaml",
        "level: 5",
        "level: 6",
        "level:",
        "Level must be a whole number from 1 to 5, got 6",
    ),
    (
        "course.yaml",
        "level: 5",
        "level: five",
        "level:",
        "Level must be a whole number from 1 to 5, got 'five'",
    ),
    (
        "course.yaml",
        "  en: Test course",
        "  en: ''",
        "  en: ''",
        "Title (English) is empty: write the English text",
    ),
    (
        "course.yaml",
        "  en: Test course",
        "",
        "title:",
        "Title (English) is missing: add 'en: ...' under it",
    ),
    (
        "course.yaml",
        "  zh_CN: 测试课程\n",
        "",
        "title:",
        "Title (Chinese) is missing: add 'zh_CN: ...' under it",
    ),
    (
        "course.yaml",
        "title:\n  zh_CN: 测试课程\n  en: Test course",
        "title: Test course",
        "title:",
        "Title must be written per language: put 'zh_CN: ...' and 'en: ...' on their "
        "own lines under it",
    ),
    (
        "course.yaml",
        "summary:\n  zh_CN: 一门测试课程。\n  en: A test course.\n",
        "",
        "id: t-course",
        "the course has no Summary: add it in every language of the course",
    ),
    (
        "course.yaml",
        "  - 01-first",
        "  - 01-first.md",
        "  - 01-first.md",
        "write lesson names without .md: '01-first'",
    ),
    (
        "course.yaml",
        "  - 01-first",
        "  - 01-first\n  - 02-second",
        "  - 02-second",
        "lesson '02-second' has no file: create 02-second.md next to course.yaml or fix the name",
    ),
    (
        "course.yaml",
        "  - 01-first",
        "  - 01-first\n  - 01-first",
        "  - 01-first",
        "lesson '01-first' is listed twice: list each lesson once",
        2,
    ),
    (
        "course.yaml",
        "  - 01-first",
        "  - 01-first\n  - ../02-x",
        "  - ../02-x",
        "invalid lesson name '../02-x': give a file name in this folder, without .md",
    ),
    (
        "course.yaml",
        "  id: t-quiz",
        "  id: q",
        "  id: q",
        "invalid ID 'q': use 2-64 lowercase letters, digits and -, starting with a letter or digit",
    ),
    (
        "course.yaml",
        "  draw: 3",
        "  draw: 0",
        "  draw:",
        "Questions drawn must be a whole number, 1 or more, got 0",
    ),
    (
        "course.yaml",
        "  draw: 3",
        "  draw: 20",
        "  draw:",
        "Questions drawn is 20, more than the 5 questions in questions.yaml: lower it or add "
        "questions",
    ),
    (
        "course.yaml",
        "    traffic: 1",
        "    traffic: 3\n    safety: 2",
        "  draw_by_tag:",
        "Questions drawn per topic asks for 5 questions, more than the 3 drawn: lower the counts "
        "or draw more",
    ),
    (
        "course.yaml",
        "    traffic: 1",
        "    safety: 3",
        "    safety: 3",
        "Questions drawn per topic asks for 3 questions on 'safety' but questions.yaml has 2 "
        "with that topic: add questions or lower the count",
    ),
    (
        "course.yaml",
        "    traffic: 1",
        "    traffic: 0",
        "    traffic: 0",
        "traffic must be a whole number, 1 or more, got 0",
    ),
    (
        "course.yaml",
        "  pass_mark: 80",
        "  pass_mark: 0",
        "  pass_mark:",
        "Pass mark must be a whole number from 1 to 100, got 0",
    ),
    (
        "course.yaml",
        "  pass_mark: 80",
        "  pass_mark: 101",
        "  pass_mark:",
        "Pass mark must be a whole number from 1 to 100, got 101",
    ),
    (
        "course.yaml",
        "  max_attempts: 3",
        "  max_attempts: -1",
        "  max_attempts:",
        "Attempts allowed must be a whole number, 0 or more, got -1",
    ),
    (
        "course.yaml",
        "  cooldown_minutes: 30",
        "  cooldown_minutes: 1.5",
        "  cooldown_minutes:",
        "Minutes between attempts must be a whole number, 0 or more, got 1.5",
    ),
    (
        "course.yaml",
        "  time_limit_minutes: 20",
        "  time_limit_minutes: 0",
        "  time_limit_minutes:",
        "Time limit (minutes) must be a whole number, 1 or more, got 0",
    ),
    (
        "course.yaml",
        "  review: explanations",
        "  review: full",
        "  review:",
        "unknown review mode 'full': use one of score, answers, explanations",
    ),
    (
        "course.yaml",
        "  review: explanations\n",
        "",
        "quiz:",
        "Quiz has no What learners see afterwards: add review: one of score, answers, explanations",
    ),
    (
        "course.yaml",
        "  shuffle_options: true",
        "  shuffle_options: maybe",
        "  shuffle_options:",
        "Shuffle options must be true or false, got 'maybe'",
    ),
    (
        "course.yaml",
        "  bank: questions.yaml",
        "  bank: qs.yaml",
        "  bank:",
        "question file 'qs.yaml' not found next to course.yaml: create it or fix the name",
    ),
    (
        "course.yaml",
        "  bank: questions.yaml",
        "  bank: ../questions.yaml",
        "  bank:",
        "invalid question file '../questions.yaml': give the name of a file next to course.yaml",
    ),
    (
        "course.yaml",
        "level: 5",
        "level: 5\nextra: 1",
        "extra: 1",
        "unknown key 'extra': remove it (allowed here: id, title, summary, area, occupations, "
        "level, languages, lessons, quiz)",
    ),
    # lesson front matter
    (
        "01-first.md",
        "minutes: 3",
        "minutes: 7",
        "minutes:",
        "Minutes must be a whole number from 2 to 5, got 7",
    ),
    (
        "01-first.md",
        "id: t-lesson",
        "id: t_lesson",
        "id: t_lesson",
        "invalid ID 't_lesson': use 2-64 lowercase letters, digits and -, "
        "starting with a letter or digit",
    ),
    (
        "01-first.md",
        "tags: [traffic]",
        "tags: [Traffic]",
        "tags:",
        "invalid topic 'Traffic': use lowercase tags such as traffic",
    ),
    (
        "01-first.md",
        "      consequence: {zh_CN: 安全。, en: Safe.}\n",
        "",
        "    - id: b",
        "option 'b' has no Consequence: add it in every language of the course",
    ),
    (
        "01-first.md",
        "      best: true\n",
        "",
        "decision:",
        "the decision has no Best option: mark exactly one option with best: true",
    ),
    (
        "01-first.md",
        "en: You are fined.}",
        "en: You are fined.}\n      best: true",
        "  options:",
        "the decision has 2 best options (a, b): mark exactly one with best: true",
    ),
    (
        "01-first.md",
        "    - id: a\n      text: {zh_CN: 闯过去, en: Go through}\n"
        "      consequence: {zh_CN: 被罚款。, en: You are fined.}\n",
        "",
        "  options:",
        "the decision has 1 options: give 2 to 4 options",
    ),
    (
        "01-first.md",
        "    - id: b\n      text: {zh_CN: 等绿灯",
        "    - id: a\n      text: {zh_CN: 等绿灯",
        "    - id: a",
        "duplicate option id 'a' in the decision: give each option its own id",
        2,
    ),
    (
        "01-first.md",
        "rule_source:\n  zh_CN: 《道路交通安全法》第38条\n  en: Road Traffic Safety Law, Art. 38\n",
        "",
        "id: t-lesson",
        "the lesson has no Source of the rule: add it in every language of the course",
    ),
    (
        "01-first.md",
        CHECK_BLOCK.format(p="t"),
        "check: []\n",
        "check:",
        "the lesson has 0 check questions: give 1 or 2",
    ),
    (
        "01-first.md",
        "    type: single\n",
        "    type: single\n    topic: traffic\n",
        "    topic:",
        "key 'topic' is not used in lesson checks: remove it",
    ),
    (
        "01-first.md",
        "    explanation: {zh_CN: 红灯停。, en: Red means stop.}\n",
        "",
        "  - id: t-check-1",
        "question 't-check-1' has no Explanation: add it in every language of the course",
    ),
    # lesson body
    (
        "01-first.md",
        "The outcome.\n",
        "",
        "## outcome [en]",
        "Outcome (English) is empty: write the English text",
    ),
    (
        "01-first.md",
        "stop at red.\n",
        "stop at red.\n\n# Big\n",
        "# Big",
        "heading '# Big' is not allowed: use ### or deeper inside a section",
    ),
    (
        "01-first.md",
        "stop at red.\n",
        "stop at red.\n\n## Notes\n\nMore.\n",
        "## Notes",
        "heading '## Notes' is not a section: write '## situation [zh_CN]' (situation, outcome or "
        "rule; zh_CN or en), and use ### inside a section",
    ),
    (
        "01-first.md",
        "stop at red.\n",
        "stop at red.\n\n## decision [en]\n\nMore.\n",
        "## decision [en]",
        "section 'decision' does not belong in the body: decision goes in the front matter",
    ),
    (
        "01-first.md",
        "The outcome.\n",
        "The outcome.\n\nUnderlined\n---\n",
        "Underlined",
        "'Underlined' is underlined with ---, which makes it a heading: leave a blank line before "
        "a --- rule, or use '## step [lang]' for a section",
    ),
    (
        "01-first.md",
        "---\n\n## situation [zh_CN]",
        "---\n\nIntro text.\n\n## situation [zh_CN]",
        "Intro text.",
        "text before the first section: put it under a heading such as '## situation [en]'",
    ),
    (
        "01-first.md",
        "The outcome.",
        "<script>alert(1)</script>",
        "## outcome [en]",
        "Outcome (English) has nothing left once unsafe HTML is removed: write it in Markdown",
    ),
    # question bank
    (
        "questions.yaml",
        "    type: single\n    topic",
        "    type: single_choice\n    topic",
        "type: single_choice",
        "unknown question type 'single_choice': use one of single, multiple, true_false, "
        "ordering, scenario, matching, numerical, short_answer",
    ),
    (
        "questions.yaml",
        "        text: {zh_CN: 错, en: Wrong}\n    explanation: {zh_CN: 解释。",
        "        text: {zh_CN: 错, en: Wrong}\n        correct: true\n"
        "    explanation: {zh_CN: 解释。",
        "    options:",
        "question 't-q-single' has 2 correct options: a single choice question needs exactly one",
    ),
    (
        "questions.yaml",
        "        correct: true\n        feedback",
        "        feedback",
        "  - id: t-q-single",
        "question 't-q-single' has no Correct: mark exactly one option with correct: true",
    ),
    (
        "questions.yaml",
        "      - id: b\n        text: {zh_CN: 错, en: Wrong}\n    explanation: {zh_CN: 解释。",
        "    explanation: {zh_CN: 解释。",
        "    options:",
        "question 't-q-single' has 1 options: a question of type Single choice needs 2 to 6",
    ),
    (
        "questions.yaml",
        "        text: {zh_CN: 乙, en: B}\n        correct: true\n",
        "        text: {zh_CN: 乙, en: B}\n",
        "    options:",
        "question 't-q-multiple' has too few correct options (1): a multiple choice question "
        "needs at least two (use type single for one)",
        2,
    ),
    (
        "questions.yaml",
        "    scoring: partial",
        "    scoring: some",
        "    scoring: some",
        "unknown scoring 'some': use one of all_or_nothing, partial",
    ),
    (
        "questions.yaml",
        "    answer: false",
        "    answer: maybe",
        "    answer: maybe",
        "Answer must be true or false, got 'maybe'",
    ),
    (
        "questions.yaml",
        "    answer: false\n",
        "",
        "  - id: t-q-true-false",
        "question 't-q-true-false' has no Answer: add answer: true or answer: false",
    ),
    (
        "questions.yaml",
        "    answer: false",
        "    answer: false\n    options: []",
        "    options: []",
        "key 'options' is not used by a question of type True or false: use answer: true or false",
    ),
    (
        "questions.yaml",
        "      - id: c\n        text: {zh_CN: 第三, en: Third}\n",
        "",
        "    items:",
        "question 't-q-ordering' has 2 items: an ordering question needs 3 to 7",
    ),
    (
        "questions.yaml",
        "      - id: c\n        text: {zh_CN: 第三",
        "      - id: b\n        text: {zh_CN: 第三",
        "      - id: b",
        "duplicate item id 'b' in question 't-q-ordering': give each item its own id",
        4,
    ),
    (
        "questions.yaml",
        "    scoring: per_part",
        "    scoring: all",
        "    scoring: all",
        "unknown scoring 'all': use one of unit, per_part",
    ),
    (
        "questions.yaml",
        "    case: {zh_CN: 案例。, en: The case.}\n",
        "",
        "  - id: t-q-scenario",
        "question 't-q-scenario' has no Case: add it in every language of the course",
    ),
    (
        "questions.yaml",
        "      - id: t-q-scenario-2\n        type: true_false\n        answer: true\n"
        "        prompt: {zh_CN: 第二问, en: Part two}\n"
        "        explanation: {zh_CN: 解释二。, en: Explanation two.}\n",
        "",
        "    parts:",
        "question 't-q-scenario' has 1 parts: a scenario needs 2 to 4",
    ),
    (
        "questions.yaml",
        "        type: true_false\n        answer: true",
        "        type: scenario\n        answer: true",
        "        type: scenario",
        "part type 'scenario' is not allowed in a scenario: use one of single, multiple, "
        "true_false, ordering, matching, numerical, short_answer",
    ),
    (
        "questions.yaml",
        "        explanation: {zh_CN: 解释二。, en: Explanation two.}\n",
        "",
        "      - id: t-q-scenario-2",
        "part 't-q-scenario-2' has no Explanation: add it in every language of the course",
    ),
    (
        "questions.yaml",
        "        answer: true\n",
        "        answer: true\n        rule: {zh_CN: 甲, en: A}\n",
        "        rule: {zh_CN: 甲",
        "key 'rule' is not used in scenario parts: a part takes topic, critical and rule from its "
        "scenario; remove it",
    ),
    (
        "questions.yaml",
        "    rule: {zh_CN: 规则。, en: Rule.}\n  - id: t-q-multiple",
        "  - id: t-q-multiple",
        "  - id: t-q-single",
        "question 't-q-single' has no Rule: add it in every language of the course",
    ),
    (
        "questions.yaml",
        "    answer: false\n    prompt: {zh_CN: 判断题, en: True or false}\n"
        "    explanation: {zh_CN: 解释。, en: Explanation.}\n",
        "    answer: false\n    prompt: {zh_CN: 判断题, en: True or false}\n",
        "  - id: t-q-true-false",
        "question 't-q-true-false' has no Explanation: add it in every language of the course",
    ),
    (
        "questions.yaml",
        "    difficulty: 1",
        "    difficulty: 4",
        "    difficulty:",
        "Difficulty must be a whole number from 1 to 3, got 4",
    ),
    (
        "questions.yaml",
        "    critical: true\n    prompt: {zh_CN: 单选题",
        "    critical: yes please\n    prompt: {zh_CN: 单选题",
        "    critical: yes please",
        "Critical must be true or false, got 'yes please'",
    ),
    (
        "questions.yaml",
        "    topic: traffic\n    difficulty",
        "    topic: Traffic Law\n    difficulty",
        "    topic: Traffic Law",
        "invalid topic 'Traffic Law': use one lowercase tag such as traffic",
    ),
    (
        "questions.yaml",
        "      - id: b\n        text: {zh_CN: 乙",
        "      - id: a\n        text: {zh_CN: 乙",
        "      - id: a",
        "duplicate option id 'a' in question 't-q-multiple': give each option its own id",
        3,
    ),
    (
        "questions.yaml",
        "        text: {zh_CN: 错, en: Wrong}\n    explanation: {zh_CN: 解释。",
        "        text: {zh_CN: 错, en: Wrong, fr: Faux}\n    explanation: {zh_CN: 解释。",
        "fr: Faux",
        "unknown key 'fr': remove it (allowed here: zh_CN, en)",
    ),
    (
        "questions.yaml",
        "  - id: t-q-ordering",
        "  - id: t-q-single",
        "  - id: t-q-single",
        "duplicate id 't-q-single' (first used in course/questions.yaml:2)",
        2,
    ),
]


@pytest.mark.parametrize(
    "case", SINGLE_ERRORS, ids=[f"{row[0]}:{row[4][:50]}" for row in SINGLE_ERRORS]
)
def test_single_error(course: Path, case: tuple) -> None:
    file, old, new, needle, message, *nth = case
    edit(course / file, old, new)
    assert errors_of(course) == [at(course / file, needle, message, *nth)]


def test_unknown_key_suggests_the_right_one(course: Path) -> None:
    edit(course / "course.yaml", "title:\n  zh_CN: 测试课程", "titel:\n  zh_CN: 测试课程")
    assert errors_of(course) == [
        "course/course.yaml:1: the course has no Title: add it in every language of the course",
        "course/course.yaml:2: unknown key 'titel': did you mean 'title'?",
    ]


def test_unknown_translation_key_suggests_zh_cn(course: Path) -> None:
    edit(course / "course.yaml", "  zh_CN: 测试课程", "  zh-cn: 测试课程")
    title = line_of(course / "course.yaml", "title:")
    assert errors_of(course) == [
        f"course/course.yaml:{title}: Title (Chinese) is missing: add 'zh_CN: ...' under it",
        f"course/course.yaml:{title + 1}: unknown key 'zh-cn': did you mean 'zh_CN'?",
    ]


def test_misspelt_option_key_in_lesson(course: Path) -> None:
    md = course / "01-first.md"
    edit(md, "      consequence: {zh_CN: 安全。", "      consequense: {zh_CN: 安全。")
    assert errors_of(course) == [
        at(
            md,
            "    - id: b",
            "option 'b' has no Consequence: add it in every language of the course",
        ),
        at(md, "consequense:", "unknown key 'consequense': did you mean 'consequence'?"),
    ]


def test_duplicate_key(course: Path) -> None:
    edit(course / "course.yaml", "level: 5", "level: 5\nlevel: 4")
    first = line_of(course / "course.yaml", "level: 5")
    assert errors_of(course) == [
        f"course/course.yaml:{first + 1}: duplicate key 'level' (first at line {first}): "
        "keep only one"
    ]


def test_unlisted_lesson_file_is_an_error(course: Path) -> None:
    (course / "02-extra.md").write_text("anything", encoding="utf-8")
    (course / "README.md").write_text("notes for trainers", encoding="utf-8")
    assert errors_of(course) == [
        "course/02-extra.md:1: lesson file is not listed in course.yaml: add '- 02-extra' to "
        "lessons or delete the file"
    ]


def test_empty_lessons_list(course: Path) -> None:
    edit(course / "course.yaml", "lessons:\n  - 01-first", "lessons: []")
    assert errors_of(course) == [
        "course/01-first.md:1: lesson file is not listed in course.yaml: add '- 01-first' to "
        "lessons or delete the file",
        at(
            course / "course.yaml",
            "lessons:",
            "Lessons is empty: list the lesson files in order (names without .md)",
        ),
    ]


def test_check_with_three_questions(course: Path) -> None:
    md = course / "01-first.md"
    extra = CHECK_BLOCK.format(p="t").removeprefix("check:\n")
    edit(
        md,
        CHECK_BLOCK.format(p="t"),
        CHECK_BLOCK.format(p="t")
        + extra.replace("t-check-1", "t-check-2")
        + extra.replace("t-check-1", "t-check-3"),
    )
    assert errors_of(course) == [at(md, "check:", "the lesson has 3 check questions: give 1 or 2")]


def test_missing_body_section_points_at_the_first_body_line(course: Path) -> None:
    md = course / "01-first.md"
    edit(md, "## rule [en]\n\n- **Rule**: stop at red.\n", "")
    # The body starts on the line after the closing '---' of the front matter.
    body_start = line_of(md, "---", 2) + 1
    assert errors_of(course) == [
        f"course/01-first.md:{body_start}: Rule (English) is missing: "
        "add a '## rule [en]' section to the lesson body"
    ]


def test_body_duplicate_section_also_reports_the_missing_one(course: Path) -> None:
    md = course / "01-first.md"
    edit(md, "## outcome [en]", "## situation [en]")
    body_start = line_of(md, "---", 2) + 1
    first = line_of(md, "## situation [en]")
    assert errors_of(course) == [
        f"course/01-first.md:{body_start}: Outcome (English) is missing: "
        "add a '## outcome [en]' section to the lesson body",
        f"course/01-first.md:{line_of(md, '## situation [en]', 2)}: duplicate section "
        f"'situation [en]' (first at line {first}): merge them into one",
    ]


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        (
            "## outcom [en]",
            "unknown section 'outcom': did you mean 'outcome'? use situation, outcome or rule",
        ),
        ("## outcome [fr]", "unknown language 'fr' in section heading: use [zh_CN] or [en]"),
    ],
)
def test_body_bad_section_heading(course: Path, heading: str, message: str) -> None:
    md = course / "01-first.md"
    edit(md, "## outcome [en]", heading)
    body_start = line_of(md, "---", 2) + 1
    assert errors_of(course) == [
        f"course/01-first.md:{body_start}: Outcome (English) is missing: "
        "add a '## outcome [en]' section to the lesson body",
        at(md, heading, message),
    ]


def test_body_code_block_with_hashes_is_not_a_heading(course: Path) -> None:
    edit(course / "01-first.md", "The outcome.", "The outcome.\n\n```\n## not a heading\n```")
    assert "## not a heading" in load_course(course).lessons[0].outcome_html["en"]


def test_lesson_without_front_matter(course: Path) -> None:
    (course / "01-first.md").write_text("# Title\n\nSome text\n", encoding="utf-8")
    assert errors_of(course) == [
        "course/01-first.md:1: lesson has no front matter: start the file with a '---' line, "
        "the lesson fields, and a closing '---' line"
    ]


def test_lesson_with_unclosed_front_matter(course: Path) -> None:
    (course / "01-first.md").write_text("---\nid: t-lesson\n", encoding="utf-8")
    assert errors_of(course) == [
        "course/01-first.md:1: front matter is not closed: add a '---' line after the lesson fields"
    ]


# ----------------------------------------------------------- files and YAML

# libyaml (used when present) and the pure-Python parser word this one differently.
MAPPING_HERE = "in this context" if hasattr(yaml, "CSafeLoader") else "here"


def test_yaml_syntax_error_in_course_yaml(course: Path) -> None:
    edit(course / "course.yaml", "area: legal-safety", "area: legal: safety")
    assert errors_of(course) == [
        at(
            course / "course.yaml",
            "area: legal: safety",
            f"YAML syntax error: mapping values are not allowed {MAPPING_HERE}: check the "
            "indentation and put text that contains ': ' or ' #' in quotes",
        )
    ]


def test_yaml_syntax_error_in_front_matter_counts_file_lines(course: Path) -> None:
    md = course / "01-first.md"
    edit(md, "minutes: 3", "minutes: 3: 4")
    assert errors_of(course) == [
        at(
            md,
            "minutes: 3: 4",
            f"YAML syntax error: mapping values are not allowed {MAPPING_HERE}: check the "
            "indentation and put text that contains ': ' or ' #' in quotes",
        )
    ]


def test_yaml_syntax_error_in_bank(course: Path) -> None:
    bank = course / "questions.yaml"
    edit(bank, "    scoring: partial", "    scoring: [partial")
    (error,) = errors_of(course)
    # An unclosed flow list is only noticed where the parser gives up: the next key line.
    assert error.startswith(f"course/questions.yaml:{line_of(bank, '    scoring: [partial') + 1}: ")
    assert "YAML syntax error" in error


def test_front_matter_errors_use_file_line_numbers(course: Path) -> None:
    md = course / "01-first.md"
    edit(md, "minutes: 3", "minutes: 7")
    (error,) = errors_of(course)
    assert error == "course/01-first.md:6: Minutes must be a whole number from 2 to 5, got 7"


def test_non_utf8_file(course: Path) -> None:
    bank = course / "questions.yaml"
    line = line_of(bank, "单选题")
    bank.write_bytes(bank.read_bytes().replace("单选题".encode(), "单选题".encode("gbk")))
    first_byte = "单".encode("gbk")[0]
    assert errors_of(course) == [
        f"course/questions.yaml:{line}: file is not valid UTF-8 (byte 0x{first_byte:02x}): "
        "save it with UTF-8 encoding"
    ]


def test_empty_files(course: Path) -> None:
    (course / "questions.yaml").write_text("\n  \n", encoding="utf-8")
    (course / "01-first.md").write_text("", encoding="utf-8")
    assert errors_of(course) == [
        "course/01-first.md:1: file is empty: write the front matter and the six body sections",
        "course/questions.yaml:1: file is empty: add 'questions:' and a list of questions",
    ]


def test_missing_course_yaml(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    assert errors_of(tmp_path / "nothing") == [
        "nothing/course.yaml:1: course.yaml not found: every course folder needs one"
    ]


def test_bank_that_is_not_a_list(course: Path) -> None:
    (course / "questions.yaml").write_text("questions: 3\n", encoding="utf-8")
    assert errors_of(course) == [
        "course/questions.yaml:1: Questions must be a list ('- ' items), got 3"
    ]


def test_many_errors_are_collected(course: Path) -> None:
    edit(course / "course.yaml", "level: 5", "level: 9")
    edit(course / "01-first.md", "minutes: 3", "minutes: 7")
    edit(course / "questions.yaml", "    difficulty: 1", "    difficulty: 0")
    with pytest.raises(ContentErrors) as caught:
        load_course(course)
    errors = caught.value.errors
    assert [(e.path.name, e.line) for e in errors] == [
        ("01-first.md", 6),
        ("course.yaml", 11),
        ("questions.yaml", 5),
    ]
    assert str(caught.value) == "\n".join(str(e) for e in errors)
    assert all(isinstance(e, ContentError) for e in errors)


# ------------------------------------------------------------------------ ids


def test_check_question_id_must_not_reuse_a_bank_id(course: Path) -> None:
    edit(course / "01-first.md", "  - id: t-check-1", "  - id: t-q-single")
    check_line = line_of(course / "01-first.md", "  - id: t-q-single")
    assert errors_of(course) == [
        at(
            course / "questions.yaml",
            "  - id: t-q-single",
            f"duplicate id 't-q-single' (first used in course/01-first.md:{check_line})",
        )
    ]


def test_duplicate_ids_across_courses(tmp_path: Path) -> None:
    courses = tmp_path / "content" / "courses"
    write_course(courses, "a", prefix="a")
    b = write_course(courses, "b", prefix="b")
    edit(b / "questions.yaml", "  - id: b-q-scenario-1", "  - id: a-q-single")
    loaded, errors = load_content(tmp_path / "content")
    assert [course.id for course in loaded] == ["a-course"]
    first = line_of(courses / "a" / "questions.yaml", "  - id: a-q-single")
    assert [str(error) for error in errors] == [
        at(
            b / "questions.yaml",
            "  - id: a-q-single",
            f"duplicate id 'a-q-single' (first used in content/courses/a/questions.yaml:{first})",
        )
    ]


def test_same_course_twice_reports_every_id(tmp_path: Path) -> None:
    write_course(tmp_path / "courses", "a")
    write_course(tmp_path / "courses", "b")
    loaded, errors = load_content(tmp_path / "courses")
    assert [course.id for course in loaded] == ["t-course"]
    duplicated = {str(error).split("'")[1] for error in errors}
    assert duplicated == {
        "t-course",
        "t-lesson",
        "t-check-1",
        "t-quiz",
        "t-q-single",
        "t-q-multiple",
        "t-q-true-false",
        "t-q-ordering",
        "t-q-scenario",
        "t-q-scenario-1",
        "t-q-scenario-2",
    }
    assert all(str(error).startswith("courses/b/") for error in errors)


# ----------------------------------------------------------- load_content roots


def test_load_content_accepts_content_courses_or_course_folder(tmp_path: Path) -> None:
    courses = tmp_path / "content" / "courses"
    write_course(courses, "one", prefix="one")
    write_course(courses, "two", prefix="two")
    for root, expected in [
        (tmp_path / "content", ["one-course", "two-course"]),
        (courses, ["one-course", "two-course"]),
        (courses / "two", ["two-course"]),
        (courses / "two" / "course.yaml", ["two-course"]),
    ]:
        loaded, errors = load_content(root)
        assert errors == []
        assert [course.id for course in loaded] == expected


def test_load_content_returns_valid_courses_and_errors(tmp_path: Path) -> None:
    courses = tmp_path / "courses"
    write_course(courses, "good", prefix="good")
    bad = write_course(courses, "bad", prefix="bad")
    edit(bad / "course.yaml", "level: 5", "level: 0")
    (courses / "stray").mkdir()
    loaded, errors = load_content(courses)
    assert [course.id for course in loaded] == ["good-course"]
    assert [str(error) for error in errors] == [
        "courses/bad/course.yaml:11: Level must be a whole number from 1 to 5, got 0",
        "courses/stray/course.yaml:1: course.yaml not found: add one or move this folder out "
        "of courses/",
    ]


def test_load_content_on_missing_or_empty_folder(tmp_path: Path) -> None:
    assert [str(e) for e in load_content(tmp_path / "nope")[1]] == [
        "nope:1: path not found: give the content folder or a course"
    ]
    (tmp_path / "empty").mkdir()
    assert [str(e) for e in load_content(tmp_path / "empty")[1]] == [
        "empty:1: no course found: each course is a folder with a course.yaml in it"
    ]


# ------------------------------------------------------------------- hashes


def test_unchanged_content_has_the_same_hash(tmp_path: Path) -> None:
    first = load_course(write_course(tmp_path, "first"))
    second = load_course(write_course(tmp_path, "second"))
    # Same files in another folder: the hash is about content, not location.
    assert first.content_hash == second.content_hash
    assert first.lessons[0].content_hash == second.lessons[0].content_hash
    assert load_course(tmp_path / "first").content_hash == first.content_hash


@pytest.mark.parametrize(
    ("file", "old", "new", "lesson_changes"),
    [
        ("01-first.md", "The outcome.", "The real outcome.", True),
        ("01-first.md", "en: Wait for green", "en: Wait for the green light", True),
        ("questions.yaml", "en: Single question", "en: A single question", False),
        ("course.yaml", "  pass_mark: 80", "  pass_mark: 70", False),
        ("course.yaml", "  en: A test course.", "  en: A small test course.", False),
    ],
)
def test_changed_wording_changes_the_hash(
    course: Path, file: str, old: str, new: str, lesson_changes: bool
) -> None:
    before = load_course(course)
    edit(course / file, old, new)
    after = load_course(course)
    assert after.content_hash != before.content_hash
    assert (after.lessons[0].content_hash != before.lessons[0].content_hash) is lesson_changes


# ---------------------------------------------------------------------- XSS


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        "[x](&#106;avascript:alert(1))",
        '<p onclick="alert(1)" style="color:red">x</p>',
        "<iframe src=https://evil.example></iframe>",
    ],
)
def test_render_markdown_strips_xss(attack: str) -> None:
    html = render_markdown(f"Before {attack} after")
    lowered = html.lower()
    for bad in (
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "alert(",
        "<img",
        "<iframe",
        "style=",
    ):
        assert bad not in lowered, html
    assert "Before" in html and "after" in html


def test_render_markdown_keeps_safe_markup() -> None:
    html = render_markdown(
        '### Sub\n\n**b** *i* `c` [law](https://example.org "t") [m](mailto:a@b.c)\n\n'
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n> q\n"
    )
    assert "<h3>Sub</h3>" in html
    assert '<a href="https://example.org" title="t" rel="noopener noreferrer">law</a>' in html
    assert 'href="mailto:a@b.c"' in html
    assert "<table>" in html and "<td>1</td>" in html and "<blockquote>" in html
    assert "<strong>b</strong>" in html and "<em>i</em>" in html and "<code>c</code>" in html


def test_lesson_body_html_is_sanitised(course: Path) -> None:
    edit(
        course / "01-first.md",
        "The situation.",
        "The situation. <script>alert(1)</script> <img src=x onerror=alert(1)> "
        "[x](javascript:alert(1))",
    )
    html = load_course(course).lessons[0].situation_html["en"]
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "alert" not in html
    assert html.startswith("<p>The situation.")


# ----------------------------------------------------------------------- CLI


def test_cli_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_course(tmp_path / "courses", "a", prefix="a")
    write_course(tmp_path / "courses", "b", prefix="b")
    assert main([str(tmp_path / "courses")]) == 0
    assert capsys.readouterr().out == "2 courses, 2 lessons, 10 questions: OK\n"


def test_cli_errors(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(course / "course.yaml", "level: 5", "level: 9")
    assert main(["course"]) == 1
    assert capsys.readouterr().out == (
        "course/course.yaml:11: Level must be a whole number from 1 to 5, got 9\n"
        "1 error; valid: 0 courses, 0 lessons, 0 questions\n"
    )


# --------------------------------------------------------------- real content


@pytest.mark.skipif(
    not (REPO_CONTENT / "courses").is_dir(), reason="content/courses is not written yet"
)
def test_shipped_content_is_valid() -> None:
    courses, errors = load_content(REPO_CONTENT)
    assert [str(error) for error in errors] == []
    assert courses


# ------------------------------------------------------------- hostile YAML


def test_yaml_tags_are_never_constructed(course: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    edit(
        course / "course.yaml",
        "level: 5",
        f'level: !!python/object/apply:os.system ["touch {marker}"]',
    )
    edit(course / "course.yaml", "  draw: 3", "  draw: !!int three")
    assert errors_of(course) == [
        at(
            course / "course.yaml", "level:", "Level must be a whole number from 1 to 5, got a list"
        ),
        at(
            course / "course.yaml",
            "  draw:",
            "Questions drawn must be a whole number, 1 or more, got three",
        ),
    ]
    assert not marker.exists()


def test_self_referencing_alias_does_not_recurse(course: Path) -> None:
    edit(
        course / "questions.yaml",
        "  - id: t-q-ordering\n    type: ordering",
        "  - &loop\n    id: t-q-loop\n    type: scenario\n    parts: [*loop, *loop]\n"
        "  - id: t-q-ordering\n    type: ordering",
    )
    errors = errors_of(course)
    assert any("part type 'scenario' is not allowed in a scenario" in error for error in errors)
