"""Pages of the levels domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("levels", __name__)
