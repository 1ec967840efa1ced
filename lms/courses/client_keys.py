"""Idempotency keys: every saved step or review answer carries one, made by the
browser (offline) or by the server (a plain form), so a replay saves nothing twice."""

from __future__ import annotations

import uuid
from typing import Any

#: Longest key a client may send; the database column has this size.
CLIENT_KEY_MAX = 64


def new_client_key() -> str:
    """A fresh idempotency key for a form the server renders."""
    return uuid.uuid4().hex


def valid_client_key(key: Any) -> bool:
    """Whether a client key is a short printable token."""
    return (
        isinstance(key, str)
        and 8 <= len(key) <= CLIENT_KEY_MAX
        and all(char.isalnum() or char in "-_" for char in key)
    )
