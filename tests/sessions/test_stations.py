"""Stations: an organisation's admin adds and changes them (nobody else may), and
riders see every station by district with its facilities."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import Role
from lms.sessions.models import Station
from lms.state import get_session
from tests.conftest import log_in, post_form

STATION = {
    "name_zh": "望京骑手驿站",
    "name_en": "Wangjing Rider Station",
    "address": "望京街 10 号",
    "district": "朝阳区",
    "opening_hours": "08:00–22:00",
    "facilities": ["toilets", "drinking_water"],
}


def signed_in(app, person):
    client = app.test_client()
    assert log_in(client, person.phone).status_code == 302
    return client


def stations(app) -> list[Station]:
    with app.app_context():
        return list(get_session().scalars(select(Station).order_by(Station.id)))


def test_an_admin_adds_a_station_and_riders_see_it_by_district(app, people):
    admin = signed_in(app, people.make(Role.ADMIN, organisation="甲站"))

    response = post_form(admin, "/stations/manage", STATION)

    assert response.status_code == 302
    (station,) = stations(app)
    assert station.name_zh == "望京骑手驿站"
    # Stored in the fixed order of the set, whatever order the form sent.
    assert station.facilities == ["drinking_water", "toilets"]
    post_form(admin, "/stations/manage", {**STATION, "name_zh": "海淀驿站", "district": "海淀区"})
    rider = signed_in(app, people.make(Role.LEARNER))
    page = rider.get("/stations").get_data(as_text=True)
    assert "望京骑手驿站" in page and "海淀驿站" in page
    assert page.index("朝阳区</h2>") < page.index("海淀区</h2>")
    assert "饮用水" in page and "卫生间" in page and "微波炉" not in page.split("望京")[2]
    only = rider.get("/stations", query_string={"district": "海淀区"}).get_data(as_text=True)
    assert "海淀驿站" in only and "望京骑手驿站" not in only


def test_riders_read_the_english_name_in_english(app, people):
    admin = signed_in(app, people.make(Role.ADMIN, organisation="甲站"))
    post_form(admin, "/stations/manage", STATION)
    rider = signed_in(app, people.make(Role.LEARNER))
    post_form(rider, "/language", {"language": "en"})

    page = rider.get("/stations").get_data(as_text=True)

    assert "Wangjing Rider Station" in page and "Drinking water" in page


def test_an_admin_changes_a_station_of_their_own_organisation(app, people):
    admin = signed_in(app, people.make(Role.ADMIN, organisation="甲站"))
    post_form(admin, "/stations/manage", STATION)
    (station,) = stations(app)

    response = post_form(
        admin,
        f"/stations/{station.id}/edit",
        {**STATION, "opening_hours": "全天", "facilities": ["phone_charging"]},
    )

    assert response.status_code == 302
    (changed,) = stations(app)
    assert changed.opening_hours == "全天" and changed.facilities == ["phone_charging"]


def test_another_organisation_and_trainers_cannot_change_a_station(app, people):
    admin = signed_in(app, people.make(Role.ADMIN, organisation="甲站"))
    post_form(admin, "/stations/manage", STATION)
    (station,) = stations(app)
    other_admin = signed_in(app, people.make(Role.ADMIN, organisation="乙公司"))
    trainer = signed_in(app, people.make(Role.TRAINER, organisation="甲站"))
    rider = signed_in(app, people.make(Role.LEARNER))
    changed = {**STATION, "name_zh": "改名"}

    assert post_form(other_admin, f"/stations/{station.id}/edit", changed).status_code == 404
    assert post_form(trainer, f"/stations/{station.id}/edit", changed).status_code == 403
    assert post_form(rider, "/stations/manage", STATION).status_code == 403
    assert [s.name_zh for s in stations(app)] == ["望京骑手驿站"]


def test_bad_station_forms_are_refused_with_a_message_and_change_nothing(app, people):
    admin = signed_in(app, people.make(Role.ADMIN, organisation="甲站"))

    unknown = post_form(admin, "/stations/manage", {**STATION, "facilities": ["pool"]})
    too_long = post_form(admin, "/stations/manage", {**STATION, "district": "区" * 41})
    missing = post_form(admin, "/stations/manage", {**STATION, "name_zh": ""})

    assert unknown.status_code == 400 and "请从列表中选择" in unknown.get_data(as_text=True)
    assert too_long.status_code == 400 and "最多" in too_long.get_data(as_text=True)
    assert missing.status_code == 400 and "必填" in missing.get_data(as_text=True)
    assert stations(app) == []
