"""Every route of the app, visited by every kind of person, on objects owned by
organisation X, answers as the table below says.

The routes come from the app's URL map, so a new route that is not in the
table fails this test: nothing ships unclassified. Statuses: 200 a page, 302 a
redirect (for a visitor: to the login page), 400 a form refused for its
content (the person got past the access rule), 403 an action this person may
not take, 404 an object this person may not know exists.

POST requests carry a valid CSRF token and an empty form, so an allowed person
reaches the form's validation without changing anything; where an empty form
is a complete request (copy, archive, delete...) the objects are rebuilt after
it succeeded, so every visit sees the same world.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.accounts.models import Cohort, CohortMember, OrganisationKind, Profile, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.db import utcnow
from lms.state import get_session
from tests.conftest import PASSWORD, PUBLISHER, build_test_app, csrf_token_for, log_in
from tests.security.conftest import MATRIX_PAIRS

ROLES = (
    "anonymous",
    "learner_a",
    "learner_b",
    "employer",
    "employer_b",
    "trainer_y",
    "admin_y",
    "platform_admin",
    "trainer_x",
    "admin_x",
)
"""Who visits, in this order: the people refused come first, the owners last."""

OWNERS = ("learner_a", "learner_b", "employer", "trainer_x", "admin_x")
"""The people whose successful POSTs may change X's objects."""

LOGIN = "login"
"""A visitor sent to log in: a 302 whose Location is the login page."""


def everyone(status: int) -> dict[str, Any]:
    return dict.fromkeys(ROLES, status)


def logged_in(status: int) -> dict[str, Any]:
    return {**everyone(status), "anonymous": LOGIN}


def staff(x: int, y: int, platform: int) -> dict[str, Any]:
    """Staff only: ``x`` for X's staff, ``y`` for Y's, ``platform`` for the operator."""
    return {
        "anonymous": LOGIN,
        "learner_a": 403,
        "learner_b": 403,
        "employer": 403,
        "employer_b": 403,
        "trainer_y": y,
        "admin_y": y,
        "platform_admin": platform,
        "trainer_x": x,
        "admin_x": x,
    }


def admins(x: int, y: int, platform: int) -> dict[str, Any]:
    """Organisation admins and the platform admin only; trainers are refused."""
    return {**staff(x, y, platform), "trainer_x": 403, "trainer_y": 403}


def employers(own: int, other: int) -> dict[str, Any]:
    """Employer pages: ``own`` for the employer whose objects they are, ``other`` for
    another employer; everyone else is refused."""
    return {**logged_in(403), "employer": own, "employer_b": other}


def holder_only(holder: int, others: int) -> dict[str, Any]:
    """A learner's own object: the holder gets ``holder``, every other person ``others``."""
    return {**logged_in(others), "learner_a": holder}


#: Routes after which the person must log in again.
SIGNING_OUT = ("lms.accounts.logout", "lms.accounts.sign_out_everywhere")

# (endpoint, method) -> expected status per role.
MATRIX: dict[tuple[str, str], dict[str, Any]] = {
    # -------------------------------------------------------------- public
    # An employer's account lands on its dashboard.
    ("lms.courses.home", "GET"): {**everyone(200), "employer": 302, "employer_b": 302},
    ("lms.courses.offline", "GET"): everyone(200),
    ("lms.courses.service_worker", "GET"): everyone(200),
    ("lms.courses.favicon", "GET"): everyone(200),
    ("lms.courses.manifest", "GET"): everyone(200),
    ("lms.static", "GET"): everyone(200),
    ("lms.ops.healthz", "GET"): everyone(200),
    ("lms.ops.readyz", "GET"): everyone(200),
    ("lms.certificates.jwks", "GET"): everyone(200),
    ("lms.certificates.openapi", "GET"): everyone(200),
    ("lms.certificates.verify", "GET"): everyone(200),
    ("lms.certificates.verify_pdf", "GET"): everyone(200),
    ("lms.certificates.verify_pdf", "POST"): everyone(400),
    ("lms.certificates.api_certificate", "GET"): everyone(200),
    # The share link's page (its key shows the full record) and the status lists.
    ("lms.certificates.short_link", "GET"): everyone(200),
    ("lms.certificates.status_list", "GET"): everyone(200),
    # Without a language chosen, the form is refused for its content.
    ("lms.accounts.language", "GET"): everyone(400),
    ("lms.accounts.language", "POST"): everyone(400),
    ("lms.courses.course", "GET"): everyone(200),
    # Logged in: sent on to the step where the learner left off.
    ("lms.courses.lesson", "GET"): logged_in(302),
    # ----------------------------------------------------------- accounts
    ("lms.accounts.login", "GET"): {**everyone(302), "anonymous": 200},
    ("lms.accounts.login", "POST"): {**everyone(302), "anonymous": 400},
    ("lms.accounts.login_code", "GET"): {**everyone(302), "anonymous": 200},
    ("lms.accounts.login_code", "POST"): {**everyone(302), "anonymous": 400},
    # Without a code asked for first, a visitor is sent to ask for one.
    ("lms.accounts.login_code_enter", "GET"): {**everyone(302), "anonymous": LOGIN},
    ("lms.accounts.login_code_enter", "POST"): {**everyone(302), "anonymous": LOGIN},
    ("lms.accounts.register", "GET"): everyone(200),
    ("lms.accounts.register", "POST"): everyone(400),
    ("lms.accounts.logout", "POST"): everyone(302),
    ("lms.accounts.password", "GET"): logged_in(200),
    ("lms.accounts.password", "POST"): logged_in(400),
    # Ends every session of the account (this one too) and sends it to log in.
    ("lms.accounts.sign_out_everywhere", "POST"): logged_in(LOGIN),
    ("lms.accounts.people", "GET"): staff(200, 200, 200),
    # Only the operator manages organisations and their admins.
    ("lms.accounts.organisations", "GET"): {**staff(403, 403, 200), "platform_admin": 200},
    ("lms.accounts.organisations", "POST"): {**staff(403, 403, 400)},
    # ------------------------------------------------------- learner pages
    ("lms.courses.save_step", "POST"): logged_in(400),
    # JSON with its own header instead of a CSRF token; a visitor gets a 401 to show.
    ("lms.courses.sync", "POST"): {**everyone(400), "anonymous": 401},
    ("lms.courses.review", "GET"): logged_in(200),
    # An empty form names no question of the person's review list.
    ("lms.courses.review", "POST"): logged_in(404),
    ("lms.courses.confirm_stopped", "POST"): logged_in(303),
    ("lms.levels.tracks", "GET"): logged_in(200),
    ("lms.levels.track", "GET"): logged_in(200),
    ("lms.certificates.mine", "GET"): logged_in(200),
    ("lms.assessments.quiz", "GET"): logged_in(200),
    ("lms.assessments.start", "POST"): logged_in(303),
    # Another learner's attempt does not exist for anyone but its taker.
    ("lms.assessments.attempt", "GET"): holder_only(200, 404),
    ("lms.assessments.autosave", "POST"): holder_only(400, 404),
    ("lms.assessments.save", "POST"): holder_only(303, 404),
    ("lms.assessments.submit", "POST"): holder_only(303, 404),
    ("lms.assessments.result", "GET"): holder_only(302, 404),
    # The PDF: its holder, X's admins and the operator; nobody else learns it exists.
    ("lms.certificates.pdf", "GET"): {
        **everyone(404),
        "learner_a": 200,
        "admin_x": 200,
        "platform_admin": 200,
    },
    # The credential: the same people as the PDF.
    ("lms.certificates.credential", "GET"): {
        **everyone(404),
        "learner_a": 200,
        "admin_x": 200,
        "platform_admin": 200,
    },
    # The holder's share link and QR image: nobody else learns the certificate exists.
    ("lms.certificates.create_share_link", "POST"): holder_only(303, 404),
    ("lms.certificates.withdraw_share_link", "POST"): holder_only(303, 404),
    ("lms.certificates.qr_image", "GET"): holder_only(200, 404),
    # The share link's page and preview image are public: the key is the permission.
    ("lms.certificates.shared", "GET"): everyone(200),
    ("lms.certificates.share_preview", "GET"): everyone(200),
    # ------------------------------------------------------- certificates
    ("lms.certificates.admin_list", "GET"): admins(200, 200, 200),
    # An empty form is refused for its content; Y's admins see their own courses only.
    ("lms.certificates.issue_by_hand", "GET"): admins(200, 200, 200),
    ("lms.certificates.issue_by_hand", "POST"): admins(400, 400, 400),
    ("lms.certificates.audit", "GET"): admins(200, 200, 200),
    # Each admin edits their own organisation's design; an empty form has no colour.
    ("lms.certificates.design_page", "GET"): admins(200, 200, 200),
    ("lms.certificates.design_page", "POST"): admins(400, 400, 400),
    ("lms.certificates.design_preview", "GET"): admins(200, 200, 200),
    ("lms.certificates.audit_csv", "GET"): admins(200, 200, 200),
    ("lms.certificates.admin_detail", "GET"): admins(200, 404, 200),
    ("lms.certificates.revoke", "POST"): admins(400, 404, 403),
    ("lms.certificates.reissue", "POST"): admins(400, 404, 403),
    # ------------------------------------------------------------ cohorts
    ("lms.levels.cohorts", "GET"): staff(200, 200, 200),
    ("lms.levels.cohorts", "POST"): staff(400, 400, 400),
    ("lms.levels.cohort", "GET"): staff(200, 404, 200),
    ("lms.levels.cohort_export", "GET"): staff(200, 404, 200),
    ("lms.levels.add_cohort_member", "POST"): staff(400, 404, 403),
    ("lms.levels.remove_cohort_member", "POST"): staff(302, 404, 403),
    # Fields left out take their defaults (14 days, 50 places).
    ("lms.levels.create_cohort_invite", "POST"): staff(302, 404, 403),
    ("lms.levels.cohort_invite", "GET"): staff(200, 404, 403),
    ("lms.levels.revoke_cohort_invite", "POST"): staff(302, 404, 403),
    ("lms.levels.signoffs", "GET"): staff(200, 200, 200),
    ("lms.levels.signoffs", "POST"): staff(400, 400, 400),
    # ------------------------------------------------------------ joining
    ("lms.levels.join_code", "GET"): logged_in(200),
    ("lms.levels.my_cohorts", "GET"): logged_in(200),
    # X's invitation: B may join, A is in already, staff accounts never join.
    ("lms.levels.join", "GET"): {**logged_in(403), "learner_a": 409, "learner_b": 200},
    ("lms.levels.join", "POST"): {**logged_in(403), "learner_a": 409, "learner_b": 302},
    ("lms.levels.leave", "POST"): holder_only(302, 404),
    # ------------------------------------------------------ item analysis
    ("lms.assessments.items", "GET"): staff(200, 404, 404),
    ("lms.assessments.items_csv", "GET"): staff(200, 404, 404),
    # ------------------------------------------------------------- studio
    ("lms.studio.index", "GET"): staff(200, 200, 200),
    ("lms.studio.create", "POST"): staff(400, 400, 400),
    ("lms.studio.course", "GET"): staff(200, 404, 404),
    ("lms.studio.archive", "POST"): staff(303, 404, 404),
    ("lms.studio.restore", "POST"): staff(303, 404, 404),
    ("lms.studio.copy", "POST"): staff(400, 404, 404),
    ("lms.studio.edit", "POST"): staff(303, 404, 404),
    ("lms.studio.export_course", "GET"): staff(200, 404, 404),
    ("lms.studio.draft", "GET"): staff(200, 404, 404),
    ("lms.studio.check", "POST"): staff(303, 404, 404),
    ("lms.studio.save_course", "POST"): staff(400, 404, 404),
    ("lms.studio.delete_draft", "POST"): staff(400, 404, 404),
    ("lms.studio.export_draft", "GET"): staff(200, 404, 404),
    ("lms.studio.import_bank", "GET"): staff(200, 404, 404),
    # No file: the form shows again with its message.
    ("lms.studio.import_bank", "POST"): staff(200, 404, 404),
    ("lms.studio.add_lesson", "POST"): staff(400, 404, 404),
    ("lms.studio.lesson", "GET"): staff(200, 404, 404),
    ("lms.studio.lesson", "POST"): staff(400, 404, 404),
    ("lms.studio.delete_lesson", "POST"): staff(400, 404, 404),
    ("lms.studio.preview_frame", "GET"): staff(200, 404, 404),
    ("lms.studio.preview_frame", "POST"): staff(303, 404, 404),
    ("lms.studio.move_lesson", "POST"): staff(400, 404, 404),
    ("lms.studio.preview", "GET"): staff(200, 404, 404),
    ("lms.studio.publish", "POST"): staff(400, 404, 404),
    ("lms.studio.questions", "GET"): staff(200, 404, 404),
    ("lms.studio.question", "GET"): staff(200, 404, 404),
    ("lms.studio.question", "POST"): staff(400, 404, 404),
    ("lms.studio.delete_question", "POST"): staff(400, 404, 404),
    ("lms.studio.add_question", "GET"): staff(200, 404, 404),
    ("lms.studio.add_question", "POST"): staff(400, 404, 404),
    # ------------------------------------------------------------ reports
    ("lms.studio.report_index", "GET"): staff(200, 200, 200),
    ("lms.studio.course_report", "GET"): staff(200, 404, 404),
    ("lms.studio.course_report_csv", "GET"): staff(200, 404, 404),
    # The operator sees every cohort; the first course it may read is a shipped one.
    ("lms.studio.cohort_report", "GET"): staff(200, 404, 200),
    ("lms.studio.cohort_report_csv", "GET"): staff(200, 404, 200),
    # ---------------------------------------------------------- employers
    ("lms.employers.dashboard", "GET"): employers(200, 200),
    ("lms.employers.dashboard_csv", "GET"): employers(200, 200),
    # An empty form takes the default validity (30 days).
    ("lms.employers.hiring_codes", "GET"): employers(200, 200),
    ("lms.employers.hiring_codes", "POST"): employers(302, 302),
    ("lms.employers.revoke_hiring_code", "POST"): employers(302, 404),
    # No file: refused with its message.
    ("lms.employers.bulk_checks", "GET"): employers(200, 200),
    ("lms.employers.bulk_checks", "POST"): employers(400, 400),
    ("lms.employers.bulk_check", "GET"): employers(200, 404),
    ("lms.employers.bulk_check_csv", "GET"): employers(200, 404),
    # No label: the form shows again with its message.
    ("lms.employers.keys", "GET"): employers(200, 200),
    ("lms.employers.keys", "POST"): employers(400, 400),
    ("lms.employers.revoke_key", "POST"): employers(302, 404),
    # The HR systems' API takes a key, never a session.
    ("lms.employers.api_verifications", "POST"): everyone(401),
    # ----------------------------------------------------------- sessions
    ("lms.sessions.stations", "GET"): logged_in(200),
    ("lms.sessions.manage_stations", "GET"): admins(200, 200, 200),
    ("lms.sessions.manage_stations", "POST"): admins(400, 400, 400),
    ("lms.sessions.edit_station", "GET"): admins(200, 404, 404),
    ("lms.sessions.edit_station", "POST"): admins(400, 404, 404),
    ("lms.sessions.manage_sessions", "GET"): staff(200, 200, 200),
    ("lms.sessions.manage_sessions", "POST"): staff(400, 400, 400),
    ("lms.sessions.session_roster", "GET"): staff(200, 404, 404),
    ("lms.sessions.upcoming", "GET"): logged_in(200),
    # Riders of X only (B joined X's cohort through its invitation above); cancelling
    # a place never taken is refused for its content.
    ("lms.sessions.sign_up", "POST"): {**logged_in(403), "learner_a": 302, "learner_b": 302},
    ("lms.sessions.cancel", "POST"): {**logged_in(403), "learner_a": 400, "learner_b": 400},
    # X's session starts tomorrow: its check-in is not open yet.
    ("lms.sessions.check_in_screen", "GET"): staff(200, 404, 404),
    ("lms.sessions.check_in_qr", "GET"): staff(409, 404, 404),
    ("lms.sessions.check_in_by_hand", "POST"): staff(400, 404, 404),
    ("lms.sessions.check_in_page", "GET"): {**logged_in(403), "learner_a": 200, "learner_b": 200},
    ("lms.sessions.check_in_page", "POST"): {**logged_in(403), "learner_a": 400, "learner_b": 400},
    ("lms.sessions.my_sessions", "GET"): logged_in(200),
    ("lms.sessions.session_report_csv", "GET"): staff(200, 404, 404),
    # The live case: X's session has no linked course and no live case yet, and
    # learner A and B signed up but did not check in, so they are refused (403).
    ("lms.sessions.live_screen", "GET"): staff(200, 404, 404),
    ("lms.sessions.start_live", "POST"): staff(400, 404, 404),
    ("lms.sessions.move_live", "POST"): staff(400, 404, 404),
    ("lms.sessions.live_phone", "GET"): logged_in(403),
    ("lms.sessions.live_answer", "POST"): logged_in(403),
    ("lms.sessions.live_state", "GET"): {
        **staff(200, 404, 404),
        "employer": 404,
        "employer_b": 404,
    },
    # No live case, so nothing to stream even for X's staff (the page polls the state).
    ("lms.sessions.live_stream", "GET"): {
        **staff(404, 404, 404),
        "employer": 404,
        "employer_b": 404,
    },
    ("lms.sessions.station_report", "GET"): staff(200, 404, 404),
    ("lms.sessions.station_report_csv", "GET"): staff(200, 404, 404),
    # ------------------------------------------------------------ surveys
    # An empty survey form has no title; the template needs nothing more than a
    # click (a station is optional), so it opens a survey of the staff's own
    # organisation; an empty status change is refused for its content.
    ("lms.surveys.manage", "GET"): staff(200, 200, 200),
    ("lms.surveys.manage", "POST"): staff(400, 400, 400),
    ("lms.surveys.from_template", "POST"): staff(302, 302, 302),
    ("lms.surveys.results_page", "GET"): staff(200, 404, 404),
    ("lms.surveys.results_csv", "GET"): staff(200, 404, 404),
    ("lms.surveys.change_status", "POST"): staff(400, 404, 404),
    ("lms.surveys.open_surveys", "GET"): logged_in(200),
    # Riders of X only; an empty answer sheet is refused for its content.
    ("lms.surveys.answer", "GET"): {**logged_in(403), "learner_a": 200, "learner_b": 200},
    ("lms.surveys.answer", "POST"): {**logged_in(403), "learner_a": 400, "learner_b": 400},
    # Sharing: anyone signed in may share their own certificates; nothing chosen is a 400.
    ("lms.employers.share_code", "GET"): logged_in(200),
    ("lms.employers.share", "GET"): logged_in(200),
    ("lms.employers.share", "POST"): logged_in(400),
    ("lms.employers.my_shares", "GET"): logged_in(200),
    ("lms.employers.withdraw", "POST"): holder_only(302, 404),
    # LTI 1.3: the key set is public; login and launch come from any platform
    # (an empty request is refused for its content); registrations are X's.
    ("lms.lti.jwks", "GET"): everyone(200),
    ("lms.lti.login", "GET"): everyone(400),
    ("lms.lti.login", "POST"): everyone(400),
    ("lms.lti.launch", "POST"): everyone(400),
    ("lms.lti.deep_link", "POST"): everyone(400),
    ("lms.lti.platforms", "GET"): admins(200, 200, 200),
    ("lms.lti.platforms", "POST"): admins(400, 400, 400),
    ("lms.lti.edit_platform", "GET"): admins(200, 404, 404),
    ("lms.lti.edit_platform", "POST"): admins(400, 404, 404),
}


@dataclass
class World:
    """The people and X's objects every URL is filled from."""

    phones: dict[str, str]
    values: dict[str, Any]


def _make_people(app: Flask) -> dict[str, str]:
    with app.app_context():
        session = get_session()
        x = get_or_create_organisation("甲骑手驿站", OrganisationKind.PLATFORM)
        y = get_or_create_organisation("乙物流公司", OrganisationKind.TRAINING_PROVIDER)
        employer = get_or_create_organisation("丙配送有限公司", OrganisationKind.EMPLOYER)
        employer_b = get_or_create_organisation("丁人力资源公司", OrganisationKind.EMPLOYER)
        publisher = get_or_create_organisation(PUBLISHER, OrganisationKind.TRAINING_PROVIDER)
        people = {
            "learner_a": (Role.LEARNER, None),
            "learner_b": (Role.LEARNER, None),
            "employer": (Role.EMPLOYER, employer),
            "employer_b": (Role.EMPLOYER, employer_b),
            "trainer_y": (Role.TRAINER, y),
            "admin_y": (Role.ADMIN, y),
            "platform_admin": (Role.PLATFORM_ADMIN, publisher),
            "trainer_x": (Role.TRAINER, x),
            "admin_x": (Role.ADMIN, x),
        }
        phones = {}
        for number, (name, (role, organisation)) in enumerate(people.items(), start=1):
            phone = f"1370000{number:04d}"
            create_user(
                phone, PASSWORD, "测试" + "甲乙丙丁戊己庚辛壬癸"[number], role, organisation
            )
            phones[name] = phone
        session.commit()
        return phones


def _profile(phone: str) -> Profile:
    from lms.accounts.services import find_user_by_phone

    user = find_user_by_phone(phone)
    assert user is not None
    return get_session().query(Profile).filter_by(user_ref=user.get_id()).one()


def _build_objects(app: Flask, phones: dict[str, str], generation: int) -> dict[str, Any]:
    """X's cohort, course, draft, certificate and learner A's attempt; fresh keys each time."""
    from lms.assessments.services import start_attempt
    from lms.certificates.access import share_key
    from lms.certificates.issuing import issue_certificate
    from lms.certificates.models import CertificateKind
    from lms.certificates.sharing import create_share_link
    from lms.courses.services import course_by_key
    from lms.employers.api_keys import api_keys, create_api_key, revoke_api_key
    from lms.employers.bulk import run_bulk_check
    from lms.employers.services import create_hiring_code, share_certificates
    from lms.interop.lti_models import LtiPlatform
    from lms.levels.invites import create_invite
    from lms.levels.services import published_tracks
    from lms.sessions.models import Station, TrainingSession
    from lms.studio.drafts import edit_course
    from lms.studio.models import Draft
    from lms.studio.publishing import publish_draft
    from lms.surveys.services import create_from_template
    from tests.studio.conftest import valid_course

    with app.app_context():
        session = get_session()
        trainer = _profile(phones["trainer_x"])
        learner = _profile(phones["learner_a"])
        key = f"x-course-{generation}"
        draft = Draft(
            course_key=key,
            organisation_id=trainer.organisation_id,
            data=valid_course(key),
            created_by_id=trainer.id,
        )
        session.add(draft)
        session.flush()
        result, problems = publish_draft(draft, draft.revision, trainer)
        assert result is not None, problems
        session.commit()
        draft = edit_course(trainer, key)
        cohort = Cohort(organisation_id=trainer.organisation_id, name=f"甲站一班 {generation}")
        session.add(cohort)
        session.flush()
        session.add(CohortMember(cohort_id=cohort.id, profile_id=learner.id))
        certificate = issue_certificate(
            profile_id=learner.id,
            kind=CertificateKind.TRAINING,
            achievement_key=f"course:{key}:profile:{learner.id}",
            title={"zh_CN": "夜间安全", "en": "Night safety"},
            hours=1.0,
            evidence={},
            course_key=key,
            organisation_id=trainer.organisation_id,
        )
        share_link = create_share_link(learner, certificate)
        course = course_by_key(key)
        assert course is not None and course.current_version is not None
        attempt = start_attempt(learner, course)
        invite = create_invite(trainer, cohort.id, days=7, max_uses=20)
        employer = _profile(phones["employer"])
        hiring_code = create_hiring_code(employer, 7)
        (share,) = share_certificates(learner, hiring_code, [certificate.id])
        bulk_check = run_bulk_check(
            hiring_code.organisation_id, employer.id, "riders.csv", certificate.number.encode()
        )
        for old_key in api_keys(employer):
            # Each generation's key replaces the last: an organisation has at most 20.
            revoke_api_key(employer, old_key.id)
        api_key, _secret = create_api_key(employer, f"HR {generation}")
        station = Station(
            organisation_id=trainer.organisation_id,
            name_zh=f"甲站 {generation}",
            address="人民路 1 号",
            district="朝阳区",
            opening_hours="08:00–22:00",
            facilities=["drinking_water"],
        )
        session.add(station)
        session.flush()
        training = TrainingSession(
            organisation_id=trainer.organisation_id,
            trainer_id=trainer.id,
            title=f"夜间安全 {generation}",
            station_id=station.id,
            starts_at=utcnow() + timedelta(days=1),
            ends_at=utcnow() + timedelta(days=1, hours=2),
            capacity=10,
            languages=["zh_CN"],
        )
        session.add(training)
        lti_platform = LtiPlatform(
            organisation_id=trainer.organisation_id,
            name=f"甲平台 {generation}",
            issuer="https://moodle.example.cn",
            client_id=f"client-{generation}",
            key_set_url="https://moodle.example.cn/jwks",
            auth_login_url="https://moodle.example.cn/auth",
            auth_token_url="https://moodle.example.cn/token",
        )
        session.add(lti_platform)
        session.flush()
        survey = create_from_template(trainer, station.id, anonymous=True)
        session.commit()
        return {
            "key": key,
            "course_key": key,
            "lesson_key": course.current_version.lessons[0].key,
            "draft_id": draft.id,
            "index": 0,
            "cohort_id": cohort.id,
            "profile_id": learner.id,
            "number": certificate.number,
            "code": f"{certificate.number}.{share_key(certificate)}",
            "fmt": "jwt",
            "list_id": certificate.status_list_id,
            "attempt_id": attempt.id,
            "invite_id": invite.id,
            "token": invite.token,
            "position": 1,
            "track_key": published_tracks()[0].key,
            "table": "learners",
            "filename": "lms/style.css",
            "code_id": hiring_code.id,
            "hiring_token": hiring_code.token,
            "share_id": share.id,
            "link_key": share_link.key,
            "link_id": share_link.id,
            "check_id": bulk_check.id,
            "key_id": api_key.id,
            "station_id": station.id,
            "session_id": training.id,
            "platform_id": lti_platform.id,
            "survey_id": survey.id,
        }


def _clients(app: Flask, phones: dict[str, str]) -> dict[str, FlaskClient]:
    clients: dict[str, FlaskClient] = {"anonymous": app.test_client()}
    for role, phone in phones.items():
        client = app.test_client()
        assert log_in(client, phone).status_code == 302, role
        clients[role] = client
    return clients


def _routes(app: Flask) -> list[tuple[str, str, Any]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, rule))
    return sorted(routes, key=lambda route: (route[2].rule, route[1]))


def _answer(client: FlaskClient, method: str, url: str) -> tuple[Any, Any]:
    if method == "GET":
        response = client.get(url)
    elif url.endswith("/api/sync"):
        response = client.post(url, json={}, headers={"X-LMS-Sync": "1"})
    else:
        response = client.post(url, data={"csrf_token": csrf_token_for(client)})
    if response.status_code == 302 and "/login" in response.headers.get("Location", ""):
        return LOGIN, response
    return response.status_code, response


@pytest.fixture
def matrix_app(database_backend, tmp_path):
    """The app with the shipped content and no rate limit: the limit is not an access
    rule, and this test asks far more than a person would."""
    application = build_test_app(
        database_backend, tmp_path, with_content=True, LMS_RATELIMIT_ENABLED=False
    )
    yield application
    with application.app_context():
        get_session().remove()
        application.extensions["lms"].db.engine.dispose()


def test_every_route_answers_every_role_as_the_access_table_says(matrix_app, pytestconfig):
    content_app = matrix_app
    routes = _routes(content_app)
    unclassified = sorted(
        {f"{endpoint} {method}" for endpoint, method, _rule in routes}
        - {f"{endpoint} {method}" for endpoint, method in MATRIX}
    )
    assert not unclassified, f"routes missing from the access table: {unclassified}"
    stale = sorted(
        {f"{endpoint} {method}" for endpoint, method in MATRIX}
        - {f"{endpoint} {method}" for endpoint, method, _rule in routes}
    )
    assert not stale, f"access table names routes that do not exist: {stale}"

    phones = _make_people(content_app)
    generation = 1
    values = _build_objects(content_app, phones, generation)
    clients = _clients(content_app, phones)
    wrong = []
    checked = 0
    for endpoint, method, rule in routes:
        expected = MATRIX[(endpoint, method)]
        for role in ROLES:
            client = clients[role]
            with content_app.test_request_context():
                from flask import url_for

                url = url_for(endpoint, **{name: values[name] for name in rule.arguments})
            status, response = _answer(client, method, url)
            checked += 1
            if status != expected[role]:
                wrong.append(f"{method} {rule.rule} as {role}: {status}, expected {expected[role]}")
            if endpoint in SIGNING_OUT and role != "anonymous":
                clients[role] = _clients(content_app, {role: phones[role]})[role]
            elif method == "POST" and status in (200, 302, 303) and role in OWNERS:
                # X's staff or learner A may just have changed X's objects: start afresh.
                generation += 1
                values = _build_objects(content_app, phones, generation)
    summary = (
        f"access matrix ({matrix_app.config['LMS_DATABASE_URL'].split(':')[0]}): "
        f"checked {checked} route x role pairs ({len(routes)} routes x methods, {len(ROLES)} roles)"
    )
    print(summary)
    pytestconfig.stash[MATRIX_PAIRS] = summary
    assert not wrong, "\n".join(wrong)
