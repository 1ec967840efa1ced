"""levels.yaml: the shipped ladder is valid, and every mistake is named with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lms.content.errors import ContentErrors
from lms.levels.loader import load_levels, read_levels
from lms.levels.specs import CourseFacts
from tests.conftest import CONTENT_DIR

COURSES = {
    "legal-safety": CourseFacts(
        "legal-safety",
        {"zh_CN": "法律安全", "en": "Legal safety"},
        tuple(f"ls-{n}" for n in range(6)),
        ("ls-q-red-light", "ls-q-phone"),
    ),
    "logistics": CourseFacts(
        "logistics",
        {"zh_CN": "物流", "en": "Logistics"},
        tuple(f"lg-{n}" for n in range(6)),
        ("lg-q-fatigue",),
    ),
    "ecommerce": CourseFacts(
        "ecommerce",
        {"zh_CN": "电商", "en": "E-commerce"},
        tuple(f"ec-{n}" for n in range(6)),
        (),
    ),
}

GOOD = """\
tracks:
  - id: courier
    occupation: courier
    title: {zh_CN: 快递员, en: Courier}
    levels:
      - level: 5
        title: {zh_CN: L5 初级（对标五级知识要求）, en: L5 Junior (modelled on level-5 knowledge)}
        summary: {zh_CN: 日常收派, en: Routine work}
        requirements:
          - kind: course_passed
            course: legal-safety
            min_score: 80
          - kind: critical_questions
            courses: [legal-safety]
          - kind: lessons_completed
            count: 6
      - level: 4
        title: {zh_CN: L4 中级, en: L4 Intermediate}
        summary: {zh_CN: 复杂情况, en: Harder cases}
        requirements:
          - kind: level_held
            level: 5
          - kind: trainer_signoff
            id: safe-loading
            title: {zh_CN: 安全装载, en: Safe loading}
            description: {zh_CN: 装好一车, en: Load a van}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "levels.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    spec, errors = read_levels(write(tmp_path, text), COURSES)
    assert spec is None, "expected errors"
    return [str(error) for error in errors]


def test_the_shipped_ladder_is_valid_against_the_shipped_courses():
    from lms.courses.loader import load_content

    specs, course_errors = load_content(CONTENT_DIR)
    assert not course_errors
    facts = {
        s.id: CourseFacts(
            s.id,
            s.title,
            tuple(lesson.id for lesson in s.lessons),
            tuple(q["id"] for q in s.quiz.questions if q.get("critical")),
        )
        for s in specs
    }
    spec = load_levels(CONTENT_DIR / "levels.yaml", facts)
    tracks = {track.key: track for track in spec.tracks}
    assert {"online-delivery-worker", "courier", "ecommerce-operator"} <= set(tracks)
    for track in tracks.values():
        assert [level.level for level in track.levels][:3] == [5, 4, 3]
        for level in track.levels:
            assert "对标" in level.title["zh_CN"]
            assert "modelled on" in level.title["en"]
        kinds = {r.kind for level in track.levels for r in level.requirements}
        assert {"course_passed", "lessons_completed", "level_held", "trainer_signoff"} <= kinds
    assert spec.recognition is not None and spec.recognition.from_level == 3


def test_a_good_file_loads_into_frozen_specs(tmp_path):
    spec = load_levels(write(tmp_path, GOOD), COURSES)
    (track,) = spec.tracks
    assert [r.key for r in track.levels[0].requirements] == [
        "course_passed:legal-safety",
        "critical_questions:legal-safety",
        "lessons_completed",
    ]
    assert track.levels[1].requirements[1].key == "trainer_signoff:safe-loading"
    # what is stored in the database comes back the same
    from lms.levels.specs import TrackSpec

    assert TrackSpec.from_dict(track.as_dict()) == track


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        (
            "    occupation: courier\n",
            "    occupation: courier\n    colour: red\n",
            4,
            "unknown key 'colour'",
        ),
        (
            "            course: legal-safety\n",
            "            course: legal-safty\n",
            11,
            "unknown course 'legal-safty' in course_passed requirement of level 5 of "
            "track 'courier': did you mean 'legal-safety'?",
        ),
        (
            "title: {zh_CN: 快递员, en: Courier}",
            "title: {zh_CN: 快递员}",
            4,
            "missing 'en' translation in title",
        ),
        ("      - level: 4\n", "      - level: 3\n", 17, "after level 5 comes level 4, not 3"),
        (
            "          - kind: level_held\n            level: 5\n",
            "",
            20,
            "must require the level below it",
        ),
        ("            min_score: 80", "            min_score: 180", 12, "min_score"),
        (
            "          - kind: lessons_completed\n            count: 6",
            "          - kind: lessons_done\n            count: 6",
            15,
            "unknown requirement kind 'lessons_done'",
        ),
        ("            count: 6", "            count: 60", 16, "more than the 18 lessons"),
        (
            "            courses: [legal-safety]",
            "            courses: [ecommerce]",
            14,
            "course 'ecommerce' has no critical questions",
        ),
        ("    occupation: courier", "    occupation: postman", 3, "unknown occupation 'postman'"),
        ("            level: 5\n", "            level: 4\n", 22, "level_held 4"),
    ],
)
def test_mistakes_are_reported_with_file_and_line(tmp_path, old, new, line, words):
    assert old in GOOD
    found = errors_of(tmp_path, GOOD.replace(old, new, 1))
    assert any(f"levels.yaml:{line}:" in error and words in error for error in found), found


def test_yaml_syntax_error_names_the_line(tmp_path):
    found = errors_of(tmp_path, GOOD.replace("    levels:\n", "    levels: [\n", 1))
    assert any("YAML syntax error" in error for error in found), found


def test_a_duplicate_track_id_points_at_the_first(tmp_path):
    body = GOOD.split("tracks:\n", 1)[1]
    found = errors_of(tmp_path, GOOD + body)
    assert any("duplicate track id 'courier' (first at line 2)" in error for error in found), found


def test_an_unsafe_yaml_tag_is_refused(tmp_path):
    text = GOOD.replace("occupation: courier", "occupation: !!python/object:os.system courier")
    spec, errors = read_levels(write(tmp_path, text), COURSES)
    assert spec is None and errors


def test_load_levels_raises_with_every_error(tmp_path):
    text = GOOD.replace("min_score: 80", "min_score: 0").replace("en: Courier", "en: ''")
    with pytest.raises(ContentErrors) as raised:
        load_levels(write(tmp_path, text), COURSES)
    assert len(raised.value.errors) == 2


def test_shipped_levels_ask_for_the_pass_mark_each_quiz_has():
    # A level asking 80 of a quiz that passes at 70 would pass learners it then refuses.
    pass_marks = {
        data["id"]: data["quiz"]["pass_mark"]
        for data in (
            yaml.safe_load(path.read_text(encoding="utf-8"))
            for path in (CONTENT_DIR / "courses").glob("*/course.yaml")
        )
    }
    levels = yaml.safe_load((CONTENT_DIR / "levels.yaml").read_text(encoding="utf-8"))
    asked = [
        (track["id"], level["level"], requirement["course"], requirement["min_score"])
        for track in levels["tracks"]
        for level in track["levels"]
        for requirement in level["requirements"]
        if requirement["kind"] == "course_passed"
    ]
    assert asked
    assert [a for a in asked if a[3] != pass_marks[a[2]]] == []
