"""Answer cues are warned about, never refused; learners see options in their own
stable order."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from lms.courses.cues import answer_cues
from lms.courses.learner_order import check_views, decision_choice, decision_options
from lms.courses.loader import load_content
from lms.questions.tokens import AnswerTokens
from lms.studio.export import draft_files, write_folder
from tests.studio.conftest import bi, valid_course


def load(tmp_path: Path, data: dict[str, Any]):
    write_folder(draft_files(data), tmp_path / "courses" / data["course"]["id"])
    specs, errors = load_content(tmp_path)
    assert errors == []
    return specs[0]


def messages(course) -> list[str]:
    return [f"{warning.subject}: {warning.message}" for warning in answer_cues(course)]


def test_a_clean_course_has_no_cues(tmp_path):
    assert messages(load(tmp_path, valid_course())) == []


def test_a_right_option_much_longer_than_the_others_is_a_cue(tmp_path):
    data = valid_course()
    data["questions"][0]["options"][0]["text"] = bi(
        "开灯，并且放慢速度，注意观察路口行人", "Lights on, slow down and watch for people"
    )
    found = messages(load(tmp_path, data))
    assert found == [
        "question 'acme-safety-q1': the right option is much longer than the others: learners "
        "can pick it by its length; make the options about as long"
    ]


def test_the_best_decision_option_much_longer_is_a_cue(tmp_path):
    data = valid_course()
    data["lessons"][0]["front"]["decision"]["options"][0]["text"] = bi(
        "打开车灯，放慢速度，注意观察", "Lights on, slow down, look"
    )
    assert any("decision of lesson 'acme-safety-l1'" in m for m in messages(load(tmp_path, data)))


def test_true_false_answers_all_one_way_are_a_cue(tmp_path):
    data = valid_course()
    template = data["lessons"][0]["front"]["check"][0]
    data["questions"] += [
        {
            **copy.deepcopy(template),
            "id": f"acme-tf-{n}",
            "answer": False,
            "topic": "traffic",
            "difficulty": 1,
            "prompt": bi(f"第{n}句话", f"Statement {n}"),
            "rule": bi("规则", "Rule"),
        }
        for n in range(9)
    ]
    found = messages(load(tmp_path, data))
    assert "course 'acme-safety': true/false answers are 'false' in 9 of 12 questions" in " ".join(
        found
    )


def test_a_check_repeated_in_the_quiz_is_a_cue(tmp_path):
    data = valid_course()
    check = data["lessons"][0]["front"]["check"][0]
    data["questions"][0]["prompt"] = copy.deepcopy(check["prompt"])
    found = messages(load(tmp_path, data))
    assert (
        "question 'acme-safety-l1-c1': nearly the same as quiz question 'acme-safety-q1': the "
        "quiz then tests memory of the lesson; ask it another way"
    ) in found


def test_content_check_prints_the_warning_count_and_the_shipped_content_has_none(runner):
    result = runner.invoke(args=["lms", "content", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().split("\n")
    count = int(re.fullmatch(r"warnings: (\d+)", lines[-1]).group(1))
    assert count == sum(1 for line in lines if ": warning: " in line)
    assert count == 0  # the shipped content has no answer cues left


def test_learners_see_options_in_their_own_stable_order(tmp_path):
    course = load(tmp_path, valid_course())
    lesson = course.lessons[0]
    options = list(lesson.decision["options"]) * 3  # more options, more orders to tell apart
    options = [{**option, "id": f"{option['id']}{n}"} for n, option in enumerate(options)]

    def shown(learner: int) -> list[str]:
        # The ids behind the tokens, in the order the learner's page shows them.
        tokens = AnswerTokens(b"secret", learner, "lesson:c:l:decision")
        return [
            decision_choice(options, o["id"], tokens)
            for o in decision_options(options, learner, lesson.id, tokens)
        ]

    first = shown(7)
    assert first == shown(7)
    assert sorted(first) == sorted(o["id"] for o in options)
    others = {tuple(shown(n)) for n in range(20)}
    assert len(others) > 1
    tokens = AnswerTokens(b"secret", 7, "lesson:c:l:check")
    views = check_views(course.quiz.questions, 7, lesson.id, tokens)
    assert views == check_views(course.quiz.questions, 7, lesson.id, tokens)
