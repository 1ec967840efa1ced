"""The refusal every certificate rule raises, kept apart so that issuing and
verification can both raise it without importing each other."""

from __future__ import annotations

from typing import Any


class CertificateError(Exception):
    """A request the rules refuse; ``message`` is shown to the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message
