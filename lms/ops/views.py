"""Health and readiness endpoints for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from lms.ops.health import readiness

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
def healthz() -> Any:
    """The process is up and answering (no dependencies are touched)."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz() -> Any:
    """The database (and Redis, when configured) answer: safe to send traffic."""
    checks = readiness()
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), (
        200 if ready else 503
    )
