"""Every LMS model, imported together so the metadata is complete for
migrations and ``create_all``."""

from lms.accounts.models import (  # noqa: F401
    Cohort,
    CohortMember,
    LoginThrottle,
    Organisation,
    Profile,
    User,
)
from lms.courses.models import (  # noqa: F401
    Course,
    CourseVersion,
    LessonVersion,
    QuestionVersion,
    QuizQuestion,
)
