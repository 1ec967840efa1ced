"""The grading names the rest of the app imports, re-exported from the
question-type registry in ``lms.questions`` (which owns every type).

Nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

from lms.content.schema import REVIEW_MODES
from lms.questions.base import (
    FormFields,
    InvalidAnswer,
    OptionOrder,
    QuestionType,
    QuizResult,
    Score,
    Spec,
    UnfinishedAnswer,
)
from lms.questions.choice import MultipleChoice, SingleChoice, TrueFalse
from lms.questions.ordering import Ordering
from lms.questions.registry import (
    QUESTION_TYPES,
    answer_from_form,
    chosen_ids,
    get_type,
    grade,
    grade_quiz,
    learner_view,
    normalise_answer,
    option_ids,
    presented_option_order,
    register,
    review_view,
    shuffled_option_order,
    unregister,
)
from lms.questions.scenario import Scenario

__all__ = [
    "QUESTION_TYPES",
    "REVIEW_MODES",
    "FormFields",
    "InvalidAnswer",
    "MultipleChoice",
    "OptionOrder",
    "Ordering",
    "QuestionType",
    "QuizResult",
    "Scenario",
    "Score",
    "SingleChoice",
    "Spec",
    "TrueFalse",
    "UnfinishedAnswer",
    "answer_from_form",
    "chosen_ids",
    "get_type",
    "grade",
    "grade_quiz",
    "learner_view",
    "normalise_answer",
    "option_ids",
    "presented_option_order",
    "register",
    "review_view",
    "shuffled_option_order",
    "unregister",
]
