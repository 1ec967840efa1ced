"""Building xAPI 1.0.3 statements from the LMS's events.

The actor is an account whose name is an HMAC of the profile id (never a phone
number or a name); activity ids live under ``LMS_PUBLIC_URL``; each statement's
id is a uuid5 of the event, so the same event always gives the same statement.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime
from typing import Any

from flask import current_app

from lms.config import config_value

XAPI_VERSION = "1.0.3"

#: The namespace of the statement ids (a uuid5 of this project's name).
STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://lms.invalid/xapi/statements")

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "experienced": ADL + "experienced",
    "completed": ADL + "completed",
    "answered": ADL + "answered",
    "passed": ADL + "passed",
    "failed": ADL + "failed",
    "mastered": ADL + "mastered",
    "attended": ADL + "attended",
    # The ADL list has no verb for receiving a credential; this is the
    # registry's common one (id.tincanapi.com), used by badge platforms.
    "earned": "http://id.tincanapi.com/verb/earned",
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "level": "http://adlnet.gov/expapi/activities/objective",
    "certificate": "http://id.tincanapi.com/activitytype/certificate",
    "session": "http://adlnet.gov/expapi/activities/meeting",
}


def base_url() -> str:
    return str(config_value("LMS_PUBLIC_URL")).rstrip("/")


def extension_iri(name: str) -> str:
    return f"{base_url()}/xapi/extensions/{name}"


def actor_name(profile_id: int) -> str:
    """The opaque, stable account name of a learner profile."""
    key = config_value("LMS_XAPI_ACTOR_KEY") or current_app.secret_key or ""
    if isinstance(key, str):
        key = key.encode()
    message = f"lms-xapi-actor:{profile_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def actor(profile_id: int) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "account": {"homePage": base_url(), "name": actor_name(profile_id)},
    }


def statement_id(event: str) -> str:
    """The stable statement id of one event, e.g. ``lesson-completed:12:34``."""
    return str(uuid.uuid5(STATEMENT_NAMESPACE, event))


def activity(kind: str, path: str, names: dict[str, Any] | None = None) -> dict[str, Any]:
    definition: dict[str, Any] = {"type": ACTIVITY_TYPES[kind]}
    language_map = _language_map(names)
    if language_map:
        definition["name"] = language_map
    return {"objectType": "Activity", "id": f"{base_url()}/xapi/{path}", "definition": definition}


def context(
    course_key: str | None = None,
    organisation_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The statement's context: the course as parent activity, the organisation
    (and anything else) as extensions."""
    result: dict[str, Any] = {"platform": "lms"}
    if course_key:
        result["contextActivities"] = {"parent": [activity("course", f"courses/{course_key}")]}
    extensions: dict[str, Any] = {}
    if organisation_id is not None:
        extensions[extension_iri("organisation")] = organisation_id
    for name, value in (extra or {}).items():
        extensions[extension_iri(name)] = value
    if extensions:
        result["extensions"] = extensions
    return result


def statement(
    event: str,
    profile_id: int,
    verb: str,
    obj: dict[str, Any],
    at: datetime,
    ctx: dict[str, Any],
    result: dict[str, Any] | None = None,
) -> dict[str, Any]:
    built: dict[str, Any] = {
        "id": statement_id(event),
        "actor": actor(profile_id),
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": obj,
        "context": ctx,
        "timestamp": at.isoformat(),
    }
    if result is not None:
        built["result"] = result
    return built


def scaled_result(
    percent: float | None, success: bool | None, completion: bool = True
) -> dict[str, Any]:
    """A result with a scaled score (0..1) from a percentage, and success."""
    result: dict[str, Any] = {"completion": completion}
    if percent is not None:
        raw = max(0.0, min(100.0, float(percent)))
        result["score"] = {"scaled": round(raw / 100, 4), "raw": raw, "min": 0, "max": 100}
    if success is not None:
        result["success"] = bool(success)
    return result


def _language_map(names: dict[str, Any] | None) -> dict[str, str]:
    tags = {"zh_CN": "zh-CN", "en": "en-US"}
    return {
        tags.get(code, code.replace("_", "-")): str(text)
        for code, text in (names or {}).items()
        if isinstance(text, str) and text
    }
