"""The studio's trainer fixtures, for tests that take a question type through the studio."""

from tests.studio.conftest import course_data, staff, trainer

__all__ = ["course_data", "staff", "trainer"]
