"""A station's report over a period: sessions, sign-ups, attendance, no-shows,
the hours credited and the needs its riders named; the CSV names no rider;
bad periods are refused with a message; another organisation's station is not found."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import render_template_string
from markupsafe import Markup

from lms.accounts.models import Role
from lms.courses.attended import record_attended_training
from lms.db import utcnow
from lms.sessions.models import Attendance, Booking, BookingStatus, CheckInMethod
from lms.sessions.reports import _SESSION_REPORT_SECTIONS, register_session_report_section
from lms.state import get_session
from tests.conftest import post_form
from tests.sessions.test_sessions import ORGANISATION, member_of, schedule, signed_in
from tests.surveys.test_surveys import add_station, answers_for, from_template, questions


def _attend(app, session_id: int, profile_id: int, seconds: int) -> None:
    with app.app_context():
        get_session().add(
            Attendance(
                session_id=session_id,
                profile_id=profile_id,
                method=CheckInMethod.BY_HAND,
                reason="补签",
                created_at=utcnow(),
            )
        )
        record_attended_training(profile_id, f"session:{session_id}", "t", seconds, utcnow())
        get_session().commit()


def _book(app, session_id: int, *profile_ids: int) -> None:
    with app.app_context():
        for profile_id in profile_ids:
            get_session().add(
                Booking(session_id=session_id, profile_id=profile_id, status=BookingStatus.BOOKED)
            )
        get_session().commit()


def test_the_station_report_adds_up_its_sessions_hours_and_needs(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    east = add_station(app, trainer.organisation_id, "东站")
    west = add_station(app, trainer.organisation_id, "西站")
    riders = [people.make(Role.LEARNER, name="骑手" + "甲乙丙"[n]) for n in range(3)]
    for rider in riders:
        member_of(app, rider, trainer.organisation_id)
    now = utcnow()
    past = schedule(
        app,
        trainer,
        station_id=east,
        starts_at=now - timedelta(days=2, hours=2),
        ends_at=now - timedelta(days=2),
        capacity=5,
    )
    coming = schedule(app, trainer, station_id=east, capacity=5)
    long_ago = schedule(
        app,
        trainer,
        station_id=east,
        starts_at=now - timedelta(days=90),
        ends_at=now - timedelta(days=90) + timedelta(hours=1),
    )
    elsewhere = schedule(
        app,
        trainer,
        station_id=west,
        starts_at=now - timedelta(days=1, hours=1),
        ends_at=now - timedelta(days=1),
    )
    _book(app, past, *(r.profile_id for r in riders))
    _book(app, coming, riders[0].profile_id)
    _attend(app, past, riders[0].profile_id, 7200)
    _attend(app, past, riders[1].profile_id, 3600)
    _attend(app, long_ago, riders[2].profile_id, 3600)
    _attend(app, elsewhere, riders[2].profile_id, 3600)
    staff = signed_in(app, trainer)
    survey_id = from_template(staff)
    qs = questions(app, survey_id)
    for rider, station in ((riders[0], east), (riders[1], east), (riders[2], west)):
        answers = answers_for(qs, rest=("night-rest",) if station == west else ("water",))
        client = signed_in(app, rider)
        assert (
            post_form(
                client, f"/surveys/{survey_id}", {**answers, "station_id": str(station)}
            ).status_code
            == 302
        )

    # The 30 days up to the day after tomorrow: the coming session too.
    until = (now + timedelta(days=3)).date().isoformat()
    page = staff.get(f"/sessions/manage/stations/{east}/report?to={until}")
    csv_response = staff.get(f"/sessions/manage/stations/{east}/report.csv?to={until}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    figures = html.split('<dl class="figures">')[1].split("</dl>")[0]
    # Two sessions in the last 30 days (the one 90 days ago is outside), 4 places
    # taken, 2 came, 1 no-show (the coming session has none yet), 3 hours.
    assert [part.split("</dd>")[0] for part in figures.split("<dd>")[1:]] == [
        "2",
        "4",
        "2",
        "1",
        "3",
    ]
    needs = html.split('<ol class="needs">')[1].split("</ol>")[0]
    assert "饮用水 · 2位骑手" in needs and "夜间能休息的地方" not in needs
    rows = list(csv.reader(io.StringIO(csv_response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["培训", "开始时间", "已报名", "出勤", "缺席", "培训学时"]
    assert [row[2:] for row in rows[1:3]] == [["3", "2", "1", "3"], ["1", "0", "", "0"]]
    assert rows[3] == ["合计", "", "4", "2", "1", "3"]
    assert ["饮用水", "2"] in rows
    body = csv_response.get_data(as_text=True)
    assert all(rider.name not in body for rider in riders)
    # A wider period takes in the session 90 days ago.
    first = (now - timedelta(days=100)).date().isoformat()
    wide = staff.get(f"/sessions/manage/stations/{east}/report?from={first}&to={until}")
    wide = wide.get_data(as_text=True)
    assert wide.split('<dl class="figures">')[1].split("<dd>")[1].startswith("3<")


def test_bad_periods_and_other_organisations_stations_are_refused(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    station = add_station(app, trainer.organisation_id, "东站")
    staff = signed_in(app, trainer)
    url = f"/sessions/manage/stations/{station}/report"

    for query, words in (
        ("?from=2026-13-01", "YYYY-MM-DD"),
        ("?from=yesterday", "YYYY-MM-DD"),
        ("?from=2026-05-02&to=2026-05-01", "结束日期不能早于开始日期"),
        ("?from=2024-01-01&to=2026-01-01", "最多366天"),
    ):
        for suffix in ("", ".csv"):
            response = staff.get(url.replace("/report", "/report" + suffix) + query)
            assert response.status_code == 400, (query, suffix)
            assert words in response.get_data(as_text=True)
    other = signed_in(app, people.make(Role.TRAINER, organisation="乙公司"))
    assert other.get(url).status_code == 404
    assert other.get(url + ".csv").status_code == 404
    assert staff.get("/sessions/manage/stations/999999/report").status_code == 404


def test_another_domain_adds_a_section_to_the_session_report(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    session_id = schedule(app, trainer)

    def live_results(training):
        html = '<section class="live">{{ title }}</section>'
        # The template escaped the title: its output is safe HTML.
        return Markup(render_template_string(html, title=training.title))  # noqa: S704

    register_session_report_section(live_results)
    try:
        page = signed_in(app, trainer).get(f"/sessions/manage/{session_id}").get_data(as_text=True)
    finally:
        _SESSION_REPORT_SECTIONS.remove(live_results)

    assert '<section class="live">夜间骑行安全</section>' in page
