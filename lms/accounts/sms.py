"""Sending a text message: the adapter point for a real SMS provider.

``LMS_SMS_SENDER`` names a class or factory as ``package.module:Name``; it is
called without arguments and must return an object with ``send(phone, text)``.
The default, :class:`ConsoleSender`, only logs the message (and keeps it in
:attr:`ConsoleSender.outbox` for tests): it is for development and tests, a
deployment points the setting at an adapter for its provider (an adapter calls
the provider's API in ``send`` and raises :class:`SmsError` when it fails).
"""

from __future__ import annotations

import importlib
import logging
from typing import ClassVar, Protocol

from lms.config import config_value

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider did not take the message."""


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to the 11-digit mainland mobile number ``phone``."""


class ConsoleSender:
    """Logs each message instead of sending it (development and tests)."""

    #: the messages "sent" in this process, oldest first: (phone, text)
    outbox: ClassVar[list[tuple[str, str]]] = []

    def send(self, phone: str, text: str) -> None:
        log.warning("SMS to %s: %s", phone, text)
        self.outbox.append((phone, text))


def load_sender(path: str) -> SmsSender:
    """The sender that ``package.module:Name`` builds."""
    module_name, _, name = path.partition(":")
    if not module_name or not name:
        raise ValueError(f"LMS_SMS_SENDER must look like 'package.module:Name', not {path!r}")
    factory = getattr(importlib.import_module(module_name), name)
    return factory()


def sms_sender() -> SmsSender:
    """The configured sender."""
    return load_sender(config_value("LMS_SMS_SENDER"))
