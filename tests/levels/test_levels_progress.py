"""evaluate_track: every requirement kind, on hand-built records (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lms.levels.progress import (
    AttemptFact,
    Catalog,
    HeldLevel,
    LearnerRecord,
    RequirementState,
    SignOffFact,
    evaluate_requirement,
    evaluate_track,
)
from lms.levels.specs import LevelSpec, Requirement, TrackSpec

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def t(en: str) -> dict[str, str]:
    return {"zh_CN": f"中文{en}", "en": en}


CATALOG = Catalog(
    lessons_by_course={"legal-safety": ("ls-1", "ls-2", "ls-3"), "logistics": ("lg-1", "lg-2")},
    critical_by_course={"legal-safety": ("ls-q-red", "ls-q-phone"), "logistics": ("lg-q-load",)},
    course_titles={"legal-safety": t("Legal safety"), "logistics": t("Logistics")},
)

PASS_LS = Requirement(
    "course_passed:legal-safety", "course_passed", course="legal-safety", min_score=80
)
CRITICAL_LS = Requirement(
    "critical_questions:legal-safety", "critical_questions", courses=("legal-safety",)
)
LESSONS_2 = Requirement("lessons_completed", "lessons_completed", count=2)
LESSONS_LG = Requirement(
    "lessons_completed:logistics", "lessons_completed", count=2, courses=("logistics",)
)
HOLD_5 = Requirement("level_held:5", "level_held", level=5)
LOADING = Requirement(
    "trainer_signoff:safe-loading",
    "trainer_signoff",
    title=t("Safe loading"),
    description=t("Load a van"),
)

TRACK = TrackSpec(
    key="courier",
    occupation="courier",
    title=t("Courier"),
    official_occupation=None,
    levels=(
        LevelSpec(5, t("L5"), t("junior"), (PASS_LS, CRITICAL_LS, LESSONS_2)),
        LevelSpec(4, t("L4"), t("intermediate"), (HOLD_5, LESSONS_LG, LOADING)),
    ),
)


def attempt(
    id_: int,
    score: float,
    passed: bool,
    correct: set[str] = frozenset(),
    course: str = "legal-safety",
    minutes: int = 0,
) -> AttemptFact:
    return AttemptFact(
        id_, course, score, passed, T0 + timedelta(minutes=minutes), frozenset(correct)
    )


def signoff(id_: int, result: str, minutes: int = 0, note: str = "") -> SignOffFact:
    return SignOffFact(
        id_,
        "courier",
        4,
        "trainer_signoff:safe-loading",
        result,
        7,
        "李老师",
        note,
        T0 + timedelta(minutes=minutes),
    )


def record(**facts) -> LearnerRecord:
    return LearnerRecord(profile_id=1, catalog=CATALOG, **facts)


def check(requirement: Requirement, rec: LearnerRecord):
    return evaluate_requirement(requirement, rec, TRACK)


# ------------------------------------------------------------- course_passed


def test_course_passed_needs_a_passed_attempt_at_the_minimum_score():
    assert check(PASS_LS, record()).state == RequirementState.NOT_STARTED
    low = check(PASS_LS, record(attempts=(attempt(1, 70, True),)))
    assert (low.state, low.fraction, low.have) == (RequirementState.IN_PROGRESS, 0.0, 70)
    # 90% but a critical question wrong: the quiz was not passed
    failed = check(PASS_LS, record(attempts=(attempt(1, 90, False),)))
    assert failed.state == RequirementState.IN_PROGRESS
    done = check(PASS_LS, record(attempts=(attempt(1, 70, True), attempt(2, 85, True, minutes=5))))
    assert (done.state, done.fraction, done.evidence["attempt_id"]) == (
        RequirementState.DONE,
        1.0,
        2,
    )


def test_course_passed_ignores_other_courses():
    rec = record(attempts=(attempt(1, 100, True, course="logistics"),))
    assert check(PASS_LS, rec).state == RequirementState.NOT_STARTED


# -------------------------------------------------------- critical_questions


def test_critical_questions_may_be_right_in_different_attempts():
    one = record(attempts=(attempt(1, 60, False, {"ls-q-red"}),))
    partial = check(CRITICAL_LS, one)
    assert (partial.state, partial.have, partial.need, partial.fraction) == (
        RequirementState.IN_PROGRESS,
        1,
        2,
        0.5,
    )
    both = record(
        attempts=(
            attempt(1, 60, False, {"ls-q-red"}),
            attempt(2, 90, True, {"ls-q-phone"}, minutes=3),
        )
    )
    done = check(CRITICAL_LS, both)
    assert done.state == RequirementState.DONE
    assert done.evidence["questions"] == {"ls-q-phone": 2, "ls-q-red": 1}


def test_critical_questions_not_started_without_attempts():
    result = check(CRITICAL_LS, record())
    assert (result.state, result.have, result.need) == (RequirementState.NOT_STARTED, 0, 2)


# --------------------------------------------------------- lessons_completed


def test_lessons_completed_counts_finished_lessons_up_to_the_minimum():
    result = check(LESSONS_2, record(completed_lessons=frozenset({"ls-1"})))
    assert (result.state, result.fraction, result.have) == (RequirementState.IN_PROGRESS, 0.5, 1)
    done = check(LESSONS_2, record(completed_lessons=frozenset({"ls-1", "lg-2", "ls-3"})))
    assert done.state == RequirementState.DONE and done.fraction == 1.0
    assert done.evidence["lessons"] == ["lg-2", "ls-1", "ls-3"]


def test_lessons_completed_from_listed_courses_only():
    rec = record(completed_lessons=frozenset({"ls-1", "ls-2", "lg-1"}))
    result = check(LESSONS_LG, rec)
    assert (result.state, result.have) == (RequirementState.IN_PROGRESS, 1)
    # a lesson no longer published does not count
    assert check(LESSONS_2, record(completed_lessons=frozenset({"gone", "ls-1"}))).have == 1


# ---------------------------------------------------------------- level_held


def test_level_held_reads_recorded_levels():
    assert check(HOLD_5, record()).state == RequirementState.NOT_STARTED
    held = record(held=(HeldLevel("courier", 5, T0, 11),))
    result = check(HOLD_5, held)
    assert result.state == RequirementState.DONE and result.evidence["achievement_id"] == 11
    # a level of another track does not count
    other = record(held=(HeldLevel("online-delivery-worker", 5, T0, 12),))
    assert check(HOLD_5, other).state == RequirementState.NOT_STARTED


# ----------------------------------------------------------- trainer_signoff


def test_trainer_signoff_follows_the_latest_judgement():
    assert check(LOADING, record()).state == RequirementState.NOT_STARTED
    not_yet = check(LOADING, record(signoffs=(signoff(1, "not_yet", note="tie it down"),)))
    assert (not_yet.state, not_yet.note) == (RequirementState.NOT_YET, "tie it down")
    passed = check(LOADING, record(signoffs=(signoff(1, "not_yet"), signoff(2, "pass", 5))))
    assert passed.state == RequirementState.DONE
    assert passed.evidence == {"signoff_id": 2, "trainer_id": 7, "trainer_name": "李老师"}


# ------------------------------------------------------------ evaluate_track

L5_FACTS = {
    "attempts": (attempt(1, 90, True, {"ls-q-red", "ls-q-phone"}),),
    "completed_lessons": frozenset({"ls-1", "ls-2"}),
}


def test_a_new_learner_sees_the_first_level_checklist_at_zero():
    progress = evaluate_track(record(), TRACK)
    assert progress.current_level is None
    assert progress.next.level.level == 5
    assert progress.next.percent == 0
    assert [item.state for item in progress.next.items] == [RequirementState.NOT_STARTED] * 3


def test_percent_is_the_mean_of_the_requirements_rounded_down():
    rec = record(
        attempts=(attempt(1, 60, False, {"ls-q-red"}),), completed_lessons=frozenset({"ls-1"})
    )
    # course 0, critical 1/2, lessons 1/2 -> 33.3%
    assert evaluate_track(rec, TRACK).next.percent == 33


def test_meeting_level_5_makes_it_newly_reached_and_shows_level_4():
    progress = evaluate_track(record(**L5_FACTS), TRACK)
    assert [p.level.level for p in progress.newly_reached] == [5]
    assert progress.current_level == 5
    assert progress.next.level.level == 4
    held_item = progress.next.items[0]
    assert held_item.kind == "level_held" and held_item.done


def test_two_levels_met_at_once_are_reached_in_order():
    facts = dict(
        L5_FACTS,
        completed_lessons=frozenset({"ls-1", "ls-2", "lg-1", "lg-2"}),
        signoffs=(signoff(1, "pass"),),
    )
    progress = evaluate_track(record(**facts), TRACK)
    assert [p.level.level for p in progress.newly_reached] == [5, 4]
    assert progress.next is None and progress.percent == 100


def test_a_recorded_level_is_kept_even_when_its_requirements_are_no_longer_met():
    rec = record(held=(HeldLevel("courier", 5, T0, 1),))
    progress = evaluate_track(rec, TRACK)
    assert progress.current_level == 5
    assert progress.newly_reached == ()
    assert progress.next.level.level == 4


def test_the_same_record_always_gives_the_same_progress():
    rec = record(**L5_FACTS)
    assert evaluate_track(rec, TRACK).as_dict() == evaluate_track(rec, TRACK).as_dict()
