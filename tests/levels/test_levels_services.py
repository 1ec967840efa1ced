"""Publishing tracks, recording levels once with evidence, and progress from the records."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.accounts.models import Profile
from lms.levels.models import LevelAchievement, LevelTrack, LevelTrackVersion
from lms.levels.services import (
    TrackImportStatus,
    check_levels,
    gather_record,
    import_levels,
    progress_for,
    published_tracks,
)
from lms.signals import attempt_graded, lesson_completed, level_reached
from lms.state import get_session
from tests.conftest import CONTENT_DIR
from tests.levels.conftest import add_attempt, complete_lessons, critical_keys, pass_level_5

ODW = "online-delivery-worker"


def achievements(profile_id: int) -> list[tuple[str, int]]:
    rows = get_session().scalars(
        select(LevelAchievement)
        .where(LevelAchievement.profile_id == profile_id)
        .order_by(LevelAchievement.id)
    )
    return [(row.track_key, row.level) for row in rows]


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ------------------------------------------------------------------ import


def test_import_publishes_each_track_once_and_skips_unchanged(app):
    with app.app_context():
        assert [t.key for t in published_tracks()] == [
            ODW,
            "courier",
            "ecommerce-operator",
            "ride-hailing-driver",
            "truck-driver",
        ]
        report = import_levels(CONTENT_DIR)
        assert report.ok
        assert {t.status for t in report.tracks} == {TrackImportStatus.UNCHANGED}
        count = get_session().scalar(select(func.count()).select_from(LevelTrackVersion))
        assert count == 5


def test_a_changed_track_gets_a_new_version(app, content_copy):
    edit(content_copy / "levels.yaml", "\n            count: 10\n", "\n            count: 9\n")
    with app.app_context():
        report = import_levels(content_copy)
        get_session().commit()
        statuses = {t.key: (t.status, t.version) for t in report.tracks}
        assert statuses[ODW] == (TrackImportStatus.UPDATED, 2)
        assert statuses["courier"] == (TrackImportStatus.UNCHANGED, 1)


def test_a_file_with_an_error_imports_nothing(app, content_copy):
    edit(content_copy / "levels.yaml", "\n            count: 6\n", "\n            count: six\n")
    with app.app_context():
        report = import_levels(content_copy)
        assert not report.ok
        assert "levels.yaml:" in str(report.errors[0])
        assert get_session().scalar(select(func.count()).select_from(LevelTrackVersion)) == 5


def test_a_track_removed_from_the_file_is_retired(app, content_copy):
    path = content_copy / "levels.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("  - id: ecommerce-operator")[0], encoding="utf-8")
    with app.app_context():
        report = import_levels(content_copy)
        get_session().commit()
        assert ("ecommerce-operator", TrackImportStatus.RETIRED) in {
            (t.key, t.status) for t in report.tracks
        }
        track = get_session().scalar(
            select(LevelTrack).where(LevelTrack.key == "ecommerce-operator")
        )
        assert track.active is False
        assert "ecommerce-operator" not in [t.key for t in published_tracks()]


# ------------------------------------------------------------ reaching levels


def test_a_learner_reaches_level_5_once_with_evidence(app, people):
    learner = people.make()
    sent = []

    def listener(sender, achievement):
        sent.append((achievement.track_key, achievement.level))

    with app.app_context(), level_reached.connected_to(listener):
        attempts = [
            add_attempt(learner.profile_id, course, 90, correct=critical_keys(course))
            for course in ("legal-safety", "logistics")
        ]
        lessons = complete_lessons(learner.profile_id, "legal-safety")
        lessons += complete_lessons(learner.profile_id, "logistics", 1)
        profile = get_session().get(Profile, learner.profile_id)
        first = check_levels(profile)
        get_session().commit()
        assert [(a.track_key, a.level) for a in first] == [(ODW, 5), ("courier", 5)]
        assert sent == [(ODW, 5), ("courier", 5)]
        # checking again records nothing new and sends nothing
        assert check_levels(profile) == []
        assert len(sent) == 2
        odw = next(a for a in first if a.track_key == ODW)
        assert odw.evidence["attempt_ids"] == sorted(attempt.id for attempt in attempts)
        assert odw.evidence["lesson_keys"] == sorted(lessons)
        assert odw.evidence["level"]["title"]["en"].startswith("L5")
        assert {item["requirement"]["kind"] for item in odw.evidence["checklist"]} == {
            "course_passed",
            "critical_questions",
            "lessons_completed",
        }


def test_a_missed_critical_question_keeps_the_level_closed(app, people):
    learner = people.make()
    with app.app_context():
        keys = critical_keys("legal-safety")
        add_attempt(learner.profile_id, "legal-safety", 90, correct=keys[1:], wrong=keys[:1])
        add_attempt(learner.profile_id, "logistics", 90, correct=critical_keys("logistics"))
        complete_lessons(learner.profile_id, "legal-safety")
        complete_lessons(learner.profile_id, "logistics", 1)
        assert check_levels(get_session().get(Profile, learner.profile_id)) == []
        # a later attempt gets it right: every critical question has now been right once
        add_attempt(learner.profile_id, "legal-safety", 80, correct=keys[:1])
        reached = check_levels(get_session().get(Profile, learner.profile_id))
        assert (ODW, 5) in [(a.track_key, a.level) for a in reached]


def test_levels_are_recorded_lowest_first_when_several_are_met_at_once(app, people):
    learner = people.make()
    with app.app_context():
        add_attempt(learner.profile_id, "ecommerce", 85, correct=critical_keys("ecommerce"))
        complete_lessons(learner.profile_id, "ecommerce")
        check_levels(get_session().get(Profile, learner.profile_id))
        shop = "ecommerce-operator"
        assert [a for a in achievements(learner.profile_id) if a[0] == shop] == [
            (shop, 5),
            (shop, 4),
        ]


def test_the_signals_of_other_domains_trigger_the_check(app, people):
    learner = people.make()
    with app.app_context():
        add_attempt(learner.profile_id, "legal-safety", 90, correct=critical_keys("legal-safety"))
        add_attempt(learner.profile_id, "logistics", 90, correct=critical_keys("logistics"))
        complete_lessons(learner.profile_id, "legal-safety")
        profile = get_session().get(Profile, learner.profile_id)
        attempt = add_attempt(learner.profile_id, "logistics", 50, passed=False)
        attempt_graded.send(app, attempt=attempt)
        assert achievements(learner.profile_id) == []
        complete_lessons(learner.profile_id, "logistics", 1)
        lesson_completed.send(app, profile=profile, lesson_version=None)
        assert (ODW, 5) in achievements(learner.profile_id)


def test_content_changes_after_a_level_is_reached_leave_it_intact(app, people, content_copy):
    learner = people.make()
    with app.app_context():
        pass_level_5(learner.profile_id)
        check_levels(get_session().get(Profile, learner.profile_id))
        get_session().commit()
        before = get_session().scalar(
            select(LevelAchievement).where(
                LevelAchievement.profile_id == learner.profile_id, LevelAchievement.track_key == ODW
            )
        )
        evidence, reached_at = dict(before.evidence), before.reached_at
    # L5 now also asks for the e-commerce course, which the learner has not passed
    edit(
        content_copy / "levels.yaml",
        "          - kind: lessons_completed\n            count: 10\n",
        "          - kind: course_passed\n"
        "            course: ecommerce\n"
        "            min_score: 90\n"
        "          - kind: lessons_completed\n            count: 10\n",
    )
    with app.app_context():
        report = import_levels(content_copy)
        get_session().commit()
        assert (ODW, TrackImportStatus.UPDATED) in {(t.key, t.status) for t in report.tracks}
        assert check_levels(get_session().get(Profile, learner.profile_id)) == []
        get_session().commit()
        after = get_session().scalar(
            select(LevelAchievement).where(
                LevelAchievement.profile_id == learner.profile_id, LevelAchievement.track_key == ODW
            )
        )
        assert (after.evidence, after.reached_at) == (evidence, reached_at)
        odw = next(p for p in progress_for(learner.profile_id) if p.track.key == ODW)
        assert odw.current_level == 5
        assert odw.next.level.level == 4


def test_progress_rebuilt_from_scratch_equals_the_stored_view(app, people):
    learner = people.make()
    with app.app_context():
        pass_level_5(learner.profile_id)
        add_attempt(
            learner.profile_id,
            "logistics",
            70,
            passed=False,
            correct=critical_keys("logistics")[:2],
        )
        check_levels(get_session().get(Profile, learner.profile_id))
        get_session().commit()
        shown = [p.as_dict() for p in progress_for(learner.profile_id)]
        stored = {(key, level) for key, level in achievements(learner.profile_id)}
    # a new app context: nothing cached, every fact read again from its source rows
    with app.app_context():
        record = gather_record(learner.profile_id)
        rebuilt = [p.as_dict() for p in progress_for(learner.profile_id)]
        assert rebuilt == shown
        assert {(h.track_key, h.level) for h in record.held} == stored
        odw = next(p for p in rebuilt if p["track"] == ODW)
        assert odw["current_level"] == 5
        assert odw["next"]["level"] == 4
        items = {item["requirement"]["key"]: item for item in odw["next"]["items"]}
        assert items["lessons_completed:legal-safety+logistics"]["have"] == 10
        assert items["trainer_signoff:odw-mixed-order-packing"]["fraction"] == 0
        # 1 (held) + 10/15 (lessons) + 0 (sign-off) over 3, floored
        assert odw["next"]["percent"] == 55
