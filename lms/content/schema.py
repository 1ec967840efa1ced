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


def N_(message: str) -> str:
    """Mark a label for translation where it is defined; it is translated when shown."""
    return message


#: How a message names each language (translated where the message is shown).
LANGUAGE_LABELS: dict[str, str] = {"zh_CN": N_("Chinese"), "en": N_("English")}
#: How the studio and the checks name each area, occupation and review mode.
AREA_LABELS: dict[str, str] = {
    "legal-safety": N_("Legal safety"),
    "ecommerce": N_("E-commerce operations"),
    "logistics": N_("Logistics management"),
}
OCCUPATION_LABELS: dict[str, str] = {
    "online-delivery-worker": N_("Food and online delivery riders"),
    "courier": N_("Couriers"),
    "ride-hailing-driver": N_("Ride-hailing drivers"),
    "truck-driver": N_("Truck drivers"),
    "ecommerce-operator": N_("E-commerce operators"),
}
#: How the studio names each skill level a course counts toward (modelled on
#: China's five vocational skill levels, 5 the first).
LEVEL_LABELS: dict[int, str] = {
    5: N_("Level 5 (junior worker)"),
    4: N_("Level 4 (intermediate worker)"),
    3: N_("Level 3 (senior worker)"),
    2: N_("Level 2 (technician)"),
    1: N_("Level 1 (senior technician)"),
}
#: How a message names the field a file key holds (the studio form's label).
FIELD_LABELS: dict[str, str] = {
    "id": N_("ID"),
    "type": N_("Question type"),
    "title": N_("Title"),
    "summary": N_("Summary"),
    "area": N_("Area"),
    "occupations": N_("Occupations"),
    "level": N_("Level"),
    "languages": N_("Languages"),
    "lessons": N_("Lessons"),
    "quiz": N_("Quiz"),
    "bank": N_("Question file"),
    "draw": N_("Questions drawn"),
    "draw_by_tag": N_("Questions drawn per topic"),
    "pass_mark": N_("Pass mark"),
    "shuffle_questions": N_("Shuffle questions"),
    "shuffle_options": N_("Shuffle options"),
    "max_attempts": N_("Attempts allowed"),
    "cooldown_minutes": N_("Minutes between attempts"),
    "time_limit_minutes": N_("Time limit (minutes)"),
    "review": N_("What learners see afterwards"),
    "minutes": N_("Minutes"),
    "tags": N_("Topics"),
    "topic": N_("Topics"),
    "decision": N_("Decision"),
    "rule_source": N_("Source of the rule"),
    "check": N_("Check questions"),
    "questions": N_("Questions"),
    "difficulty": N_("Difficulty"),
    "critical": N_("Critical"),
    "prompt": N_("Question"),
    "explanation": N_("Explanation"),
    "rule": N_("Rule"),
    "situation": N_("Situation"),
    "outcome": N_("Outcome"),
    "options": N_("Options"),
    "text": N_("Text"),
    "feedback": N_("Feedback"),
    "consequence": N_("Consequence"),
    "best": N_("Best option"),
    "correct": N_("Correct"),
    "answer": N_("Answer"),
    "case": N_("Case"),
    "parts": N_("Parts"),
    "scoring": N_("Scoring"),
    "items": N_("Items"),
    "pairs": N_("Pairs"),
    "match": N_("Match"),
    "distractors": N_("Wrong matches"),
    "answers": N_("Accepted answers"),
    "value": N_("Value"),
    "tolerance": N_("Tolerance"),
    "min": N_("Lowest value"),
    "max": N_("Highest value"),
    "unit": N_("Unit"),
    "partial": N_("Partial credit"),
    "credit": N_("Credit"),
    "chinese_variants": N_("Traditional and simplified alike"),
    "case_sensitive": N_("Case sensitive"),
}
