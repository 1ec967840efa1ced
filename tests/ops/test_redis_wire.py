"""The bare-socket Redis reader of the verification fast path answers as
redis-py does, and fails loudly rather than answering wrongly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lms.redis_wire import wire_for
from tests.certificates.conftest import redis_or_skip

REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def redis_db() -> Iterator[Any]:
    client = redis_or_skip(REDIS_URL)
    key = f"test-wire-{uuid.uuid4().hex}"
    client.hset(key, mapping={"gen": b"g1", "answer": b"line one\nline two\r\n\x00binary"})
    client.key = key
    yield client
    client.delete(key)


def test_it_reads_what_redis_py_reads_from_the_urls_database(redis_db: Any) -> None:
    wire = wire_for(REDIS_URL, timeout=0.5)
    assert wire is not None
    fields = ["gen", "answer", "missing"]
    assert wire.hmget(redis_db.key, fields) == redis_db.hmget(redis_db.key, fields)
    # Another database of the same server does not hold the key.
    other = wire_for("redis://127.0.0.1:6379/3", timeout=0.5)
    assert other is not None and other.hmget(redis_db.key, ["gen"]) == [None]


def test_a_dropped_connection_fails_once_then_it_reconnects(redis_db: Any) -> None:
    wire = wire_for(REDIS_URL, timeout=0.5)
    assert wire is not None
    assert wire.hmget(redis_db.key, ["gen"]) == [b"g1"]
    host, port = wire.local.connection.getsockname()[:2]
    redis_db.execute_command("CLIENT", "KILL", "ADDR", f"{host}:{port}")  # this one only
    with pytest.raises((ConnectionError, OSError)):
        wire.hmget(redis_db.key, ["gen"])
    assert wire.hmget(redis_db.key, ["gen"]) == [b"g1"]


def test_an_error_reply_is_raised_not_returned(redis_db: Any) -> None:
    wire = wire_for(REDIS_URL, timeout=0.5)
    assert wire is not None
    redis_db.set(redis_db.key + "-string", "x")
    try:
        with pytest.raises(Exception, match="WRONGTYPE"):
            wire.hmget(redis_db.key + "-string", ["gen"])
        assert wire.hmget(redis_db.key, ["gen"]) == [b"g1"]
    finally:
        redis_db.delete(redis_db.key + "-string")


def test_nothing_listening_is_an_error_and_tls_is_left_to_redis_py() -> None:
    wire = wire_for("redis://127.0.0.1:1/0", timeout=0.5)
    assert wire is not None
    with pytest.raises(OSError):
        wire.hmget("any", ["gen"])
    assert wire_for("rediss://127.0.0.1:6380/0", timeout=0.5) is None
