"""A level is recorded exactly once even when two qualifying events arrive together."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from lms.accounts.models import Profile
from lms.levels import services
from lms.levels.models import LevelAchievement
from lms.signals import level_reached
from lms.state import get_session
from tests.conftest import POSTGRES_URL
from tests.levels.conftest import pass_level_5

pytestmark = pytest.mark.postgres


@pytest.mark.skipif(not POSTGRES_URL, reason="needs LMS_TEST_DATABASE_URL (PostgreSQL)")
def test_two_events_at_the_same_moment_record_the_level_once(app, people, monkeypatch):
    learner = people.make()
    with app.app_context():
        pass_level_5(learner.profile_id)
        get_session().commit()

    # Both requests must have read the record (no level yet) before either
    # writes: hold each one at the insert until the other has arrived too.
    both_evaluated = threading.Barrier(2, timeout=20)
    original = services._record_level

    waited = threading.local()

    def record_after_both_evaluated(*args, **kwargs):
        if threading.current_thread().name.startswith("event-") and not getattr(
            waited, "done", False
        ):
            waited.done = True
            both_evaluated.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_record_level", record_after_both_evaluated)
    sent: list[tuple[str, int]] = []
    lock = threading.Lock()

    def listener(sender, achievement):
        with lock:
            sent.append((achievement.track_key, achievement.level))

    results: dict[str, list[tuple[str, int]]] = {}
    failures: list[BaseException] = []

    def event(name: str) -> None:
        try:
            with app.app_context():
                profile = get_session().get(Profile, learner.profile_id)
                reached = services.check_levels(profile)
                results[name] = [(a.track_key, a.level) for a in reached]
                get_session().commit()
        except BaseException as error:
            failures.append(error)
        finally:
            with app.app_context():
                get_session().remove()

    with level_reached.connected_to(listener):
        threads = [
            threading.Thread(target=event, args=(n,), name=n) for n in ("event-a", "event-b")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not failures, failures
    with app.app_context():
        rows = (
            get_session()
            .execute(
                select(LevelAchievement.track_key, LevelAchievement.level).where(
                    LevelAchievement.profile_id == learner.profile_id
                )
            )
            .all()
        )
    recorded = sorted((key, level) for key, level in rows)
    assert recorded == [("courier", 5), ("online-delivery-worker", 5)]
    # each level reached (and announced) by exactly one of the two requests
    assert sorted(results["event-a"] + results["event-b"]) == recorded
    assert sorted(sent) == recorded
