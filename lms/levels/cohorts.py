"""Trainers' side of levels: cohorts of their organisation and practical sign-offs.

Every function takes the staff member and works only inside their
organisation: a cohort or learner of another organisation is "not found".
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import String, cast, func, select

from lms.accounts.access import can_act_for_learner, can_manage_cohort, can_view_cohort
from lms.accounts.models import Cohort, CohortMember, Profile, User
from lms.db import utcnow
from lms.i18n import _, _l, localised
from lms.levels.models import SignOff, SignOffResult
from lms.levels.progress import RequirementResult, TrackProgress
from lms.levels.services import (
    PublishedTrack,
    check_levels,
    load_catalog,
    progress_for,
    published_tracks,
)
from lms.state import get_session
from lms.web import local_time

COHORT_NAME_MAX = 120
NOTE_MAX = 500


class LevelError(Exception):
    """A request the rules refuse; ``message`` is shown, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CohortSummary:
    cohort: Cohort
    members: int


@dataclass(frozen=True)
class MemberProgress:
    """One cohort member and their progress on every track."""

    profile: Profile
    phone: str
    tracks: list[TrackProgress]


@dataclass(frozen=True)
class AwaitingSignOff:
    """A learner whose next level needs a practical sign-off not given yet."""

    learner: Profile
    phone: str  # shown masked, to tell two learners of one name apart
    track: PublishedTrack
    progress: TrackProgress
    item: RequirementResult
    ready: bool  # every other requirement of that level is done


def _organisation_id(staff: Profile) -> int:
    if staff.organisation_id is None:
        raise LevelError(_l("You need to belong to an organisation to manage cohorts."), 403)
    return staff.organisation_id


def staff_cohorts(staff: Profile) -> list[CohortSummary]:
    """The cohorts of the staff member's organisation with their sizes."""
    organisation_id = _organisation_id(staff)
    session = get_session()
    counts = (
        select(CohortMember.cohort_id, func.count().label("members"))
        .where(CohortMember.left_at.is_(None))
        .group_by(CohortMember.cohort_id)
        .subquery()
    )
    rows = session.execute(
        select(Cohort, func.coalesce(counts.c.members, 0))
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
        .where(Cohort.organisation_id == organisation_id)
        .order_by(Cohort.name, Cohort.id)
    )
    return [CohortSummary(cohort, int(members)) for cohort, members in rows]


def create_cohort(staff: Profile, name: str) -> Cohort:
    """A new cohort in the staff member's organisation; names are unique there."""
    organisation_id = _organisation_id(staff)
    clean = " ".join((name or "").split())
    if not clean or len(clean) > COHORT_NAME_MAX:
        raise LevelError(
            _l("Give the cohort a name of at most %(count)d characters.", count=COHORT_NAME_MAX)
        )
    session = get_session()
    exists = session.scalar(
        select(Cohort.id).where(Cohort.organisation_id == organisation_id, Cohort.name == clean)
    )
    if exists is not None:
        raise LevelError(_l("Your organisation already has a cohort with this name."))
    cohort = Cohort(organisation_id=organisation_id, name=clean)
    session.add(cohort)
    session.flush()
    return cohort


def cohort_for_staff(staff: Profile, cohort_id: int) -> Cohort:
    """A cohort the staff member may see (``can_view_cohort``), else LevelError 404."""
    cohort = get_session().get(Cohort, cohort_id)
    if cohort is None or not can_view_cohort(staff, cohort):
        raise LevelError(_l("This cohort does not exist."), 404)
    return cohort


def managed_cohort(staff: Profile, cohort_id: int) -> Cohort:
    """A cohort the staff member may change (``can_manage_cohort``): 404 unseen, else 403."""
    cohort = cohort_for_staff(staff, cohort_id)
    if not can_manage_cohort(staff, cohort):
        raise LevelError(_l("Only staff of the cohort's organisation may change it."), 403)
    return cohort


def remove_member(staff: Profile, cohort: Cohort, profile_id: int) -> None:
    """Take a learner out of a cohort: their records stay, the cohort sees nothing new."""
    managed_cohort(staff, cohort.id)
    session = get_session()
    member = session.scalar(
        select(CohortMember).where(
            CohortMember.cohort_id == cohort.id,
            CohortMember.profile_id == profile_id,
            CohortMember.left_at.is_(None),
        )
    )
    if member is None:
        raise LevelError(_l("This learner is not in the cohort."), 404)
    member.left_at = utcnow()
    session.flush()


def _members(cohort_ids: list[int]) -> list[tuple[Profile, str]]:
    if not cohort_ids:
        return []
    rows = get_session().execute(
        select(Profile, User.phone)
        .join(CohortMember, CohortMember.profile_id == Profile.id)
        # user_ref is a host's id in plugin mode, not always a number: compare as text.
        .outerjoin(User, cast(User.id, String(64)) == Profile.user_ref)
        .where(CohortMember.cohort_id.in_(cohort_ids), CohortMember.left_at.is_(None))
        .distinct()
        .order_by(Profile.display_name, Profile.id)
    )
    return [(profile, phone or "") for profile, phone in rows]


def cohort_progress(cohort: Cohort) -> list[MemberProgress]:
    """Every member of a cohort with their progress on every track."""
    tracks = published_tracks()
    catalog = load_catalog()
    return [
        MemberProgress(profile, phone, progress_for(profile.id, tracks, catalog))
        for profile, phone in _members([cohort.id])
    ]


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell that starts with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def cohort_csv(cohort: Cohort, locale: str) -> str:
    """The cohort page as CSV in the user's language: one row per member and track.

    The mobile number is in it because every member agreed, when joining, that
    the cohort's staff see it; the column's header says so.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Name"),
            _("Mobile (shared by the learner on joining)"),
            _("Track"),
            _("Current level"),
            _("Current level title"),
            _("Reached on"),
            _("Next level"),
            _("Next level, percent done"),
            _("Requirements still open"),
        ]
    )
    for member in cohort_progress(cohort):
        for progress in member.tracks:
            current = progress.current
            reached = {held.level: held.reached_at for held in progress.held}
            upcoming = progress.next
            writer.writerow(
                [
                    _csv_cell(member.profile.display_name),
                    _csv_cell(member.phone),
                    _csv_cell(localised(dict(progress.track.title), locale)),
                    current.level if current else "",
                    _csv_cell(localised(dict(current.title), locale)) if current else "",
                    local_time(reached[current.level], with_time=False)
                    if current and current.level in reached
                    else "",
                    upcoming.level.level if upcoming else "",
                    upcoming.percent if upcoming else "",
                    sum(1 for item in upcoming.items if not item.done) if upcoming else 0,
                ]
            )
    return out.getvalue()


def learner_for_staff(staff: Profile, learner_id: int) -> Profile:
    """A learner the staff member may act for (``can_act_for_learner``), else LevelError 404."""
    _organisation_id(staff)
    found = get_session().get(Profile, learner_id)
    if found is None or not can_act_for_learner(staff, learner_id):
        raise LevelError(_l("This learner is not in any of your cohorts."), 404)
    return found


def awaiting_signoffs(staff: Profile) -> list[AwaitingSignOff]:
    """Learners in the organisation's cohorts whose next level waits for a sign-off."""
    organisation_id = _organisation_id(staff)
    cohort_ids = list(
        get_session().scalars(select(Cohort.id).where(Cohort.organisation_id == organisation_id))
    )
    tracks = published_tracks()
    catalog = load_catalog()
    found: list[AwaitingSignOff] = []
    for learner, phone in _members(cohort_ids):
        for track, progress in zip(tracks, progress_for(learner.id, tracks, catalog), strict=True):
            upcoming = progress.next
            if upcoming is None:
                continue
            for item in upcoming.items:
                if item.kind != "trainer_signoff" or item.done:
                    continue
                others_done = all(
                    other.done for other in upcoming.items if other.kind != "trainer_signoff"
                )
                found.append(AwaitingSignOff(learner, phone, track, progress, item, others_done))
    found.sort(key=lambda row: (not row.ready, row.learner.display_name, row.learner.id))
    return found


def record_signoff(
    staff: Profile,
    learner_id: int,
    track_key: str,
    requirement_key: str,
    result: str,
    note: str,
) -> SignOff:
    """Record a trainer's pass or not-yet for a practical requirement, then check levels."""
    learner = learner_for_staff(staff, learner_id)
    track = next((t for t in published_tracks() if t.key == track_key), None)
    if track is None:
        raise LevelError(_l("This track does not exist."), 404)
    level = next(
        (
            spec
            for spec in track.spec.levels
            for requirement in spec.requirements
            if requirement.key == requirement_key and requirement.kind == "trainer_signoff"
        ),
        None,
    )
    if level is None:
        raise LevelError(_l("This practical skill is not part of the track."), 404)
    try:
        outcome = SignOffResult(result)
    except ValueError:
        raise LevelError(_l("Choose pass or not yet.")) from None
    clean_note = (note or "").strip()
    if len(clean_note) > NOTE_MAX:
        raise LevelError(_l("Keep the note to %(count)d characters.", count=NOTE_MAX))
    if outcome == SignOffResult.NOT_YET and not clean_note:
        raise LevelError(_l("Say in the note what the learner should practise."))
    signoff = SignOff(
        profile_id=learner.id,
        track_key=track.key,
        level=level.level,
        requirement_key=requirement_key,
        trainer_id=staff.id,
        organisation_id=_organisation_id(staff),
        trainer_name=staff.display_name,
        result=outcome,
        note=clean_note,
    )
    session = get_session()
    session.add(signoff)
    session.flush()
    check_levels(learner)
    return signoff
