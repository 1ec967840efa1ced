"""Scoring, tampering, learner/review views and quiz results of lms.assessments.grading."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from lms.assessments.grading import (
    QUESTION_TYPES,
    InvalidAnswer,
    QuizResult,
    Score,
    UnfinishedAnswer,
    answer_from_form,
    chosen_ids,
    get_type,
    grade,
    grade_quiz,
    learner_view,
    normalise_answer,
    option_ids,
    presented_option_order,
    review_view,
    shuffled_option_order,
)

FORBIDDEN_KEYS = {"correct", "answer", "feedback", "explanation", "rule"}


def t(en: str) -> dict[str, str]:
    return {"zh_CN": f"中文 {en}", "en": en}


def base(qid: str, qtype: str, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "id": qid,
        "type": qtype,
        "topic": extra.pop("topic", "traffic"),
        "difficulty": 1,
        "critical": extra.pop("critical", False),
        "prompt": t(f"prompt {qid}"),
        "explanation": t(f"why {qid}"),
        "rule": t(f"rule {qid}"),
    }
    spec.update(extra)
    return spec


def options(correct: set[str], ids: str = "abcd") -> list[dict[str, Any]]:
    return [
        {
            "id": oid,
            "text": t(f"option {oid}"),
            "correct": oid in correct,
            "feedback": t(f"feedback {oid}") if oid != "d" else None,
        }
        for oid in ids
    ]


def single(qid: str = "q-single", correct: str = "b", **extra: Any) -> dict[str, Any]:
    return base(qid, "single", options=options({correct}), **extra)


def multiple(
    qid: str = "q-multi", correct: set[str] | None = None, scoring: str = "partial", **extra: Any
) -> dict[str, Any]:
    # 3 right options (a, b, c) and 2 wrong ones (d, e) unless told otherwise.
    correct = {"a", "b", "c"} if correct is None else correct
    return base(qid, "multiple", options=options(correct, "abcde"), scoring=scoring, **extra)


def true_false(qid: str = "q-tf", answer: bool = True, **extra: Any) -> dict[str, Any]:
    return base(qid, "true_false", answer=answer, **extra)


def ordering(qid: str = "q-order", **extra: Any) -> dict[str, Any]:
    items = [{"id": iid, "text": t(f"step {iid}")} for iid in ("stop", "call", "photo", "report")]
    return base(qid, "ordering", items=items, **extra)


def scenario(qid: str = "q-case", scoring: str = "unit", **extra: Any) -> dict[str, Any]:
    parts = [
        {**single("p1"), "rule": None},
        {**true_false("p2", answer=False), "rule": None},
        {**multiple("p3", scoring="partial"), "rule": None},
        {**ordering("p4"), "rule": None},
    ]
    for part in parts:
        for key in ("topic", "difficulty", "critical"):
            part.pop(key)
    return base(qid, "scenario", case=t("the case"), scoring=scoring, parts=parts, **extra)


def all_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        keys = set(value)
        for child in value.values():
            keys |= all_keys(child)
        return keys
    if isinstance(value, list):
        return set().union(*(all_keys(child) for child in value)) if value else set()
    return set()


# --- Score ---------------------------------------------------------------------------------


def test_score_is_frozen_and_consistent() -> None:
    score = Score(points=1.0, correct=True)
    with pytest.raises(AttributeError):
        score.points = 0.5  # type: ignore[misc]
    with pytest.raises(ValueError):
        Score(points=0.5, correct=True)
    with pytest.raises(ValueError):
        Score(points=1.5, correct=False)
    nested = Score(points=0.5, correct=False, parts=(score, Score(0.0, False)))
    assert Score.from_dict(json.loads(json.dumps(nested.as_dict()))) == nested


def test_registry() -> None:
    assert set(QUESTION_TYPES) == {
        "single",
        "multiple",
        "true_false",
        "ordering",
        "scenario",
        "matching",
        "numerical",
        "short_answer",
    }
    assert get_type("single").name == "single"
    with pytest.raises(ValueError):
        get_type("essay")


# --- single ----------------------------------------------------------------------------------


def test_single_scores_one_or_zero() -> None:
    spec = single(correct="b")
    assert grade(spec, "b") == Score(1.0, True)
    assert grade(spec, "a") == Score(0.0, False)


@pytest.mark.parametrize("raw", [None, ""])
def test_single_unanswered_scores_zero(raw: Any) -> None:
    assert grade(single(), raw) == Score(0.0, False)


# --- multiple --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "points"),
    [
        (["a", "b", "c"], 1.0),  # exactly the right set
        (["c", "a", "b"], 1.0),  # order is irrelevant
        (["a", "b"], 0.6667),  # 2 right / 3
        (["a"], 0.3333),  # 1 right / 3
        (["a", "b", "d"], 0.3333),  # (2 right - 1 wrong) / 3: one wrong cancels one right
        (["a", "d"], 0.0),  # (1 - 1) / 3
        (["a", "d", "e"], 0.0),  # (1 - 2) / 3 = -1/3, floored at 0
        (["d", "e"], 0.0),  # only wrong picks, floored
        (["a", "b", "c", "d", "e"], 0.3333),  # everything selected: (3 - 2) / 3
        ([], 0.0),  # nothing selected
        (None, 0.0),
    ],
)
def test_multiple_partial(chosen: list[str] | None, points: float) -> None:
    score = grade(multiple(scoring="partial"), chosen)
    assert score.points == points
    assert score.correct is (points == 1.0)


@pytest.mark.parametrize(
    ("chosen", "points"),
    [
        (["a", "b", "c"], 1.0),
        (("b", "c", "a"), 1.0),
        ({"a", "b", "c"}, 1.0),
        (["a", "b"], 0.0),
        (["a", "b", "c", "d"], 0.0),
        (["a", "b", "c", "d", "e"], 0.0),
        ([], 0.0),
    ],
)
def test_multiple_all_or_nothing(chosen: Any, points: float) -> None:
    assert grade(multiple(scoring="all_or_nothing"), chosen).points == points


def test_multiple_partial_with_two_right_options() -> None:
    spec = multiple(correct={"a", "b"})
    assert grade(spec, ["a", "c"]).points == 0.0  # (1 - 1) / 2
    assert grade(spec, ["a"]).points == 0.5
    assert grade(spec, ["a", "b", "c"]).points == 0.5  # (2 - 1) / 2


def test_multiple_answer_is_normalised_to_a_sorted_list() -> None:
    assert normalise_answer(multiple(), ("c", "a")) == ["a", "c"]
    assert normalise_answer(multiple(), []) is None


# --- true_false ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "points"),
    [(True, 1.0), ("true", 1.0), ("True", 1.0), (" TRUE ", 1.0), (False, 0.0), ("false", 0.0)],
)
def test_true_false_accepts_form_strings(raw: Any, points: float) -> None:
    assert grade(true_false(answer=True), raw).points == points


def test_true_false_false_answer() -> None:
    spec = true_false(answer=False)
    assert grade(spec, "false") == Score(1.0, True)
    assert grade(spec, True) == Score(0.0, False)
    # Unanswered must not count as "false".
    assert grade(spec, None) == Score(0.0, False)
    assert grade(spec, "") == Score(0.0, False)


# --- ordering --------------------------------------------------------------------------------


def test_ordering_exact_order_only() -> None:
    spec = ordering()
    assert grade(spec, ["stop", "call", "photo", "report"]) == Score(1.0, True)
    # One adjacent swap is already wrong: there is no partial credit.
    assert grade(spec, ["stop", "photo", "call", "report"]) == Score(0.0, False)
    assert grade(spec, ["report", "photo", "call", "stop"]).points == 0.0
    assert grade(spec, None).points == 0.0
    assert grade(spec, []).points == 0.0


# --- scenario --------------------------------------------------------------------------------

ALL_RIGHT = {
    "p1": "b",
    "p2": False,
    "p3": ["a", "b", "c"],
    "p4": ["stop", "call", "photo", "report"],
}


def test_scenario_unit_needs_every_part() -> None:
    spec = scenario(scoring="unit")
    full = grade(spec, ALL_RIGHT)
    assert full == Score(1.0, True, parts=(Score(1.0, True),) * 4)
    # p3 two of three right: parts score 1, 1, 2/3, 1 but the unit scores 0.
    almost = grade(spec, {**ALL_RIGHT, "p3": ["a", "b"]})
    assert almost.points == 0.0
    assert not almost.correct
    assert [part.points for part in almost.parts] == [1.0, 1.0, 0.6667, 1.0]


def test_scenario_per_part_is_the_mean() -> None:
    spec = scenario(scoring="per_part")
    assert grade(spec, ALL_RIGHT).points == 1.0
    # (1 + 1 + 2/3 + 0) / 4 = (8/3) / 4 = 2/3
    score = grade(spec, {**ALL_RIGHT, "p3": ["a", "b"], "p4": None})
    assert score.points == 0.6667
    assert not score.correct
    # (0 + 1 + 0 + 0) / 4; parts left out of the dict are unanswered
    assert grade(spec, {"p2": "false"}).points == 0.25
    assert grade(spec, None).points == 0.0
    assert grade(spec, {}).points == 0.0


def test_scenario_answer_normalises_every_part() -> None:
    assert normalise_answer(scenario(), {"p2": "true", "p3": ("c", "a")}) == {
        "p1": None,
        "p2": True,
        "p3": ["a", "c"],
        "p4": None,
    }


# --- tampering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "raw"),
    [
        (single(), "z"),  # foreign option id
        (single(), ["b"]),  # wrong shape
        (single(), 1),
        (multiple(), ["a", "z"]),  # foreign option id
        (multiple(), ["a", "a"]),  # duplicate ids
        (multiple(), "a"),  # a bare string, not a list
        (multiple(), {"a": True}),
        (multiple(), [1, 2]),
        (true_false(), "yes"),
        (true_false(), 1),
        (true_false(), ["true"]),
        (ordering(), ["stop", "call", "photo"]),  # not every item
        (ordering(), ["stop", "call", "photo", "report", "extra"]),
        (ordering(), ["stop", "stop", "photo", "report"]),  # duplicate
        (ordering(), ["stop", "call", "photo", "z"]),  # foreign item
        (ordering(), {"stop", "call", "photo", "report"}),  # unordered set
        (ordering(), "stop,call,photo,report"),
        (scenario(), {"p9": "a"}),  # unknown part
        (scenario(), {"p1": "z"}),  # foreign option in a part
        (scenario(), {"p3": ["a", "a"]}),
        (scenario(), ["b", False]),  # wrong shape
        (scenario(), "b"),
    ],
)
def test_tampered_answers_are_rejected(spec: dict[str, Any], raw: Any) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        grade(spec, raw)
    assert caught.value.message
    # Grading a type directly revalidates too: a raw answer can never score.
    with pytest.raises(InvalidAnswer):
        get_type(spec["type"]).grade(spec, raw)


# --- option ids and shuffling ----------------------------------------------------------------


def test_option_ids() -> None:
    assert option_ids(single()) == ["a", "b", "c", "d"]
    assert option_ids(ordering()) == ["stop", "call", "photo", "report"]
    assert option_ids(true_false()) == []
    assert option_ids(scenario()) == {
        "p1": ["a", "b", "c", "d"],
        "p2": [],
        "p3": ["a", "b", "c", "d", "e"],
        "p4": ["stop", "call", "photo", "report"],
    }


def test_shuffled_order_never_shows_ordering_key() -> None:
    rng = random.Random(1)
    spec = ordering()
    key = option_ids(spec)
    for _ in range(200):
        order = shuffled_option_order(spec, rng)
        assert sorted(order) == sorted(key)
        assert order != key
    per_part = shuffled_option_order(scenario(), rng)
    assert isinstance(per_part, dict)
    assert per_part["p4"] != key
    assert sorted(per_part["p3"]) == ["a", "b", "c", "d", "e"]


# --- learner view ----------------------------------------------------------------------------


def assert_no_key(view: dict[str, Any]) -> None:
    # A round trip through JSON is what actually reaches the browser.
    leaked = all_keys(json.loads(json.dumps(view))) & FORBIDDEN_KEYS
    assert not leaked, leaked


@pytest.mark.parametrize(
    ("make", "other"),
    [
        (lambda: single(correct="a"), lambda: single(correct="c")),
        (lambda: multiple(correct={"a", "b"}), lambda: multiple(correct={"c", "d", "e"})),
        (lambda: true_false(answer=True), lambda: true_false(answer=False)),
    ],
)
def test_learner_view_does_not_depend_on_the_key(make: Any, other: Any) -> None:
    first, second = make(), other()
    order = option_ids(first) or None
    assert_no_key(learner_view(first, order))
    assert json.dumps(learner_view(first, order)) == json.dumps(learner_view(second, order))


def test_learner_view_scenario_does_not_depend_on_the_key() -> None:
    first = scenario()
    second = copy.deepcopy(first)
    for option in second["parts"][0]["options"]:
        option["correct"] = option["id"] == "d"
    second["parts"][1]["answer"] = True
    order = {"p1": ["d", "c", "b", "a"], "p4": ["photo", "stop", "report", "call"]}
    view = learner_view(first, order)
    assert_no_key(view)
    assert json.dumps(view) == json.dumps(learner_view(second, order))
    assert view["case"] == t("the case")
    assert [o["id"] for o in view["parts"][0]["options"]] == ["d", "c", "b", "a"]
    assert [i["id"] for i in view["parts"][3]["items"]] == ["photo", "stop", "report", "call"]
    assert [o["id"] for o in view["parts"][2]["options"]] == ["a", "b", "c", "d", "e"]


def test_learner_view_uses_the_given_order() -> None:
    view = learner_view(single(), ["c", "a", "d", "b"])
    assert view == {
        "id": "q-single",
        "type": "single",
        "fragment": "single",
        "prompt": t("prompt q-single"),
        "options": [{"id": oid, "text": t(f"option {oid}")} for oid in "cadb"],
    }
    items = learner_view(ordering(), ["report", "call", "stop", "photo"])["items"]
    assert [item["id"] for item in items] == ["report", "call", "stop", "photo"]
    assert_no_key(learner_view(ordering(), ["report", "call", "stop", "photo"]))


def test_learner_view_copies_texts() -> None:
    spec = single()
    learner_view(spec)["options"][0]["text"]["en"] = "changed"
    assert spec["options"][0]["text"]["en"] == "option a"


@pytest.mark.parametrize(
    ("spec", "order"),
    [
        (single(), ["a", "b", "c"]),
        (single(), ["a", "b", "c", "z"]),
        (single(), ["a", "a", "b", "c"]),
        (ordering(), ["stop", "call"]),
        (scenario(), {"p9": []}),
        (scenario(), ["a"]),
        (single(), {"p1": ["a"]}),
    ],
)
def test_learner_view_rejects_an_order_that_does_not_fit(spec: dict[str, Any], order: Any) -> None:
    with pytest.raises(ValueError):
        learner_view(spec, order)


# --- review view -----------------------------------------------------------------------------


def test_review_score_mode_shows_only_points() -> None:
    spec = single(correct="b")
    view = review_view(spec, "a", grade(spec, "a"), "score")
    assert view == {
        "id": "q-single",
        "type": "single",
        "fragment": "single",
        "prompt": t("prompt q-single"),
        "points": 0.0,
    }


def test_review_answers_mode_shows_key_and_choice_but_no_feedback() -> None:
    spec = multiple(scoring="partial")
    view = review_view(
        spec, ["a", "d"], grade(spec, ["a", "d"]), "answers", ["e", "d", "c", "b", "a"]
    )
    assert view["points"] == 0.0
    assert view["correct"] is False
    assert view["chosen"] == ["a", "d"]
    assert [(o["id"], o["correct"], o["chosen"]) for o in view["options"]] == [
        ("e", False, False),
        ("d", False, True),
        ("c", True, False),
        ("b", True, False),
        ("a", True, True),
    ]
    assert not all_keys(view) & {"feedback", "explanation", "rule"}


def test_review_explanations_mode_adds_feedback_explanation_and_rule() -> None:
    spec = single(correct="b")
    view = review_view(spec, "b", grade(spec, "b"), "explanations")
    assert view["correct"] is True
    assert view["chosen"] == "b"
    assert view["explanation"] == t("why q-single")
    assert view["rule"] == t("rule q-single")
    assert view["options"][0]["feedback"] == t("feedback a")
    assert view["options"][3]["feedback"] is None


def test_review_true_false_and_ordering() -> None:
    tf = true_false(answer=False)
    view = review_view(tf, "true", grade(tf, "true"), "answers")
    assert (view["answer"], view["chosen"], view["points"]) == (False, True, 0.0)
    spec = ordering()
    chosen = ["call", "stop", "photo", "report"]
    view = review_view(spec, chosen, grade(spec, chosen), "explanations", chosen)
    assert view["correct_order"] == ["stop", "call", "photo", "report"]
    assert view["chosen"] == chosen
    assert view["explanation"] == t("why q-order")


def test_review_scenario_has_one_review_per_part() -> None:
    spec = scenario(scoring="per_part")
    answer = {**ALL_RIGHT, "p2": True}
    score = grade(spec, answer)
    view = review_view(spec, answer, score, "explanations")
    assert view["points"] == 0.75
    assert view["case"] == t("the case")
    assert view["rule"] == t("rule q-case")
    assert [part["points"] for part in view["parts"]] == [1.0, 0.0, 1.0, 1.0]
    assert view["parts"][1]["answer"] is False
    assert view["parts"][1]["explanation"] == t("why p2")
    # A score stored without its parts is regraded part by part.
    assert (
        review_view(spec, answer, Score(0.75, False), "answers")["parts"]
        == review_view(spec, answer, score, "answers")["parts"]
    )
    score_only = review_view(spec, answer, score, "score")
    assert not all_keys(score_only) & FORBIDDEN_KEYS


def test_review_rejects_unknown_mode() -> None:
    spec = single()
    with pytest.raises(ValueError):
        review_view(spec, "a", grade(spec, "a"), "everything")


# --- quiz ------------------------------------------------------------------------------------


def quiz_specs() -> list[dict[str, Any]]:
    return [
        single("q1", correct="a", topic="traffic", critical=True),
        single("q2", correct="a", topic="traffic"),
        true_false("q3", answer=True, topic="injury"),
        multiple("q4", scoring="partial", topic="injury"),
        ordering("q5", topic="labour"),
    ]


def test_grade_quiz_pass() -> None:
    specs = quiz_specs()
    answers = ["a", "a", "true", ["a", "b"], ["stop", "call", "photo", "report"]]
    result = grade_quiz(list(zip(specs, answers, strict=True)), pass_mark=80)
    # 1 + 1 + 1 + 2/3 (0.6667) + 1 = 4.6667 of 5 = 93.33 %
    assert isinstance(result, QuizResult)
    assert result.points == 4.6667
    assert result.max_points == 5
    assert result.score_percent == 93.33
    assert result.passed
    assert result.critical_failed == ()
    assert result.by_topic == {"traffic": (2.0, 2), "injury": (1.6667, 2), "labour": (1.0, 1)}
    assert [score.points for score in result.per_question] == [1.0, 1.0, 1.0, 0.6667, 1.0]


def test_grade_quiz_failed_critical_question_fails_despite_the_mark() -> None:
    specs = quiz_specs()
    answers = ["b", "a", True, ["a", "b", "c"], ["stop", "call", "photo", "report"]]
    result = grade_quiz(list(zip(specs, answers, strict=True)), pass_mark=80)
    assert result.score_percent == 80.0  # 4 of 5 meets the pass mark...
    assert not result.passed  # ...but q1 is critical and wrong
    assert result.critical_failed == ("q1",)
    assert result.by_topic["traffic"] == (1.0, 2)


def test_grade_quiz_below_pass_mark() -> None:
    specs = quiz_specs()
    answers: list[Any] = ["a", "b", None, None, None]
    result = grade_quiz(list(zip(specs, answers, strict=True)), pass_mark=50)
    assert result.score_percent == 20.0
    assert not result.passed
    assert result.critical_failed == ()


def test_grade_quiz_edges() -> None:
    # Exactly at the pass mark passes.
    specs = quiz_specs()[1:3]
    assert grade_quiz([(specs[0], "a"), (specs[1], False)], pass_mark=50).passed
    assert not grade_quiz([], pass_mark=50).passed
    with pytest.raises(ValueError):
        grade_quiz([], pass_mark=101)
    with pytest.raises(InvalidAnswer):
        grade_quiz([(specs[0], "zzz")], pass_mark=50)


def test_grade_quiz_critical_scenario_needs_every_part() -> None:
    spec = scenario("case", scoring="per_part", critical=True)
    result = grade_quiz([(spec, {**ALL_RIGHT, "p2": True})], pass_mark=50)
    assert result.score_percent == 75.0
    assert result.critical_failed == ("case",)
    assert not result.passed


# --- presented order, form decoding, chosen ids ----------------------------------------------


def test_presented_order_keeps_spec_order_when_not_shuffling_except_ordering() -> None:
    rng = random.Random(3)
    assert presented_option_order(single(), False, rng) == ["a", "b", "c", "d"]
    assert presented_option_order(true_false(), False, rng) == []
    for _ in range(20):
        assert presented_option_order(ordering(), False, rng) != option_ids(ordering())
    case = presented_option_order(scenario(), False, rng)
    assert case["p1"] == ["a", "b", "c", "d"]
    assert case["p4"] != option_ids(ordering())


def test_presented_order_shuffles_when_asked() -> None:
    orders = {
        tuple(presented_option_order(single(), True, random.Random(seed))) for seed in range(30)
    }
    assert len(orders) > 1
    assert all(sorted(order) == ["a", "b", "c", "d"] for order in orders)


def form(**fields: Any) -> Any:
    data = MultiDict()
    for name, values in fields.items():
        for value in values if isinstance(values, list) else [values]:
            data.add(name.replace("__", "@").replace("_", "."), value)
    return data.getlist


def test_answer_from_form_reads_each_type() -> None:
    assert answer_from_form(single(), form(q1=["", "b"]), "q1") == "b"
    assert answer_from_form(single(), form(q1=""), "q1") is None
    assert answer_from_form(multiple(), form(q1=["", "a", "c"]), "q1") == ["a", "c"]
    assert answer_from_form(multiple(), form(q1=""), "q1") is None
    assert answer_from_form(true_false(), form(q1=["", "false"]), "q1") == "false"
    order = form(q1__stop="2", q1__call="1", q1__photo="4", q1__report="3")
    assert answer_from_form(ordering(), order, "q1") == ["call", "stop", "report", "photo"]
    assert answer_from_form(ordering(), form(q1=""), "q1") is None


def test_answer_from_form_reads_scenario_parts() -> None:
    fields = form(q2_p1="a", q2_p2="true", q2_p3=["b", "c"])
    assert answer_from_form(scenario(), fields, "q2") == {
        "p1": "a",
        "p2": "true",
        "p3": ["b", "c"],
        "p4": None,
    }
    assert answer_from_form(scenario(), form(q2=""), "q2") is None


@pytest.mark.parametrize(
    "fields",
    [
        {"q1__stop": "1", "q1__call": "1", "q1__photo": "2", "q1__report": "3"},
        {"q1__stop": "1", "q1__call": "2"},
    ],
)
def test_half_numbered_ordering_is_unfinished_not_tampering(fields: dict[str, str]) -> None:
    with pytest.raises(UnfinishedAnswer):
        answer_from_form(ordering(), form(**fields), "q1")


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        (single(), {"q1": ["a", "b"]}),
        (ordering(), {"q1__stop": "x", "q1__call": "1", "q1__photo": "2", "q1__report": "3"}),
        (ordering(), {"q1__stop": "9", "q1__call": "1", "q1__photo": "2", "q1__report": "3"}),
        (ordering(), {"q1__stop": ["1", "2"], "q1__call": "3", "q1__photo": "4"}),
    ],
)
def test_impossible_form_values_are_tampering(spec: dict[str, Any], fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        answer_from_form(spec, form(**fields), "q1")
    assert not isinstance(caught.value, UnfinishedAnswer)


def test_chosen_ids_per_type() -> None:
    assert chosen_ids(single(), "b") == ["b"]
    assert chosen_ids(single(), None) == []
    assert chosen_ids(multiple(), ["a", "d"]) == ["a", "d"]
    assert chosen_ids(true_false(), False) == ["false"]
    assert chosen_ids(ordering(), ["stop", "call", "photo", "report"]) == []
    assert chosen_ids(scenario(), {"p1": "a", "p2": True, "p3": None, "p4": None}) == [
        "p1:a",
        "p2:true",
    ]
