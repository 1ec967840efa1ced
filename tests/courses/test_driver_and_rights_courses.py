"""The rights-and-protection and drivers courses as shipped: short one-objective
case lessons, banks that use the typed-answer types, no length cue in any
decision or single-choice question, honest case labels, and level tracks for
drivers built only on courses written for drivers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from lms.courses.loader import load_content

CONTENT = Path(__file__).resolve().parents[2] / "content"
COURSES = ("rights-protection", "drivers")
#: About 5 minutes at 250 Chinese characters a minute.
MAX_CHINESE = 1250
MAX_ENGLISH_WORDS = 900
CASE_LABELS = ("（示例案例）", "（根据真实案例改编）")


@pytest.fixture(scope="module")
def courses():
    loaded, errors = load_content(CONTENT)
    assert [str(error) for error in errors] == []
    return {course.id: course for course in loaded if course.id in COURSES}


def _texts(value, language: str) -> list[str]:
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            if key == language and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_texts(item, language))
        return found
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item, language)]
    return []


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _reading(lesson, language: str) -> list[str]:
    parts = [lesson.title, lesson.decision, lesson.rule_source, list(lesson.check)]
    texts = _texts(parts, language)
    for section in (lesson.situation_html, lesson.outcome_html, lesson.rule_html):
        texts.append(_plain(section[language]))
    return texts


def test_both_courses_ship_at_least_six_lessons(courses):
    assert set(courses) == set(COURSES)
    for course in courses.values():
        assert len(course.lessons) >= 6, course.id


def test_every_lesson_reads_in_five_minutes_in_both_languages(courses):
    for course in courses.values():
        for lesson in course.lessons:
            chinese = sum(len(re.sub(r"\s", "", text)) for text in _reading(lesson, "zh_CN"))
            words = sum(
                len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'.-]*", text))
                for text in _reading(lesson, "en")
            )
            assert chinese <= MAX_CHINESE, (lesson.id, chinese)
            assert words <= MAX_ENGLISH_WORDS, (lesson.id, words)


def test_each_bank_uses_the_typed_answer_types(courses):
    for course in courses.values():
        types = {question["type"] for question in course.quiz.questions}
        assert {"matching", "numerical", "short_answer", "true_false", "single"} <= types, (
            course.id,
            types,
        )
        assert all(question.get("rule") for question in course.quiz.questions)


def _options_of(course):
    for lesson in course.lessons:
        yield lesson.id, list(lesson.decision["options"]), "best"
        for check in lesson.check:
            if check["type"] == "single":
                yield check["id"], list(check["options"]), "correct"
    for question in course.quiz.questions:
        if question["type"] == "single":
            yield question["id"], list(question["options"]), "correct"


def test_the_right_option_is_never_the_single_longest(courses):
    for course in courses.values():
        for subject, options, key in _options_of(course):
            right = [len(o["text"]["zh_CN"]) for o in options if o.get(key)]
            others = [len(o["text"]["zh_CN"]) for o in options if not o.get(key)]
            assert right[0] <= max(others), subject


def test_right_answers_sit_in_every_position(courses):
    for course in courses.values():
        positions = {
            next(i for i, o in enumerate(options) if o.get(key))
            for _subject, options, key in _options_of(course)
        }
        assert positions == {0, 1, 2}, course.id


def test_every_case_says_whether_it_is_real(courses):
    for course in courses.values():
        for lesson in course.lessons:
            situation = _plain(lesson.situation_html["zh_CN"]).strip()
            assert situation.startswith(CASE_LABELS), lesson.id


def test_driver_tracks_use_only_courses_written_for_that_occupation(courses):
    loaded, _errors = load_content(CONTENT)
    occupations = {course.id: set(course.occupations) for course in loaded}
    levels = yaml.safe_load((CONTENT / "levels.yaml").read_text(encoding="utf-8"))
    tracks = {track["id"]: track for track in levels["tracks"]}
    for track_id in ("ride-hailing-driver", "truck-driver"):
        track = tracks[track_id]
        assert [level["level"] for level in track["levels"]] == [5, 4, 3]
        named = set()
        for level in track["levels"]:
            for requirement in level["requirements"]:
                named.update(requirement.get("courses") or ())
                if requirement.get("course"):
                    named.add(requirement["course"])
        assert "drivers" in named
        for course_id in named:
            assert track["occupation"] in occupations[course_id], (track_id, course_id)
