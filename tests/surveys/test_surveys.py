"""Needs surveys: a trainer opens one (from the shipped template or written by
hand), riders of the organisation answer once, and the trainer sees per-station
results, the needs ranked and the lessons that teach each need. Bad input is
refused with a message in the rider's language and changes nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func, select

from lms.accounts.models import Role
from lms.sessions.models import Station
from lms.state import get_session
from lms.surveys.models import (
    Survey,
    SurveyAnswer,
    SurveyAnswered,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from tests.conftest import post_form
from tests.sessions.test_sessions import ORGANISATION, member_of, signed_in


def add_station(app, organisation_id: int, name: str) -> int:
    with app.app_context():
        station = Station(
            organisation_id=organisation_id,
            name_zh=name,
            address="人民路 1 号",
            district="朝阳区",
            opening_hours="08:00–22:00",
            facilities=["drinking_water"],
        )
        get_session().add(station)
        get_session().commit()
        return station.id


def from_template(staff, station_id: int = 0, anonymous: bool = True) -> int:
    data: dict[str, Any] = {"template_station_id": str(station_id)}
    if anonymous:
        data["template_anonymous"] = "y"
    response = post_form(staff, "/surveys/manage/from-template", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def questions(app, survey_id: int) -> list[dict[str, Any]]:
    with app.app_context():
        rows = get_session().scalars(
            select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey_id)
            .order_by(SurveyQuestion.position)
        )
        return [{"id": q.id, "kind": q.kind.value, "options": q.options} for q in rows]


def answers_for(qs, rest=("water", "charging"), policy=("injury-cover",), skills=("scams",)):
    multiple, policy_q, skills_q, rating, text = qs
    return {
        f"q{multiple['id']}": list(rest),
        f"q{policy_q['id']}": list(policy),
        f"q{skills_q['id']}": list(skills),
        f"q{rating['id']}": "2",
        f"q{text['id']}": "晚上没地方充电",
    }


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        session = get_session()
        return (
            session.scalar(select(func.count()).select_from(SurveyResponse)),
            session.scalar(select(func.count()).select_from(SurveyAnswer)),
            session.scalar(select(func.count()).select_from(SurveyAnswered)),
        )


def setup_riders(app, people, how_many: int = 2):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    riders = []
    for number in range(how_many):
        rider = people.make(Role.LEARNER, name="骑手" + "甲乙丙丁"[number])
        member_of(app, rider, trainer.organisation_id)
        riders.append(rider)
    return trainer, riders


def test_riders_answer_the_template_once_and_the_trainer_sees_needs_ranked_with_lessons(
    app, people
):
    trainer, (first, second) = setup_riders(app, people)
    east = add_station(app, trainer.organisation_id, "东站")
    west = add_station(app, trainer.organisation_id, "西站")
    staff = signed_in(app, trainer)
    survey_id = from_template(staff)
    qs = questions(app, survey_id)
    assert [q["kind"] for q in qs] == ["multiple", "multiple", "multiple", "rating", "text"]
    one, two = signed_in(app, first), signed_in(app, second)
    assert "骑手急需调查" in one.get("/surveys").get_data(as_text=True)
    form = one.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert "<legend>1. 在站点，哪些对你帮助最大？（可多选）</legend>" in form

    done = post_form(one, f"/surveys/{survey_id}", {**answers_for(qs), "station_id": str(east)})
    post_form(
        two,
        f"/surveys/{survey_id}",
        {
            **answers_for(qs, rest=("water",), skills=("scams", "road-safety")),
            "station_id": str(west),
        },
    )
    before = counts(app)
    again = post_form(one, f"/surveys/{survey_id}", answers_for(qs))

    assert done.status_code == 302
    assert "已填写，谢谢" in one.get("/surveys").get_data(as_text=True)
    assert again.status_code == 409 and "已经填写过" in again.get_data(as_text=True)
    assert counts(app) == before
    page = staff.get(f"/surveys/manage/{survey_id}").get_data(as_text=True)
    needs = page.split('<ol class="needs">')[1].split("</ol>")[0]
    # Water and scams were chosen by both riders: they lead, then the rest by name.
    assert needs.index("饮用水") < needs.index("手机和电池充电")
    assert "2位骑手" in needs.split("识别诈骗")[1][:40]
    # Each need links the lessons tagged with its topics, and their courses.
    scams = needs.split("识别诈骗")[1].split("</li>\n  \n")[0]
    assert "/courses/legal-safety/lessons/" in scams and "/courses/drivers" in scams
    # Per station: the east station's rider chose charging, the west one did not.
    table = page.split("1. 在站点")[1].split("</table>")[0]
    charging_row = table.split("手机和电池充电")[1].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in charging_row.split("<td>")[1:]] == ["1", "0", "1"]
    assert "晚上没地方充电" in page


def test_an_anonymous_response_stores_no_profile_and_a_named_one_does(app, people):
    trainer, (rider,) = setup_riders(app, people, 1)
    staff = signed_in(app, trainer)
    anonymous_id = from_template(staff)
    named_id = from_template(staff, anonymous=False)
    client = signed_in(app, rider)

    for survey_id in (anonymous_id, named_id):
        response = post_form(
            client, f"/surveys/{survey_id}", answers_for(questions(app, survey_id))
        )
        assert response.status_code == 302

    with app.app_context():
        session = get_session()
        stored = {r.survey_id: r for r in session.scalars(select(SurveyResponse))}
        assert stored[anonymous_id].profile_id is None
        assert stored[named_id].profile_id == rider.profile_id
        # The anonymous response keeps the day only, so its time singles no one out.
        moment = stored[anonymous_id].created_at
        assert (moment.hour, moment.minute, moment.second) == (0, 0, 0)
        hashes = list(session.scalars(select(SurveyAnswered.rider_hash)))
        # Who answered is a keyed hash per survey: no profile column, no time, no link.
        assert len(set(hashes)) == 2 and all(len(h) == 64 for h in hashes)
        assert set(SurveyAnswered.__table__.columns.keys()) == {"survey_id", "rider_hash"}
    named_page = staff.get(f"/surveys/manage/{named_id}").get_data(as_text=True)
    anonymous_page = staff.get(f"/surveys/manage/{anonymous_id}").get_data(as_text=True)
    assert rider.name in named_page.split('class="free-texts"')[1]
    assert rider.name not in anonymous_page.split('class="free-texts"')[1]


def test_bad_answers_are_refused_with_a_message_and_change_nothing(app, people):
    trainer, (rider,) = setup_riders(app, people, 1)
    staff = signed_in(app, trainer)
    survey_id = from_template(staff)
    qs = questions(app, survey_id)
    client = signed_in(app, rider)
    good = answers_for(qs)
    first, rating = qs[0]["id"], qs[3]["id"]
    cases = [
        ({**good, f"q{first}": ["water", "free-money"]}, 400, "请从第1题的选项中选择"),
        ({**good, f"q{rating}": "9"}, 400, "第4题请打1到5分"),
        ({**good, "q999999": "x"}, 400, "只回答这份问卷的问题"),
        ({**good, "qx": "x"}, 400, "只回答这份问卷的问题"),
        ({k: v for k, v in good.items() if k != f"q{first}"}, 400, "请回答第1题"),
        ({**good, "station_id": "abc"}, 400, "只回答这份问卷的问题"),
    ]
    for data, status, words in cases:
        response = post_form(client, f"/surveys/{survey_id}", data)
        assert response.status_code == status, (data, response.status_code)
        assert words in response.get_data(as_text=True), words
    assert counts(app) == (0, 0, 0)

    closing = post_form(staff, f"/surveys/manage/{survey_id}/status", {"status": "closed"})
    late = post_form(client, f"/surveys/{survey_id}", good)

    assert closing.status_code == 302
    assert late.status_code == 409 and "问卷已关闭" in late.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)
    assert (
        post_form(staff, f"/surveys/manage/{survey_id}/status", {"status": "x"}).status_code == 400
    )


def test_a_survey_is_seen_by_its_organisations_riders_only(app, people):
    trainer, (rider,) = setup_riders(app, people, 1)
    stranger = people.make(Role.LEARNER, name="外人")
    staff = signed_in(app, trainer)
    survey_id = from_template(staff)
    other_trainer = signed_in(app, people.make(Role.TRAINER, organisation="乙公司"))

    outsider = signed_in(app, stranger)
    assert outsider.get(f"/surveys/{survey_id}").status_code == 404
    assert post_form(outsider, f"/surveys/{survey_id}", {}).status_code == 404
    assert other_trainer.get(f"/surveys/manage/{survey_id}").status_code == 404
    # Riders never see the results, free texts included.
    assert signed_in(app, rider).get(f"/surveys/manage/{survey_id}").status_code == 403


def test_free_text_is_sanitised_and_the_csv_holds_figures_only(app, people):
    trainer, (rider,) = setup_riders(app, people, 1)
    staff = signed_in(app, trainer)
    survey_id = from_template(staff)
    qs = questions(app, survey_id)
    data = {**answers_for(qs), f"q{qs[4]['id']}": "<script>alert(1)</script><b>=需要</b>充电"}

    assert post_form(signed_in(app, rider), f"/surveys/{survey_id}", data).status_code == 302

    with app.app_context():
        (text,) = get_session().scalars(
            select(SurveyAnswer.text).where(SurveyAnswer.text.is_not(None))
        )
    assert text == "=需要充电"
    response = staff.get(f"/surveys/manage/{survey_id}/results.csv")
    body = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert response.status_code == 200 and rows[0] == ["题目", "答案", "站点", "骑手人数"]
    assert ["在站点，哪些对你帮助最大？（可多选）", "饮用水", "", "1"] in rows
    assert "需要充电" not in body and rider.name not in body


def test_a_trainer_writes_a_survey_and_an_empty_or_half_translated_one_is_refused(app, people):
    trainer, (rider,) = setup_riders(app, people, 1)
    staff = signed_in(app, trainer)
    base = {"title_zh": "站点需求", "anonymous": "y", "station_id": "0"}

    empty = post_form(staff, "/surveys/manage", base)
    half = post_form(
        staff,
        "/surveys/manage",
        {
            **base,
            "title_en": "Station needs",
            "question_1-kind": "rating",
            "question_1-text_zh": "满意吗？",
        },
    )
    one_option = post_form(
        staff,
        "/surveys/manage",
        {
            **base,
            "question_1-kind": "single",
            "question_1-text_zh": "最缺什么？",
            "question_1-options": "水",
        },
    )
    bad_topic = post_form(
        staff,
        "/surveys/manage",
        {
            **base,
            "question_1-kind": "single",
            "question_1-text_zh": "最缺什么？",
            "question_1-options": "水 | Water | Rest!\n电 | Power | help",
        },
    )

    assert empty.status_code == 400 and "至少需要一个问题" in empty.get_data(as_text=True)
    assert half.status_code == 400 and "英文" in half.get_data(as_text=True)
    assert one_option.status_code == 400 and bad_topic.status_code == 400
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Survey)) == 0

    made = post_form(
        staff,
        "/surveys/manage",
        {
            **base,
            "question_1-kind": "single",
            "question_1-text_zh": "最缺什么？",
            "question_1-options": "饮水 | | help\n充电 | | help",
            "question_3-kind": "text",
            "question_3-text_zh": "还有什么？",
        },
    )

    assert made.status_code == 302
    with app.app_context():
        survey = get_session().scalar(select(Survey))
        assert survey.status == SurveyStatus.OPEN and survey.title_en == ""
        assert [(q.position, q.kind.value) for q in survey.questions] == [
            (1, "single"),
            (2, "text"),
        ]
        assert [o["id"] for o in survey.questions[0].options] == ["o1", "o2"]
        first = survey.questions[0].id
    client = signed_in(app, rider)
    two = post_form(client, f"/surveys/{survey.id}", {f"q{first}": ["o1", "o2"]})
    assert two.status_code == 400 and "第1题只能选一项" in two.get_data(as_text=True)
    assert post_form(client, f"/surveys/{survey.id}", {f"q{first}": "o2"}).status_code == 302


def test_the_survey_pages_use_chinese_punctuation(app, people):
    from tests.courses.test_chinese_punctuation import glued

    trainer, (rider,) = setup_riders(app, people, 1)
    station = add_station(app, trainer.organisation_id, "东站")
    staff = signed_in(app, trainer)
    survey_id = from_template(staff)
    client = signed_in(app, rider)
    answer_page = client.get(f"/surveys/{survey_id}").get_data(as_text=True)
    post_form(client, f"/surveys/{survey_id}", {**answers_for(questions(app, survey_id))})
    pages = {
        "manage": staff.get("/surveys/manage").get_data(as_text=True),
        "results": staff.get(f"/surveys/manage/{survey_id}").get_data(as_text=True),
        "report": staff.get(f"/sessions/manage/stations/{station}/report").get_data(as_text=True),
        "list": client.get("/surveys").get_data(as_text=True),
        "answer": answer_page,
    }

    assert {name: glued(html) for name, html in pages.items() if glued(html)} == {}
