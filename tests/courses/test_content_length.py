"""Every shipped lesson is one short read: at most 1,250 Chinese characters and 900
English words, about five minutes at 250 characters a minute. The count covers all
a learner reads in the lesson: title, decision, the three prose steps, the rule's
source and the checks with their feedback."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from lms.courses.loader import load_content
from lms.courses.specs import LessonSpec
from tests.conftest import CONTENT_DIR

MAX_CHINESE_CHARACTERS = 1250
MAX_ENGLISH_WORDS = 900

CHINESE_CHARACTER = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ENGLISH_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.,-][A-Za-z0-9]+)*")
TAG = re.compile(r"<[^>]+>")


def texts(node: Any, language: str) -> Iterator[str]:
    """Every text of one language in a nested structure of bilingual mappings."""
    if isinstance(node, dict):
        if isinstance(node.get(language), str):
            yield node[language]
        for key, value in node.items():
            if key not in ("zh_CN", "en"):
                yield from texts(value, language)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from texts(value, language)


def reading(lesson: LessonSpec, language: str) -> str:
    """All the text of one lesson in one language, markup removed."""
    structured = [lesson.title, lesson.decision, lesson.rule_source, list(lesson.check)]
    prose = [
        html.unescape(TAG.sub(" ", section.get(language, "")))
        for section in (lesson.situation_html, lesson.outcome_html, lesson.rule_html)
    ]
    return "\n".join([*texts(structured, language), *prose])


def chinese_length(lesson: LessonSpec) -> int:
    """Chinese characters a learner reads in the lesson (punctuation and digits not counted)."""
    return len(CHINESE_CHARACTER.findall(reading(lesson, "zh_CN")))


def english_length(lesson: LessonSpec) -> int:
    """English words a learner reads in the lesson (a number counts as a word)."""
    return len(ENGLISH_WORD.findall(reading(lesson, "en")))


COURSES, ERRORS = load_content(CONTENT_DIR)
LESSONS = [lesson for course in COURSES for lesson in course.lessons]


def test_the_shipped_content_loads_whole():
    assert ERRORS == []
    assert len(LESSONS) >= 20


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_a_lesson_reads_in_five_minutes_in_either_language(lesson: LessonSpec):
    assert chinese_length(lesson) <= MAX_CHINESE_CHARACTERS, (
        f"{lesson.id}: {chinese_length(lesson)} Chinese characters; split or cut it"
    )
    assert english_length(lesson) <= MAX_ENGLISH_WORDS, (
        f"{lesson.id}: {english_length(lesson)} English words; split or cut it"
    )


def test_the_counts_see_every_part_of_a_lesson():
    # A made-up lesson whose only Chinese and English sit in the parts a real one has.
    lesson = LessonSpec(
        id="x-demo",
        position=1,
        slug="01-demo",
        title={"zh_CN": "标题", "en": "Title"},
        minutes=3,
        tags=(),
        decision={"prompt": {"zh_CN": "怎么做", "en": "What now"}, "options": []},
        rule_source={"zh_CN": "来源", "en": "Source"},
        situation_html={"zh_CN": "<p>情境</p>", "en": "<p>A case, <b>bold</b></p>"},
        outcome_html={"zh_CN": "<p>结果</p>", "en": "<p>Outcome</p>"},
        rule_html={"zh_CN": "<ul><li>规则</li></ul>", "en": "<ul><li>Rule 47</li></ul>"},
        check=(
            {
                "prompt": {"zh_CN": "问题", "en": "Question"},
                "explanation": {"zh_CN": "解释", "en": "Why"},
            },
        ),
        content_hash="0",
    )
    assert chinese_length(lesson) == 17  # 标题 怎么做 来源 情境 结果 规则 问题 解释
    assert english_length(lesson) == 12  # Title What now Source A case bold Outcome Rule 47 ...
