"""`make loadtest-scale` at a tiny scale: the seeding and measuring code paths, the
sequential-scan detector, and the database dropped afterwards. Timings are
printed by the run, never asserted."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from loadtest import scale, scale_seed
from tests.conftest import POSTGRES_REQUIRED, POSTGRES_URL

pytestmark = pytest.mark.postgres

SEQ_SCAN_PLAN = """\
Nested Loop  (cost=0.42..412345.20 rows=20 width=8) (actual time=0.02..812.40 rows=20 loops=1)
  ->  Index Scan using lms_profile_pkey on lms_profile  (cost=0.42..8.44 rows=1 width=4)
        Index Cond: (id = 42)
  ->  Seq Scan on lms_step_event  (cost=0.00..412336.56 rows=20 width=8)
        Filter: (profile_id = 42)
        Rows Removed by Filter: 19999980
"""
INDEX_ONLY_PLAN = """\
Index Only Scan using ix_lms_step_event_profile_id_occurred_at on lms_step_event
    (cost=0.56..4.78 rows=20 width=8) (actual time=0.01..0.02 rows=20 loops=1)
  Index Cond: (profile_id = 42)
  Heap Fetches: 0
"""
ROW_COUNTS = {"lms_step_event": 20_000_000.0, "lms_profile": 1_000_000.0, "lms_course": 6.0}


def test_a_sequential_scan_of_a_big_table_is_flagged():
    assert scale.seq_scans_on_large_tables(SEQ_SCAN_PLAN, ROW_COUNTS) == ["lms_step_event"]


def test_an_index_only_plan_passes():
    assert scale.seq_scans_on_large_tables(INDEX_ONLY_PLAN, ROW_COUNTS) == []


def test_a_sequential_scan_of_a_small_table_passes():
    plan = "Seq Scan on lms_course  (cost=0.00..1.06 rows=6 width=40)"
    assert scale.seq_scans_on_large_tables(plan, ROW_COUNTS) == []


def test_stages_are_named_the_way_the_results_print_them():
    assert [scale.scale_label(n) for n in (50, 10_000, 1_000_000)] == ["50", "10k", "1M"]


def test_the_seeder_refuses_the_databases_of_the_suite_and_of_make_loadtest():
    for name in ("test", "lms_loadtest", "postgres"):
        with pytest.raises(SystemExit):
            scale_seed.create_database("postgresql+psycopg://nobody@127.0.0.1:1/x", name)


@pytest.fixture
def admin_url() -> str:
    """A PostgreSQL server to create the throwaway database on."""
    if not POSTGRES_URL:
        # The suite's SQLite run (CI sets no URL there); its PostgreSQL run
        # takes this test and fails below if the server cannot be reached.
        pytest.skip("the scale load test needs LMS_TEST_DATABASE_URL (PostgreSQL)")
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except sa.exc.OperationalError as error:
        message = f"PostgreSQL at LMS_TEST_DATABASE_URL is unreachable: {error}"
        if POSTGRES_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_URL


def test_a_tiny_run_seeds_what_was_asked_measures_explains_and_drops_its_database(
    admin_url, capsys
):
    database = f"lms_scale_test_{uuid.uuid4().hex[:8]}"
    result = scale.run(
        small=50, large=200, requests=5, warmup=2, database=database, admin_url=admin_url
    )
    for learners in (50, 200):
        counted = result.counts[learners]
        assert counted["lms_profile"] == learners
        assert counted["lms_certificate"] == learners * scale_seed.CERTIFICATES_PER_LEARNER
        # counted as seeded, before any step was saved
        assert counted["lms_step_event"] == learners * scale_seed.EVENTS_PER_LEARNER
        # the lessons those events walked: whole ones, then the start of the next
        assert learners * 2 <= counted["lms_lesson_progress"] <= learners * 10
    printed = capsys.readouterr().out
    for endpoint in scale.ENDPOINTS:
        assert f"scale {endpoint} p95 50: " in printed
        assert ", 200: " in printed and ", ratio: " in printed
    assert "scale elapsed: " in printed
    assert "scale peak database size: " in printed
    assert "scale rows at 200: 200 learners, 400 certificates, 4000 progress events" in printed
    # every hot query was explained with its real plan, and none reads a big table whole
    assert {plan.endpoint for plan in result.plans} == set(scale.ENDPOINTS)
    assert all("could not explain" not in plan.text for plan in result.plans)
    assert not any(plan.large_seq_scans for plan in result.plans)
    assert not scale_seed.database_exists(admin_url, database)
    assert not scale_seed.database_exists(admin_url, database + scale.SMALL_SUFFIX)
