"""A session's report gets the live case's results: for each step riders
answered, how many chose each option and how many chose the best one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import render_template
from markupsafe import Markup
from sqlalchemy import select

from lms.i18n import localised
from lms.sessions.live import _lesson, live_case_of, live_steps
from lms.sessions.models import LiveAnswer, TrainingSession
from lms.sessions.services import SessionError
from lms.state import get_session


@dataclass(frozen=True)
class OptionResult:
    """One option of a live step and the riders who picked it."""

    text: str
    best: bool
    count: int


@dataclass(frozen=True)
class StepResult:
    """One answered step of the live case."""

    number: int
    kind: str
    prompt: str
    riders: int
    best_riders: int
    options: tuple[OptionResult, ...]


def live_results(training: TrainingSession) -> list[StepResult]:
    """Per answerable step of the session's live case: answers per option."""
    live = live_case_of(training.id)
    if live is None:
        return []
    try:
        lesson = _lesson(live)
    except SessionError:
        return []
    answers = get_session().execute(
        select(LiveAnswer.step_no, LiveAnswer.options).where(LiveAnswer.live_case_id == live.id)
    )
    picked: dict[int, Counter[str]] = {}
    riders: Counter[int] = Counter()
    best_riders: Counter[int] = Counter()
    steps = live_steps(lesson)
    for step_no, options in answers:
        if not 0 <= step_no < len(steps):
            continue
        chosen = set(options or ())
        picked.setdefault(step_no, Counter()).update(chosen)
        riders[step_no] += 1
        best = {option.id for option in steps[step_no].options if option.best}
        if chosen == best:
            best_riders[step_no] += 1
    results = []
    for number, step in enumerate(steps):
        if not step.answerable:
            continue
        prompt = (
            (lesson.decision or {}).get("prompt")
            if step.kind == "decision"
            else (step.question or {}).get("prompt")
        )
        counts = picked.get(number, Counter())
        results.append(
            StepResult(
                number + 1,
                step.kind,
                localised(prompt),
                riders[number],
                best_riders[number],
                tuple(
                    OptionResult(localised(option.text), option.best, counts.get(option.id, 0))
                    for option in step.options
                ),
            )
        )
    return results


def live_results_section(training: TrainingSession) -> Markup | None:
    """The session report's live case section (nothing when no case ran)."""
    results = live_results(training)
    if not results:
        return None
    return Markup(render_template("lms/sessions/_live_results.html", results=results))  # noqa: S704 (our own rendered template)
