"""A session's report: signed up, attended and no-shows, and the same as a CSV
file (UTF-8 with a BOM, formulas neutralised) for the organisation's staff only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from lms.accounts.models import Role
from lms.db import utcnow
from lms.sessions.models import Attendance, Booking, BookingStatus, CheckInMethod
from lms.state import get_session
from tests.sessions.test_sessions import ORGANISATION, schedule, signed_in


def test_the_report_counts_attendance_and_exports_a_safe_csv(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    now = utcnow()
    session_id = schedule(
        app, trainer, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1)
    )
    came = people.make(Role.LEARNER, name="张三")
    absent = people.make(Role.LEARNER, name="李四")
    waiting = people.make(Role.LEARNER, name="王五")
    with app.app_context():
        session = get_session()
        session.add_all(
            [
                Booking(
                    session_id=session_id, profile_id=came.profile_id, status=BookingStatus.BOOKED
                ),
                Booking(
                    session_id=session_id, profile_id=absent.profile_id, status=BookingStatus.BOOKED
                ),
                Booking(
                    session_id=session_id,
                    profile_id=waiting.profile_id,
                    status=BookingStatus.WAITING,
                ),
                Attendance(
                    session_id=session_id,
                    profile_id=came.profile_id,
                    method=CheckInMethod.BY_HAND,
                    reason="=HYPERLINK(1)",
                    recorded_by_id=trainer.profile_id,
                ),
            ]
        )
        session.commit()
    staff = signed_in(app, trainer)

    page = staff.get(f"/sessions/manage/{session_id}").get_data(as_text=True)
    response = staff.get(f"/sessions/manage/{session_id}/report.csv")

    figures = page.split('<dl class="figures">')[1].split("</dl>")[0]
    assert [part.split("</dd>")[0] for part in figures.split("<dd>")[1:]] == ["2 / 2", "1", "1"]
    body = response.get_data()
    assert response.status_code == 200 and body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["骑手", "报名", "出勤", "已签到", "方式", "原因"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["张三"][1:3] == ["已报名", "是"]
    # A reason that a spreadsheet would run as a formula is kept as text.
    assert by_name["张三"][4:] == ["代为签到", "'=HYPERLINK(1)"]
    assert by_name["李四"][2] == "否" and by_name["王五"][1] == "候补中"
    other = signed_in(app, people.make(Role.TRAINER, organisation="乙公司"))
    assert other.get(f"/sessions/manage/{session_id}/report.csv").status_code == 404
