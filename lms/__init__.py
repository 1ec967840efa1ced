"""lms: skills training and vocational certification for delivery riders,
couriers and drivers, as a Flask extension (``LMS``) or a standalone app
(``create_app``)."""

from lms.app import create_app
from lms.extension import LMS

__all__ = ["LMS", "create_app"]
