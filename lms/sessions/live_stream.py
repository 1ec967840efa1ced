"""The Server-Sent Events stream of a live case: every event is the whole state,
its ``id:`` the case's version, so a browser that reconnects (EventSource sends
``Last-Event-ID``) gets the current step at once.

With Redis the stream waits on the case's pub/sub channel, so a change made in
any app process reaches it; it also reads the version from the database at
each keep-alive, which catches up a stream whose Redis message was lost.
Without Redis (standalone, one process) it polls the database every
``LMS_LIVE_POLL_SECONDS``. Either way a stream is bounded
(``LMS_LIVE_STREAM_SECONDS``, then the browser reconnects), sends keep-alive
comments, and holds no database connection between its reads.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import current_app

from lms.config import config_value
from lms.redis_client import redis_client
from lms.sessions.live import channel, for_viewer, live_version, viewer_state
from lms.state import get_session

#: How long the browser waits before reconnecting after a stream closes (ms).
RETRY_MS = 2000


def sse_event(state: dict[str, Any]) -> str:
    """One event of the stream: the version as its id, the state as its data."""
    data = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    return f"id: {state.get('version', 0)}\ndata: {data}\n\n"


class _Clock:
    """The stream's deadline and when its next keep-alive is due."""

    def __init__(self) -> None:
        # Up to a fifth shorter at random: a room's phones, connected together,
        # do not all reconnect in the same second.
        length = float(config_value("LMS_LIVE_STREAM_SECONDS")) * random.uniform(0.8, 1.0)  # noqa: S311 - spread, not secrecy
        self.deadline = time.monotonic() + length
        self.every = float(config_value("LMS_LIVE_KEEPALIVE_SECONDS"))
        self.next_beat = time.monotonic() + self.every

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def beat_due(self) -> bool:
        if time.monotonic() < self.next_beat:
            return False
        self.next_beat = time.monotonic() + self.every
        return True


def live_events(
    session_id: int,
    view: Callable[[], dict[str, Any]],
    is_trainer: bool,
    locale: str,
    last_seen: int,
) -> Iterator[str]:
    """The stream's text, for ``stream_with_context``: ``view`` reads the viewer's
    whole state from the database (the first event, and after a missed message)."""
    yield f"retry: {RETRY_MS}\n\n"
    client = redis_client()
    pubsub = None
    if client is not None:
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            # Subscribed before the first read: nothing published between the two is lost.
            pubsub.subscribe(channel(session_id))
        except Exception:  # no Redis now: poll the database instead
            current_app.logger.warning("live case %s: Redis subscribe failed", session_id)
            pubsub = None
    try:
        state = view()
        get_session().remove()
        if state["version"] != last_seen:
            yield sse_event(state)
        last = int(state["version"])
        closed = state.get("state") == "closed"
        clock = _Clock()
        while clock.running() and not closed:
            state = None
            if pubsub is not None:
                try:
                    message = pubsub.get_message(timeout=1.0)
                except Exception:  # Redis went away: poll from now on
                    current_app.logger.warning("live case %s: Redis lost", session_id)
                    pubsub = None
                    continue
                if message and message.get("type") == "message":
                    published = json.loads(message["data"])[locale]
                    if int(published["version"]) > last:
                        state = for_viewer(published, is_trainer)
            else:
                time.sleep(float(config_value("LMS_LIVE_POLL_SECONDS")))
            beat = clock.beat_due()
            if state is None and (pubsub is None or beat):
                version = live_version(session_id)
                get_session().remove()
                if version > last:
                    state = view()
                    get_session().remove()
            if state is not None:
                last = int(state["version"])
                closed = state.get("state") == "closed"
                yield sse_event(state)
            elif beat:
                yield ": keep-alive\n\n"
    finally:
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:  # noqa: S110 - closing a broken connection
                pass


def view_of(session_id: int, profile_id: int, is_trainer: bool, locale: str) -> Callable[[], Any]:
    """The viewer's state reader for ``live_events``."""

    def read() -> dict[str, Any]:
        return viewer_state(session_id, profile_id, is_trainer, locale)

    return read
