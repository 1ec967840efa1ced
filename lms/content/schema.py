"""The content schema in one place: languages, areas, occupations, question
types, id patterns and the order of keys in each kind of file.

The loaders validate against it, the studio builds its forms from it and the
export writes files in its key order, so a new area or key is added here once.
Pure Python.
"""

from __future__ import annotations

import re

#: Languages every text of a course is written in, the default first.
LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
#: How an error message names each language.
LANGUAGE_NAMES: dict[str, str] = {"zh_CN": "Chinese", "en": "English"}
#: Subject areas a course belongs to.
AREAS: tuple[str, ...] = ("legal-safety", "ecommerce", "logistics")
#: Occupations of the new employment groups a course is written for.
OCCUPATIONS: tuple[str, ...] = (
    "online-delivery-worker",
    "courier",
    "ride-hailing-driver",
    "truck-driver",
    "ecommerce-operator",
)
#: What a learner sees after a quiz attempt.
REVIEW_MODES: tuple[str, ...] = ("score", "answers", "explanations")
# The question types, and the keys each adds, are the registry's
# (``lms.questions.registry``): each type declares its own.
#: How a multiple-answer question is scored.
MULTIPLE_SCORING: tuple[str, ...] = ("all_or_nothing", "partial")
#: How a scenario's parts add up.
SCENARIO_SCORING: tuple[str, ...] = ("unit", "per_part")
#: The Markdown sections of a lesson, in reading order (the decision sits between
#: the situation and the outcome, in the lesson file).
SECTIONS: tuple[str, ...] = ("situation", "outcome", "rule")

#: Ids of courses, lessons, questions and tracks.
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# Option and item ids are only unique inside their question, and the README's
# own examples are single letters, so the 2-character minimum does not apply.
OPTION_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# A lesson name becomes a path; anything with a separator could escape the folder.
LESSON_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

#: Keys of ``course.yaml``, in the order the export writes them.
COURSE_KEYS: tuple[str, ...] = (
    "id",
    "title",
    "summary",
    "area",
    "occupations",
    "level",
    "languages",
    "lessons",
    "quiz",
)
#: Keys of a course's ``quiz:`` block, in the order the export writes them.
QUIZ_KEYS: tuple[str, ...] = (
    "id",
    "title",
    "bank",
    "draw",
    "draw_by_tag",
    "pass_mark",
    "shuffle_questions",
    "shuffle_options",
    "max_attempts",
    "cooldown_minutes",
    "time_limit_minutes",
    "review",
)
#: Keys of a lesson file's front matter.
LESSON_KEYS: tuple[str, ...] = (
    "id",
    "title",
    "minutes",
    "tags",
    "decision",
    "rule_source",
    "check",
)
#: Keys every bank question has, then the keys of its type.
BANK_QUESTION_KEYS: tuple[str, ...] = (
    "id",
    "type",
    "topic",
    "difficulty",
    "critical",
    "prompt",
    "explanation",
    "rule",
)
#: Keys every lesson check has, then the keys of its type.
CHECK_KEYS: tuple[str, ...] = ("id", "type", "prompt", "explanation", "rule")
#: Keys every part of a scenario has, then the keys of its type.
PART_KEYS: tuple[str, ...] = ("id", "type", "prompt", "explanation")
#: The file of a course folder, and of its question bank.
COURSE_FILE = "course.yaml"
BANK_FILE = "questions.yaml"
#: The skill-level tracks, at the top of the content folder.
LEVELS_FILE = "levels.yaml"
