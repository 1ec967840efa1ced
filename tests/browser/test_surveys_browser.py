"""A needs survey in a real browser: the trainer opens the shipped template, a
rider answers it on a 360 px phone, and the trainer reads the needs ranked with
the lessons that teach them and the station's report; every page is axe-clean."""

from __future__ import annotations

import pytest

from lms.accounts.models import Cohort, CohortMember, OrganisationKind, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.sessions.models import Station
from lms.state import get_session
from tests.browser.support import PASSWORD, PHONE, axe_violations, horizontal_overflow, log_in

pytestmark = pytest.mark.browser


def make_station_and_rider(app) -> int:
    with app.app_context():
        session = get_session()
        organisation = get_or_create_organisation("朝阳骑手驿站", OrganisationKind.PLATFORM)
        create_user("13700000002", PASSWORD, "Li Trainer", Role.TRAINER, organisation)
        rider = create_user("13900000778", PASSWORD, "Zhang Rider", Role.LEARNER)
        cohort = Cohort(organisation_id=organisation.id, name="Morning shift")
        station = Station(
            organisation_id=organisation.id,
            name_zh="望京驿站",
            name_en="Wangjing Station",
            address="望京街 10 号",
            district="朝阳区",
            opening_hours="08:00–22:00",
            facilities=["drinking_water", "phone_charging"],
        )
        session.add_all([cohort, station])
        session.flush()
        session.add(CohortMember(cohort_id=cohort.id, profile_id=rider.id))
        session.commit()
        return station.id


def test_a_rider_answers_the_needs_survey_on_a_phone(live_server, new_page):
    base = live_server.url
    station_id = make_station_and_rider(live_server.app)
    trainer = new_page(locale="zh-CN")
    log_in(trainer, base, "13700000002")
    trainer.goto(f"{base}/surveys/manage")
    assert axe_violations(trainer) == []
    trainer.select_option("#template_station_id", str(station_id))
    trainer.click("form[action$='/surveys/manage/from-template'] button.primary")
    trainer.wait_for_url("**/surveys/manage/*")
    survey_url = trainer.url
    assert axe_violations(trainer) == []

    rider = new_page(viewport=PHONE, locale="zh-CN")
    log_in(rider, base, "13900000778")
    rider.goto(f"{base}/surveys")
    rider.click("ul.cards a")
    rider.wait_for_selector("form.survey")
    assert axe_violations(rider) == []
    assert horizontal_overflow(rider) <= 0
    for label in ("饮用水", "夜间能休息的地方", "职业伤害保障和工伤", "识别诈骗"):
        rider.get_by_label(label).check()
    rider.locator("fieldset").nth(3).get_by_label("2").check()
    rider.get_by_label("还有什么需要").fill("晚上找不到充电的地方")
    rider.click("form.survey button.primary")
    rider.wait_for_url(f"{base}/surveys")
    rider.get_by_text("已填写，谢谢").wait_for()

    trainer.goto(survey_url)
    needs = trainer.locator("ol.needs > li")
    assert needs.count() == 4
    scams = trainer.locator("ol.needs > li", has_text="识别诈骗")
    assert scams.locator("a[href*='/lessons/']").count() >= 1
    assert "晚上找不到充电的地方" in trainer.locator("ul.free-texts").inner_text()
    assert axe_violations(trainer) == []
    trainer.goto(f"{base}/sessions/manage/stations/{station_id}/report")
    assert "饮用水" in trainer.locator("ol.needs").inner_text()
    assert axe_violations(trainer) == []
