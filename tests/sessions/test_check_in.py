"""Check-in by the rotating QR code: inside the session's window, with this
session's current or previous code, once; everything else refused with a clear
message. The trainer checks a rider in by hand with a reason, kept; attendance
shows in "My sessions" and the session_attended signal goes out."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from flask import current_app
from sqlalchemy import select

from lms.accounts.models import Role
from lms.db import utcnow
from lms.sessions import check_in
from lms.sessions.models import Attendance, Booking, BookingStatus, CheckInMethod
from lms.signals import session_attended
from lms.state import get_session
from tests.conftest import post_form
from tests.sessions.test_sessions import ORGANISATION, member_of, schedule, signed_in


def running(app, trainer, **overrides):
    now = utcnow()
    return schedule(
        app,
        trainer,
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=1),
        **overrides,
    )


def code_on_screen(staff, session_id: int) -> str:
    qr = staff.get(f"/sessions/manage/{session_id}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    (code,) = parse_qs(urlparse(qr.headers["X-Check-In-URL"]).query)["code"]
    return code


def attendances(app) -> list[Attendance]:
    with app.app_context():
        return list(get_session().scalars(select(Attendance)))


def test_a_rider_checks_in_once_with_the_code_on_the_trainers_screen(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    session_id = running(app, trainer)
    rider_person = people.make(Role.LEARNER)
    member_of(app, rider_person, trainer.organisation_id)
    staff, rider = signed_in(app, trainer), signed_in(app, rider_person)
    screen = staff.get(f"/sessions/manage/{session_id}/check-in").get_data(as_text=True)
    assert 'data-check-in-url="' in screen and "lms/check-in.js" in screen
    code = code_on_screen(staff, session_id)
    received = []

    def listen(sender, attendance):
        received.append((attendance.session_id, attendance.profile_id))

    session_attended.connect(listen)
    try:
        assert rider.get(f"/sessions/{session_id}/check-in?code={code}").status_code == 200
        done = post_form(rider, f"/sessions/{session_id}/check-in", {"code": code})
        again = post_form(rider, f"/sessions/{session_id}/check-in", {"code": code})
    finally:
        session_attended.disconnect(listen)

    assert done.status_code == 302
    assert again.status_code == 409 and "已经签到" in again.get_data(as_text=True)
    assert received == [(session_id, rider_person.profile_id)]
    (attendance,) = attendances(app)
    assert attendance.method == CheckInMethod.QR
    assert "签到时间" in rider.get("/sessions/mine").get_data(as_text=True)


def test_expired_foreign_and_out_of_window_codes_are_refused(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    session_id = running(app, trainer)
    other_id = running(app, trainer)
    later_id = schedule(app, trainer)  # tomorrow
    rider_person = people.make(Role.LEARNER)
    member_of(app, rider_person, trainer.organisation_id)
    rider = signed_in(app, rider_person)
    with app.test_request_context():
        slot = check_in.current_slot()
        old = check_in.check_in_code(session_id, slot - 2)
        previous = check_in.check_in_code(session_id, slot - 1)
        foreign = check_in.check_in_code(other_id, slot)
        tomorrow = check_in.check_in_code(later_id, slot)
        assert current_app.secret_key

    expired = post_form(rider, f"/sessions/{session_id}/check-in", {"code": old})
    wrong = post_form(rider, f"/sessions/{session_id}/check-in", {"code": foreign})
    forged = post_form(rider, f"/sessions/{session_id}/check-in", {"code": f"{slot}.abc"})
    closed = post_form(rider, f"/sessions/{later_id}/check-in", {"code": tomorrow})

    for response in (expired, wrong, forged):
        assert response.status_code == 400 and "重新扫描" in response.get_data(as_text=True)
    assert closed.status_code == 400 and "签到只在" in closed.get_data(as_text=True)
    assert attendances(app) == []
    # The previous slot's code still works: a phone may be slow to load the page.
    assert (
        post_form(rider, f"/sessions/{session_id}/check-in", {"code": previous}).status_code == 302
    )
    stranger = signed_in(app, people.make(Role.LEARNER))
    code = check_in.check_in_code
    with app.test_request_context():
        fresh = code(session_id)
    assert (
        post_form(stranger, f"/sessions/{session_id}/check-in", {"code": fresh}).status_code == 404
    )


def test_the_trainer_checks_a_rider_in_by_hand_with_a_reason(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    session_id = running(app, trainer)
    rider_person = people.make(Role.LEARNER)
    member_of(app, rider_person, trainer.organisation_id)
    with app.app_context():
        # Signed up before the session started.
        get_session().add(
            Booking(
                session_id=session_id,
                profile_id=rider_person.profile_id,
                status=BookingStatus.BOOKED,
            )
        )
        get_session().commit()
    staff = signed_in(app, trainer)
    url = f"/sessions/manage/{session_id}/check-in-by-hand"

    no_reason = post_form(staff, url, {"profile_id": rider_person.profile_id, "reason": " "})
    not_signed_up = post_form(staff, url, {"profile_id": trainer.profile_id, "reason": "手机没电"})
    done = post_form(staff, url, {"profile_id": rider_person.profile_id, "reason": "手机没电"})
    twice = post_form(staff, url, {"profile_id": rider_person.profile_id, "reason": "手机没电"})

    assert no_reason.status_code == 400 and "原因" in no_reason.get_data(as_text=True)
    assert not_signed_up.status_code == 400
    assert done.status_code == 302 and twice.status_code == 409
    (attendance,) = attendances(app)
    assert attendance.method == CheckInMethod.BY_HAND and attendance.reason == "手机没电"
    assert attendance.recorded_by_id == trainer.profile_id
    other = signed_in(app, people.make(Role.TRAINER, organisation="乙公司"))
    assert (
        post_form(other, url, {"profile_id": rider_person.profile_id, "reason": "x"}).status_code
        == 404
    )
