"""A stand-in Learning Record Store for `make loadtest`'s xAPI phase: it takes
statements as fast as they come and counts them, so the phase measures what
writing and delivering statements costs the app, not how fast some LRS is.
(tests/interop/test_ralph_lrs.py checks the statements against a real LRS.)"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

_lock = threading.Lock()
_received = {"statements": 0, "posts": 0}


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
    if path.endswith("/statements") and method in ("POST", "PUT"):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        statements = json.loads(environ["wsgi.input"].read(length) or b"[]")
        statements = statements if isinstance(statements, list) else [statements]
        with _lock:
            _received["statements"] += len(statements)
            _received["posts"] += 1
        body = json.dumps([s.get("id") for s in statements]).encode()
    elif path == "/count":
        with _lock:
            body = json.dumps(_received).encode()
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
