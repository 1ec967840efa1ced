"""The ``session_attended`` requirement: training attended in person, at a session
a trainer held (checked in by its QR code or by the trainer's hand).

In ``content/levels.yaml``::

    - kind: session_attended
      count: 1              # at least this many sessions attended (1..50)
      course: legal-safety  # optional: only sessions held for this course

Reading it lives here so the loader stays one file per concern; the rule that
checks it against a learner's record is in ``progress.py`` with the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from yaml.nodes import Node

from lms.content.messages import Message
from lms.levels.specs import CourseFacts, Requirement
from lms.levels.yaml_reader import LevelsReader

KIND = "session_attended"
KEYS: tuple[str, ...] = ("count", "course")
COUNT_MAX = 50

#: the loader's check that a course id is known (reports the error itself)
CourseCheck = Callable[..., bool]


def read_session_attended(
    reader: LevelsReader,
    fields: Mapping[str, tuple[Node, Node]],
    line: int,
    label: Message | str,
    courses: Mapping[str, CourseFacts] | None,
    course_ref: CourseCheck,
) -> Requirement | None:
    """The requirement as written, or None with its errors reported at their lines."""
    count = reader.integer(fields, "count", line, label, 1, COUNT_MAX)
    course: tuple[str, int] | None = None
    if "course" in fields:
        course = reader.word(fields, "course", line, label)
        if course is None or not course_ref(reader, course[0], course[1], label, courses):
            return None
    if count is None:
        return None
    key = f"{KIND}:{course[0]}" if course else KIND
    return Requirement(key, KIND, course=course[0] if course else None, count=count)
