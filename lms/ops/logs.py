"""Structured JSON logs, each line carrying the request id."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JSONFormatter(logging.Formatter):
    """One JSON object per line: easy to ship to any log store."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = g.get("request_id")
            entry["method"] = request.method
            entry["path"] = request.path
        for key in ("status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def request_id(incoming: str) -> str:
    """The request's id: the proxy's when it looks like one, else a new one."""
    return incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex


def install_request_logging(app: Flask, json_logs: bool, log_requests: bool = False) -> None:
    """Give every request an id (kept from a proxy when sane); log it when asked.

    Behind gunicorn its access log already records each request with this id,
    so a second line per request from the app is off by default.
    """
    logger = logging.getLogger("lms.requests")
    if json_logs:
        handler = logging.StreamHandler()
        handler.setFormatter(JSONFormatter())
        for name in ("lms.requests", app.logger.name):
            target = logging.getLogger(name)
            target.handlers[:] = [handler]
            target.setLevel(logging.INFO)
            target.propagate = False

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER, ""))
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        if not log_requests:
            return response
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={"status": response.status_code, "duration_ms": duration},
        )
        return response
