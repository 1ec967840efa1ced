"""Pages of the trainer studio."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("studio", __name__)
