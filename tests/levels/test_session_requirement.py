"""The ``session_attended`` requirement: read from levels.yaml with file:line
errors like every kind, and met by sessions attended (all, or one course's)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lms.levels.loader import load_levels
from lms.levels.progress import (
    AttendedFact,
    LearnerRecord,
    RequirementState,
    evaluate_requirement,
)
from lms.levels.specs import TrackSpec
from tests.levels.test_levels_loader import COURSES, errors_of, write

LADDER = """\
tracks:
  - id: courier
    occupation: courier
    title: {zh_CN: 快递员, en: Courier}
    levels:
      - level: 5
        title: {zh_CN: L5 初级（对标五级知识要求）, en: L5 Junior (modelled on level-5 knowledge)}
        summary: {zh_CN: 站点培训, en: Station training}
        requirements:
          - kind: session_attended
            count: 2
            course: legal-safety
          - kind: session_attended
            count: 3
"""


def test_the_requirement_loads_with_its_course_and_count(tmp_path):
    (track,) = load_levels(write(tmp_path, LADDER), COURSES).tracks
    by_course, any_session = track.levels[0].requirements

    assert (by_course.key, by_course.course, by_course.count) == (
        "session_attended:legal-safety",
        "legal-safety",
        2,
    )
    assert (any_session.key, any_session.course, any_session.count) == ("session_attended", None, 3)
    assert TrackSpec.from_dict(track.as_dict()) == track


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("            count: 2\n", "            count: 0\n", 11, "count in session_attended"),
        ("            count: 3\n", "", 13, "has no count"),
        (
            "            course: legal-safety\n",
            "            course: legal-safty\n",
            12,
            "unknown course 'legal-safty' in session_attended requirement",
        ),
        (
            "            course: legal-safety\n",
            "            courses: [legal-safety]\n",
            12,
            "unknown key 'courses' in session_attended requirement",
        ),
        (
            "          - kind: session_attended\n            count: 3",
            "          - kind: session_attnded\n            count: 3",
            13,
            "did you mean 'session_attended'?",
        ),
    ],
)
def test_mistakes_in_it_are_named_with_file_and_line(tmp_path, old, new, line, words):
    assert old in LADDER
    found = errors_of(tmp_path, LADDER.replace(old, new, 1))
    assert any(f"levels.yaml:{line}:" in error and words in error for error in found), found


def _fact(number: int, course: str | None) -> AttendedFact:
    return AttendedFact(
        number, f"session:{number}", course, 3600, datetime(2026, 5, number, tzinfo=UTC)
    )


def test_only_sessions_of_the_named_course_count_towards_it(tmp_path):
    (track,) = load_levels(write(tmp_path, LADDER), COURSES).tracks
    by_course, any_session = track.levels[0].requirements
    record = LearnerRecord(
        profile_id=1, attended=(_fact(1, "legal-safety"), _fact(2, None), _fact(3, "logistics"))
    )

    half = evaluate_requirement(by_course, record, track)
    done = evaluate_requirement(any_session, record, track)

    assert (half.state, half.have, half.need, half.fraction) == (
        RequirementState.IN_PROGRESS,
        1,
        2,
        0.5,
    )
    assert done.state == RequirementState.DONE
    assert done.evidence == {"sessions": ["session:1", "session:2", "session:3"]}
    nothing = evaluate_requirement(by_course, LearnerRecord(profile_id=1), track)
    assert nothing.state == RequirementState.NOT_STARTED and nothing.evidence == {}
