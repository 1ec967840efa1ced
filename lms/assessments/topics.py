"""The names riders read for the topic tags of the shipped question banks.

Results group points by a question's ``topic``; a tag is a content key
(``traffic``), so the page shows its translated name. A tag not listed here (a
trainer's own course) is shown as written.
"""

from __future__ import annotations

from typing import Any

from lms.i18n import _l

TOPIC_NAMES: dict[str, Any] = {
    "acceptance": _l("Delivery and acceptance"),
    "accident": _l("Crashes and accidents"),
    "data": _l("Shop data"),
    "food": _l("Food safety"),
    "injury": _l("Occupational injury cover"),
    "labour": _l("Labour rights"),
    "lastmile": _l("Last-mile delivery"),
    "listing": _l("Product listings"),
    "livestream": _l("Livestream selling"),
    "returns": _l("Returns and after-sales"),
    "routing": _l("Routes and dispatch"),
    "safety": _l("Safe work"),
    "scams": _l("Scams"),
    "service": _l("Customer service"),
    "shop": _l("Running a shop"),
    "team": _l("Working in a team"),
    "traffic": _l("Traffic rules"),
}


def topic_name(topic: str | None) -> str | None:
    """The learner's name for a topic tag; ``None`` for questions without a topic."""
    if not topic:
        return None
    name = TOPIC_NAMES.get(topic)
    return str(name) if name is not None else topic
