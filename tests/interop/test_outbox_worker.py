"""The outbox as an RQ job on the shared Redis (this worktree's own db number
and key prefix): the worker delivers and schedules its next run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from lms.interop.worker import job_id, queue, run_worker, schedule
from tests.conftest import People, _dispose, build_test_app
from tests.interop.test_xapi_outbox import _journey, _rows, lrs  # noqa: F401 - fixture

REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture
def rq_app(database_backend: dict[str, Any], tmp_path: Path, lrs: Any) -> Iterator[Flask]:  # noqa: F811
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"xapitest{uuid.uuid4().hex[:8]}"
    application = build_test_app(
        database_backend,
        tmp_path,
        with_content=True,
        LMS_XAPI_ENDPOINT=f"http://127.0.0.1:{lrs.server_address[1]}/xAPI",
        LMS_REDIS_URL=REDIS_URL,
        LMS_REDIS_KEY_PREFIX=prefix,
    )
    yield application
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"rq:*{prefix}*"):
        client.delete(key)
    _dispose(application)


def test_the_rq_worker_delivers_the_outbox_and_schedules_its_next_run(rq_app, lrs):  # noqa: F811
    _journey(rq_app, People(rq_app))
    with rq_app.app_context():
        run_worker(interval_seconds=60, burst=True)
        rows = _rows()
        assert rows and all(row.delivered_at is not None for row in rows)
        assert set(lrs.store) == {row.statement_id for row in rows}
        target = queue(redis.Redis.from_url(REDIS_URL))
        scheduled = target.scheduled_job_registry.get_job_ids()
        assert len(scheduled) == 1 and scheduled[0].startswith(job_id())
        schedule(60, target)
        assert len(target.scheduled_job_registry.get_job_ids()) == 1
