"""Every LMS model, imported together so the metadata is complete for
migrations and ``create_all``."""

from lms.accounts.models import (  # noqa: F401
    Cohort,
    CohortInvite,
    CohortMember,
    LoginSession,
    LoginThrottle,
    Organisation,
    Profile,
    User,
)
from lms.assessments.models import Attempt, AttemptQuestion  # noqa: F401
from lms.certificates.models import (  # noqa: F401
    Certificate,
    CertificateEvent,
    CertificateShareLink,
)
from lms.courses.models import (  # noqa: F401
    AttendedTraining,
    Course,
    CourseVersion,
    LessonProgress,
    LessonVersion,
    QuestionVersion,
    QuizQuestion,
    ReviewAnswer,
    ReviewItem,
    StepEvent,
)
from lms.employers.models import (  # noqa: F401
    ApiKey,
    BulkCheck,
    BulkCheckUsage,
    CertificateShare,
    DashboardVisit,
    HiringCode,
    ShareEvent,
)
from lms.interop.lti_models import (  # noqa: F401
    LtiContext,
    LtiDeployment,
    LtiLaunchSession,
    LtiLineItem,
    LtiPlatform,
    LtiScore,
    LtiStoredValue,
    LtiToolKey,
    LtiUser,
)
from lms.interop.models import XapiOutbox  # noqa: F401
from lms.levels.models import (  # noqa: F401
    LevelAchievement,
    LevelTrack,
    LevelTrackVersion,
    SignOff,
)
from lms.sessions.models import Attendance, Booking, Station, TrainingSession  # noqa: F401
from lms.studio.models import Draft, VersionSource  # noqa: F401
from lms.surveys.models import (  # noqa: F401
    Survey,
    SurveyAnswer,
    SurveyAnswered,
    SurveyQuestion,
    SurveyResponse,
)
