"""How employers react to the certificates domain: a revoked or superseded
certificate is noted on every share of it, and the host is told."""

from __future__ import annotations

from typing import Any

from lms import signals
from lms.employers.services import refresh_certificate_shares


def on_certificate_status_changed(sender: Any, certificate: Any, **extra: Any) -> None:
    refresh_certificate_shares(certificate.id)


def connect() -> None:
    """Connect the receivers (called once by ``LMS.init_app``)."""
    signals.certificate_status_changed.connect(on_certificate_status_changed, weak=False)
