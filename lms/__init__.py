"""lms: skills training and vocational certification for delivery riders,
couriers and drivers, as a Flask extension (``LMS``) or a standalone app
(``create_app``).

Both names load lazily (PEP 562), so importing a Flask-free part such as
``lms.assessments.grading`` or the offline verifier loads no Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lms.app import create_app
    from lms.extension import LMS

__all__ = ["LMS", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "LMS":
        from lms.extension import LMS

        return LMS
    if name == "create_app":
        from lms.app import create_app

        return create_app
    raise AttributeError(f"module 'lms' has no attribute {name!r}")
