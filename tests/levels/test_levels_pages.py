"""The pages: a learner's tracks and home panel, trainers' cohorts, CSV and sign-offs."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from lms.accounts.models import Role
from lms.levels.models import LevelAchievement, SignOff
from lms.state import get_session
from tests.conftest import log_in, post_form
from tests.levels.conftest import (
    accept,
    add_attempt,
    complete_lessons,
    critical_keys,
    invite_link,
    pass_level_5,
)

EN = {"Accept-Language": "en"}
ODW = "online-delivery-worker"
PACKING = "trainer_signoff:odw-mixed-order-packing"
COACHING = "trainer_signoff:odw-coach-newcomer"


def page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def everything_but_signoffs(app, profile_id: int) -> None:
    """Every course passed and every lesson done: ODW L5; L4 and L3 wait for sign-offs."""
    with app.app_context():
        for course in ("legal-safety", "logistics", "ecommerce", "team-lead"):
            add_attempt(profile_id, course, 90, correct=critical_keys(course))
            complete_lessons(profile_id, course)
        get_session().commit()


def levels_of(app, profile_id: int, track: str = ODW) -> list[int]:
    with app.app_context():
        return sorted(
            get_session().scalars(
                select(LevelAchievement.level).where(
                    LevelAchievement.profile_id == profile_id, LevelAchievement.track_key == track
                )
            ),
            reverse=True,
        )


def cohort_with(client, app, trainer, learner, name: str = "朝阳站") -> int:
    log_in(client, trainer.phone)
    response = post_form(client, "/staff/cohorts", {"name": name})
    assert response.status_code == 302
    cohort_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert accept(app, learner, invite_link(client, cohort_id)).status_code == 302
    return cohort_id


# ------------------------------------------------------------------ learners


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get("/levels")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_learner_sees_the_first_checklist(client, people):
    learner = people.make()
    log_in(client, learner.phone)
    html = page(client, f"/levels/{ODW}", headers=EN)
    assert "L5 Junior (modelled on level-5 knowledge)" in html
    assert "Pass the Legal safety for riders and drivers quiz with at least 80%" in html
    assert "Answer every safety-critical question of Legal safety for riders and drivers" in html
    assert "Finish 10 lessons" in html
    assert "0% done" in html
    assert "not an official vocational skill level certificate" in html
    assert "Apply for official recognition" not in html
    assert client.get("/levels/no-such-track").status_code == 404


def test_the_home_panel_shows_the_next_checklist_in_english_and_chinese(client, app, people):
    learner = people.make()
    with app.app_context():
        add_attempt(learner.profile_id, "legal-safety", 90, correct=critical_keys("legal-safety"))
        complete_lessons(learner.profile_id, "legal-safety", 3)
        get_session().commit()
    log_in(client, learner.phone)
    english = page(client, "/", headers=EN)
    assert "Your skill level" in english
    assert "Next: L5 Junior (modelled on level-5 knowledge)" in english
    assert "Pass the Legal safety for riders and drivers quiz with at least 80%" in english
    assert "3 of 10" in english
    assert "45% done" in english  # 1 + 1 + 0 + 0 + 3/10 over 5, floored
    chinese = page(client, "/", headers={"Accept-Language": "zh-CN"})
    assert "L5 初级（对标五级知识要求）" in chinese
    assert "骑手与司机的法律安全" in chinese
    assert "45%" in chinese


def test_walk_to_level_5_and_the_page_shows_the_date(client, app, people):
    learner = people.make()
    log_in(client, learner.phone)
    with app.app_context():
        pass_level_5(learner.profile_id)
        get_session().commit()
    # No signal fired (rows written directly): the page records the level once.
    html = page(client, f"/levels/{ODW}", headers=EN)
    assert levels_of(app, learner.profile_id) == [5]
    assert "Levels reached" in html and "L5 Junior (modelled on level-5 knowledge) ·" in html
    assert "Next: L4 Intermediate (modelled on level-4 knowledge)" in html
    page(client, f"/levels/{ODW}", headers=EN)
    assert levels_of(app, learner.profile_id) == [5]


def test_from_level_3_the_page_points_to_official_recognition(client, app, people):
    trainer = people.make(Role.TRAINER, name="李老师", organisation="甲培训中心")
    learner = people.make(name="王骑手")
    everything_but_signoffs(app, learner.profile_id)
    cohort_with(client, app, trainer, learner)
    for key in (PACKING, COACHING):
        response = post_form(
            client,
            "/staff/sign-offs",
            {
                "learner_id": learner.profile_id,
                "track_key": ODW,
                "requirement_key": key,
                "result": "pass",
                "note": "做得好",
            },
        )
        assert response.status_code == 302
    assert levels_of(app, learner.profile_id) == [5, 4, 3]
    client.post("/logout", data={})
    learner_client = app.test_client()
    log_in(learner_client, learner.phone)
    html = page(learner_client, f"/levels/{ODW}", headers=EN)
    assert "Apply for official recognition" in html
    assert "职业技能等级认定" in html
    assert "pjjg.osta.org.cn" in html
    assert "years of work in the occupation" in html
    assert "李老师 (甲培训中心) · Pass · 做得好" in html


# ------------------------------------------------------------------ trainers


def test_learners_cannot_open_trainer_pages(client, people):
    learner = people.make()
    log_in(client, learner.phone)
    assert client.get("/staff/cohorts").status_code == 403
    assert client.get("/staff/sign-offs").status_code == 403


def test_a_trainer_builds_a_cohort_and_sees_each_members_level(client, app, people):
    trainer = people.make(Role.TRAINER, name="李老师")
    learner = people.make(name="王骑手")
    with app.app_context():
        pass_level_5(learner.profile_id)
        get_session().commit()
    cohort_id = cohort_with(client, app, trainer, learner)
    html = page(client, f"/staff/cohorts/{cohort_id}", headers=EN)
    assert "王骑手" in html
    assert "L5 Junior (modelled on level-5 knowledge)" in html
    # accepting a second invitation changes nothing
    again = accept(app, learner, invite_link(client, cohort_id))
    assert again.status_code == 409
    assert "你已经在这个班组里了" in again.get_data(as_text=True)
    assert "1 learner" in page(client, f"/staff/cohorts/{cohort_id}", headers=EN)


def test_inviting_a_number_never_tells_whether_it_is_registered(client, people):
    trainer = people.make(Role.TRAINER)
    registered = people.make(name="王骑手")
    log_in(client, trainer.phone)
    response = post_form(client, "/staff/cohorts", {"name": "夜班"})
    cohort_url = response.headers["Location"]
    answers = []
    for phone in (registered.phone, "13912345678"):
        response = post_form(
            client, cohort_url + "/members", {"phone": phone}, headers=EN, follow_redirects=True
        )
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        answers.append(html.replace(phone[:3] + "****" + phone[-4:], "NUMBER"))
        assert "王骑手" not in html
    assert "Invitation saved" in answers[0]
    # Only the masked number in the invitations table differs.
    assert answers[0].count("Invitation saved") == answers[1].count("Invitation saved")
    assert "0 learners" in answers[0] and "0 learners" in answers[1]
    response = post_form(client, cohort_url + "/members", {"phone": "12345"}, headers=EN)
    assert response.status_code == 400 and "11-digit" in response.get_data(as_text=True)
    assert post_form(client, "/staff/cohorts", {"name": "夜班"}).status_code == 400


def test_the_cohort_exports_as_csv(client, app, people):
    trainer = people.make(Role.TRAINER)
    learner = people.make(name="王骑手")
    with app.app_context():
        pass_level_5(learner.profile_id)
        get_session().commit()
    cohort_id = cohort_with(client, app, trainer, learner)
    response = client.get(f"/staff/cohorts/{cohort_id}/export.csv", headers=EN)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_track = {row["Track"]: row for row in rows}
    assert len(by_track) == 5 and all(" " in title or title.isalpha() for title in by_track)
    odw = next(row for title, row in by_track.items() if "delivery" in title.lower())
    mobile = "Mobile (shared by the learner on joining)"
    assert (odw["Name"], odw[mobile], odw["Current level"], odw["Next level"]) == (
        "王骑手",
        learner.phone,
        "5",
        "4",
    )
    assert odw["Current level title"] == "L5 Junior (modelled on level-5 knowledge)"
    assert ODW not in response.get_data(as_text=True)
    chinese = client.get(f"/staff/cohorts/{cohort_id}/export.csv").get_data(as_text=True)
    assert chinese.lstrip("\ufeff").startswith("姓名,")


def test_another_organisations_trainer_sees_and_changes_nothing(client, app, people):
    trainer = people.make(Role.TRAINER, organisation="甲中心")
    outsider = people.make(Role.TRAINER, organisation="乙中心")
    learner = people.make()
    everything_but_signoffs(app, learner.profile_id)
    cohort_id = cohort_with(client, app, trainer, learner)
    other = app.test_client()
    log_in(other, outsider.phone)
    assert other.get(f"/staff/cohorts/{cohort_id}").status_code == 404
    assert other.get(f"/staff/cohorts/{cohort_id}/export.csv").status_code == 404
    assert (
        post_form(
            other, f"/staff/cohorts/{cohort_id}/members", {"phone": outsider.phone}
        ).status_code
        == 404
    )
    assert (
        post_form(
            other, f"/staff/cohorts/{cohort_id}/members/{learner.profile_id}/remove", {}
        ).status_code
        == 404
    )
    assert "朝阳站" not in page(other, "/staff/cohorts")
    assert learner.phone not in page(other, "/staff/sign-offs")
    response = post_form(
        other,
        "/staff/sign-offs",
        {
            "learner_id": learner.profile_id,
            "track_key": ODW,
            "requirement_key": PACKING,
            "result": "pass",
            "note": "",
        },
        headers=EN,
    )
    assert response.status_code == 404
    assert "not in any of your cohorts" in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(SignOff)) == 0


# ------------------------------------------------------------------ sign-offs


def test_sign_off_flow_not_yet_then_pass(client, app, people):
    trainer = people.make(Role.TRAINER, name="李老师")
    learner = people.make(name="王骑手")
    ready = people.make(name="张骑手")
    everything_but_signoffs(app, ready.profile_id)
    cohort_id = cohort_with(client, app, trainer, learner)
    accept(app, ready, invite_link(client, cohort_id))
    html = page(client, "/staff/sign-offs", headers=EN)
    # only the learner whose next level has a practical skill is listed
    assert "张骑手" in html and "王骑手" not in html
    assert "Packing and carrying a mixed order" in html and "Everything else is done" in html

    form = {"learner_id": ready.profile_id, "track_key": ODW, "requirement_key": PACKING}
    refused = post_form(
        client, "/staff/sign-offs", dict(form, result="not_yet", note=""), headers=EN
    )
    assert refused.status_code == 400 and "what the learner should practise" in refused.get_data(
        as_text=True
    )
    response = post_form(
        client, "/staff/sign-offs", dict(form, result="not_yet", note="汤要单独放稳")
    )
    assert response.status_code == 302
    assert "Last time: not yet. 汤要单独放稳" in page(client, "/staff/sign-offs", headers=EN)

    post_form(client, "/staff/sign-offs", dict(form, result="pass", note="这次稳了"))
    assert levels_of(app, ready.profile_id) == [5, 4]
    post_form(
        client, "/staff/sign-offs", dict(form, requirement_key=COACHING, result="pass", note="")
    )
    assert levels_of(app, ready.profile_id) == [5, 4, 3]
    with app.app_context():
        l3 = get_session().scalar(
            select(LevelAchievement).where(
                LevelAchievement.profile_id == ready.profile_id,
                LevelAchievement.level == 3,
                LevelAchievement.track_key == ODW,
            )
        )
        signoffs = (
            get_session()
            .scalars(
                select(SignOff).where(SignOff.profile_id == ready.profile_id).order_by(SignOff.id)
            )
            .all()
        )
        assert [s.result.value for s in signoffs] == ["not_yet", "pass", "pass"]
        assert all(s.trainer_id == trainer.profile_id for s in signoffs)
        assert all(s.organisation_id == trainer.organisation_id for s in signoffs)
        assert l3.evidence["signoff_ids"] == [signoffs[2].id]


def test_tampered_sign_off_forms_are_refused_without_change(client, app, people):
    trainer = people.make(Role.TRAINER)
    learner = people.make()
    everything_but_signoffs(app, learner.profile_id)
    cohort_with(client, app, trainer, learner)
    base = {
        "learner_id": learner.profile_id,
        "track_key": ODW,
        "requirement_key": PACKING,
        "result": "pass",
        "note": "",
    }
    cases = [
        (dict(base, requirement_key="course_passed:legal-safety"), 404),
        (dict(base, requirement_key="trainer_signoff:made-up"), 404),
        (dict(base, track_key="no-such-track"), 404),
        (dict(base, result="excellent"), 400),
        (dict(base, learner_id="abc"), 400),
        (dict(base, learner_id=999999), 404),
        (dict(base, note="长" * 501), 400),
    ]
    for data, status in cases:
        response = post_form(client, "/staff/sign-offs", data, headers=EN)
        assert response.status_code == status, (data, response.status_code)
    response = client.post("/staff/sign-offs", data=base)  # no CSRF token
    assert response.status_code == 400
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(SignOff)) == 0
    assert levels_of(app, learner.profile_id) == []
