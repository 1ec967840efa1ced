"""Pages of the levels domain: a learner's tracks, trainers' cohorts and sign-offs."""

from __future__ import annotations

from typing import Any

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from lms.accounts.access import (
    STAFF_ROLES,
    can_manage_cohort,
    login_required,
    require_profile,
    role_required,
)
from lms.accounts.models import CohortInvite, Profile
from lms.i18n import _
from lms.levels.cohorts import (
    LevelError,
    awaiting_signoffs,
    cohort_csv,
    cohort_for_staff,
    cohort_progress,
    create_cohort,
    managed_cohort,
    record_signoff,
    remove_member,
    staff_cohorts,
)
from lms.levels.forms import CohortForm, InviteForm, JoinCodeForm, MemberForm, SignOffForm
from lms.levels.invites import (
    accept_invite,
    check_can_accept,
    cohort_invites,
    create_invite,
    invite_by_code,
    invite_by_token,
    invite_for_staff,
    invite_phone,
    invite_problem,
    leave_cohort,
    memberships_of,
    pending_invites,
    revoke_invite,
)
from lms.levels.progress import TrackProgress
from lms.levels.services import (
    achievements_for,
    check_levels,
    progress_for,
    published_tracks,
    signoffs_for,
)
from lms.state import get_session
from lms.web import current_locale, error_response

bp = Blueprint("levels", __name__)


def _refused(error: LevelError) -> Any:
    get_session().rollback()
    return error_response(error.status, str(error.message))


def _progress_now(profile: Profile) -> list[TrackProgress]:
    progress = progress_for(profile.id)
    if any(track.newly_reached for track in progress):
        # Met before a signal could record it (e.g. tracks published later):
        # record it now, once, and show what is stored.
        check_levels(profile)
        get_session().commit()
        progress = progress_for(profile.id)
    return progress


# ------------------------------------------------------------------ learners


@bp.route("/levels")
@login_required
def tracks() -> Any:
    profile = require_profile()
    return render_template("lms/levels/tracks.html", progress=_progress_now(profile))


@bp.route("/levels/<track_key>")
@login_required
def track(track_key: str) -> Any:
    profile = require_profile()
    found = next((p for p in _progress_now(profile) if p.track.key == track_key), None)
    if found is None:
        abort(404)
    reached = {
        achievement.level: achievement
        for achievement in achievements_for(profile.id)
        if achievement.track_key == track_key
    }
    return render_template(
        "lms/levels/track.html",
        progress=found,
        reached=reached,
        signoffs=signoffs_for(profile.id, track_key),
    )


def level_home_panel(profile: Profile | None) -> tuple[str, dict[str, Any]] | None:
    """The home page's panel: the next level's checklist of the learner's leading track."""
    if profile is None:
        return None
    progress = progress_for(profile.id)
    if not progress:
        return None
    lead = min(
        enumerate(progress),
        key=lambda pair: (pair[1].current_level or 6, -pair[1].percent, pair[0]),
    )[1]
    return "lms/levels/_home_panel.html", {"level_panel": lead}


def level_result_panel(profile: Profile, attempt: Any) -> tuple[str, dict[str, Any]] | None:
    """The quiz result's panel after a pass: the level now held and what the next one needs."""
    if not getattr(attempt, "passed", False):
        return None
    return level_home_panel(profile)


# ------------------------------------------------------------------ trainers


@bp.route("/staff/cohorts", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def cohorts() -> Any:
    staff = require_profile()
    form = CohortForm()
    status = 200
    if form.validate_on_submit():
        try:
            cohort = create_cohort(staff, form.name.data)
        except LevelError as error:
            get_session().rollback()
            form.name.errors.append(error.message)
            status = error.status
        else:
            get_session().commit()
            flash(_("Cohort created. Make an invitation for your learners to join."), "success")
            return redirect(url_for("lms.levels.cohort", cohort_id=cohort.id))
    elif form.is_submitted():
        status = 400
    try:
        listing = staff_cohorts(staff)
    except LevelError as error:
        return _refused(error)
    return render_template("lms/levels/cohorts.html", cohorts=listing, form=form), status


def _cohort_page(
    staff: Profile,
    cohort_id: int,
    form: MemberForm,
    status: int = 200,
    invite_form: InviteForm | None = None,
) -> Any:
    cohort = cohort_for_staff(staff, cohort_id)
    manages = can_manage_cohort(staff, cohort)
    return (
        render_template(
            "lms/levels/cohort.html",
            cohort=cohort,
            members=cohort_progress(cohort),
            tracks=published_tracks(),
            form=form,
            invite_form=invite_form or InviteForm(),
            invites=cohort_invites(cohort) if manages else [],
            invite_problem=invite_problem,
            manages=manages,
        ),
        status,
    )


@bp.route("/staff/cohorts/<int:cohort_id>")
@role_required(*STAFF_ROLES)
def cohort(cohort_id: int) -> Any:
    try:
        return _cohort_page(require_profile(), cohort_id, MemberForm())
    except LevelError as error:
        return _refused(error)


@bp.route("/staff/cohorts/<int:cohort_id>/members", methods=["POST"])
@role_required(*STAFF_ROLES)
def add_cohort_member(cohort_id: int) -> Any:
    """Pre-register a mobile number: an invitation, never a membership."""
    staff = require_profile()
    form = MemberForm()
    try:
        managed_cohort(staff, cohort_id)
        if not form.validate_on_submit():
            return _cohort_page(staff, cohort_id, form, 400)
        try:
            invite_phone(staff, cohort_id, form.phone.data)
        except LevelError as error:
            if error.status == 404:
                raise
            get_session().rollback()
            form.phone.errors.append(error.message)
            return _cohort_page(staff, cohort_id, form, error.status)
    except LevelError as error:
        return _refused(error)
    get_session().commit()
    # The same words whether or not the number is registered.
    flash(
        _(
            "Invitation saved. Whoever logs in with this number sees it and joins only "
            "by accepting; until then you see nothing of them."
        ),
        "info",
    )
    return redirect(url_for("lms.levels.cohort", cohort_id=cohort_id))


@bp.route("/staff/cohorts/<int:cohort_id>/invites", methods=["POST"])
@role_required(*STAFF_ROLES)
def create_cohort_invite(cohort_id: int) -> Any:
    staff = require_profile()
    form = InviteForm()
    try:
        managed_cohort(staff, cohort_id)
        if not form.validate_on_submit():
            return _cohort_page(staff, cohort_id, MemberForm(), 400, invite_form=form)
        invite = create_invite(staff, cohort_id, form.days.data, form.max_uses.data)
    except LevelError as error:
        return _refused(error)
    get_session().commit()
    return redirect(url_for("lms.levels.cohort_invite", cohort_id=cohort_id, invite_id=invite.id))


@bp.route("/staff/cohorts/<int:cohort_id>/invites/<int:invite_id>")
@role_required(*STAFF_ROLES)
def cohort_invite(cohort_id: int, invite_id: int) -> Any:
    """The printable invitation: QR code, join code, link, expiry."""
    try:
        invite = invite_for_staff(require_profile(), cohort_id, invite_id)
    except LevelError as error:
        return _refused(error)
    link = url_for("lms.levels.join", token=invite.token, _external=True)
    return render_template(
        "lms/levels/invite.html",
        invite=invite,
        cohort=invite.cohort,
        link=link,
        qr_svg=segno.make(link, error="m").svg_inline(scale=6, border=2),
        problem=invite_problem(invite),
    )


@bp.route("/staff/cohorts/<int:cohort_id>/invites/<int:invite_id>/revoke", methods=["POST"])
@role_required(*STAFF_ROLES)
def revoke_cohort_invite(cohort_id: int, invite_id: int) -> Any:
    try:
        revoke_invite(require_profile(), cohort_id, invite_id)
    except LevelError as error:
        return _refused(error)
    get_session().commit()
    flash(_("The invitation is withdrawn; learners who joined stay."), "info")
    return redirect(url_for("lms.levels.cohort", cohort_id=cohort_id))


@bp.route("/staff/cohorts/<int:cohort_id>/members/<int:profile_id>/remove", methods=["POST"])
@role_required(*STAFF_ROLES)
def remove_cohort_member(cohort_id: int, profile_id: int) -> Any:
    staff = require_profile()
    try:
        remove_member(staff, managed_cohort(staff, cohort_id), profile_id)
    except LevelError as error:
        return _refused(error)
    get_session().commit()
    flash(_("The learner was taken out of the cohort; their records stay."), "info")
    return redirect(url_for("lms.levels.cohort", cohort_id=cohort_id))


@bp.route("/staff/cohorts/<int:cohort_id>/export.csv")
@role_required(*STAFF_ROLES)
def cohort_export(cohort_id: int) -> Any:
    staff = require_profile()
    try:
        found = cohort_for_staff(staff, cohort_id)
    except LevelError as error:
        return _refused(error)
    # A BOM so spreadsheet programs read the Chinese names as UTF-8.
    body = "\ufeff" + cohort_csv(found, current_locale())
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="cohort-{found.id}.csv"'},
    )


@bp.route("/staff/sign-offs", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def signoffs() -> Any:
    staff = require_profile()
    form = SignOffForm()
    if form.is_submitted():
        if not form.validate_on_submit():
            message = next(iter(form.errors.values()), [_("Check the form and try again.")])[0]
            return error_response(400, str(message))
        try:
            signoff = record_signoff(
                staff,
                form.learner_id.data,
                form.track_key.data,
                form.requirement_key.data,
                form.result.data,
                form.note.data or "",
            )
        except LevelError as error:
            return _refused(error)
        get_session().commit()
        if signoff.result.value == "pass":
            flash(_("Sign-off recorded: pass."), "success")
        else:
            flash(_("Sign-off recorded: not yet. The learner sees your note."), "info")
        return redirect(url_for("lms.levels.signoffs"))
    try:
        rows = awaiting_signoffs(staff)
    except LevelError as error:
        return _refused(error)
    return render_template("lms/levels/signoffs.html", rows=rows)


# ------------------------------------------------------------------ joining


@bp.route("/join")
@login_required
def join_code() -> Any:
    """The learner types a join code; a known one leads to its consent screen."""
    form = JoinCodeForm(request.args)
    if not request.args:
        return render_template("lms/levels/join_code.html", form=form)
    if not form.validate():
        return render_template("lms/levels/join_code.html", form=form), 400
    try:
        invite = invite_by_code(form.code.data)
    except LevelError as error:
        form.code.errors.append(error.message)
        return render_template("lms/levels/join_code.html", form=form), error.status
    return redirect(url_for("lms.levels.join", token=invite.token))


def _consent_page(learner: Profile, invite: CohortInvite, status: int = 200) -> Any:
    problem = None
    try:
        check_can_accept(learner, invite)
    except LevelError as error:
        if error.status == 404:
            raise
        problem = error.message
        status = error.status if status == 200 else status
    return (
        render_template(
            "lms/levels/join.html",
            invite=invite,
            cohort=invite.cohort,
            organisation=invite.cohort.organisation,
            trainer=invite.created_by,
            problem=problem,
        ),
        status,
    )


@bp.route("/join/<token>", methods=["GET", "POST"])
@login_required
def join(token: str) -> Any:
    """The consent screen: who will see what; the learner joins only by confirming."""
    learner = require_profile()
    try:
        invite = invite_by_token(token)
        if request.method == "GET":
            return _consent_page(learner, invite)
        try:
            accept_invite(learner, invite)
        except LevelError as error:
            if error.status == 404:
                raise
            get_session().rollback()
            return _consent_page(learner, invite_by_token(token), error.status)
    except LevelError as error:
        return _refused(error)
    get_session().commit()
    flash(_("You joined %(cohort)s.", cohort=invite.cohort.name), "success")
    return redirect(url_for("lms.levels.my_cohorts"))


@bp.route("/my/cohorts")
@login_required
def my_cohorts() -> Any:
    """The cohorts the learner is in, who sees their records, and open invitations."""
    learner = require_profile()
    return render_template(
        "lms/levels/my_cohorts.html",
        memberships=memberships_of(learner),
        pending=pending_invites(learner),
    )


@bp.route("/my/cohorts/<int:cohort_id>/leave", methods=["POST"])
@login_required
def leave(cohort_id: int) -> Any:
    learner = require_profile()
    try:
        member = leave_cohort(learner, cohort_id)
    except LevelError as error:
        return _refused(error)
    get_session().commit()
    flash(
        _(
            "You left %(cohort)s. Its organisation sees nothing new of you from now on.",
            cohort=member.cohort.name,
        ),
        "info",
    )
    return redirect(url_for("lms.levels.my_cohorts"))
