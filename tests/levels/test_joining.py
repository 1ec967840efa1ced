"""Learners join a cohort only by accepting an invitation (link, QR code or join
code), see who will see what first, and can leave; bad invitations are refused
with a clear message and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.accounts.models import CohortInvite, CohortMember, Role
from lms.levels.invites import normalise_code
from lms.state import get_session
from tests.conftest import log_in, post_form
from tests.levels.conftest import accept, invite_link

EN = {"Accept-Language": "en"}


@pytest.fixture
def station(client, people):
    """Trainer 李培训 of 某骑手站 logged in, with a cohort; returns (client, cohort_id, trainer)."""
    trainer = people.make(Role.TRAINER, name="李培训", organisation="某骑手站")
    log_in(client, trainer.phone)
    response = post_form(client, "/staff/cohorts", {"name": "朝阳一站"})
    return client, int(response.headers["Location"].rstrip("/").split("/")[-1]), trainer


def members(app, cohort_id: int) -> int:
    with app.app_context():
        return get_session().scalar(
            select(func.count())
            .select_from(CohortMember)
            .where(CohortMember.cohort_id == cohort_id, CohortMember.left_at.is_(None))
        )


def the_invite(app, link: str) -> CohortInvite:
    with app.app_context():
        invite = get_session().scalar(
            select(CohortInvite).where(CohortInvite.token == link.rsplit("/", 1)[-1])
        )
        get_session().expunge(invite)
        return invite


def learner_client(app, learner):
    client = app.test_client()
    log_in(client, learner.phone)
    return client


def test_the_consent_screen_names_who_will_see_what_and_joining_needs_a_yes(app, station, people):
    trainer_client, cohort_id, _trainer = station
    link = invite_link(trainer_client, cohort_id)
    rider = people.make(name="王小骑")
    client = learner_client(app, rider)
    page = client.get(link).get_data(as_text=True)
    assert "某骑手站的李培训将能看到你的学习进度、成绩和证书。" in page
    english = client.get(link, headers=EN).get_data(as_text=True)
    assert "李培训 at 某骑手站 will see your progress, scores and certificates." in english
    # Looking is not joining.
    assert members(app, cohort_id) == 0
    assert "王小骑" not in trainer_client.get(f"/staff/cohorts/{cohort_id}").get_data(as_text=True)
    assert post_form(client, link, {}).status_code == 302
    assert members(app, cohort_id) == 1
    assert "王小骑" in trainer_client.get(f"/staff/cohorts/{cohort_id}").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["{code}", " {spaced} ", "{lower}", "{wide}"])
def test_a_join_code_is_found_however_it_is_typed(app, station, people, typed):
    trainer_client, cohort_id, _trainer = station
    code = the_invite(app, invite_link(trainer_client, cohort_id)).code
    wide = "".join(chr(ord(char) + 0xFEE0) for char in code)  # full-width forms
    text = typed.format(
        code=code, spaced=" ".join([code[:3], code[3:]]), lower=code.lower(), wide=wide
    )
    client = learner_client(app, people.make())
    response = client.get("/join", query_string={"code": text})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/join/")
    assert normalise_code(text) == code


def test_an_unknown_code_is_a_clear_message(app, people):
    client = learner_client(app, people.make())
    response = client.get("/join", query_string={"code": "ZZZZZZ"}, headers=EN)
    assert response.status_code == 404
    assert "No invitation has this code" in response.get_data(as_text=True)
    assert client.get("/join").status_code == 200


def test_expired_revoked_and_used_up_invitations_are_refused_and_change_nothing(
    app, station, people
):
    trainer_client, cohort_id, _trainer = station
    expired = invite_link(trainer_client, cohort_id)
    with app.app_context():
        invite = get_session().scalar(
            select(CohortInvite).where(CohortInvite.token == expired.rsplit("/", 1)[-1])
        )
        invite.expires_at -= timedelta(days=30)
        get_session().commit()
    revoked = invite_link(trainer_client, cohort_id)
    invite = the_invite(app, revoked)
    response = post_form(
        trainer_client, f"/staff/cohorts/{cohort_id}/invites/{invite.id}/revoke", {}
    )
    assert response.status_code == 302
    used_up = invite_link(trainer_client, cohort_id, max_uses=1)
    assert accept(app, people.make(), used_up).status_code == 302

    rider = people.make()
    client = learner_client(app, rider)
    for link, words in (
        (expired, "has expired"),
        (revoked, "was withdrawn"),
        (used_up, "been used up"),
    ):
        shown = client.get(link, headers=EN)
        assert shown.status_code == 410 and words in shown.get_data(as_text=True)
        refused = post_form(client, link, {}, headers=EN)
        assert refused.status_code == 410 and words in refused.get_data(as_text=True)
    assert members(app, cohort_id) == 1
    assert the_invite(app, used_up).uses == 1


def test_a_learner_already_in_the_cohort_is_told_so(app, station, people):
    trainer_client, cohort_id, _trainer = station
    rider = people.make()
    link = invite_link(trainer_client, cohort_id)
    assert accept(app, rider, link).status_code == 302
    again = post_form(learner_client(app, rider), link, {}, headers=EN)
    assert again.status_code == 409
    assert "already in this cohort" in again.get_data(as_text=True)
    assert the_invite(app, link).uses == 1


def test_a_forged_cohort_or_invitation_id_is_not_found(app, station, people):
    trainer_client, cohort_id, _trainer = station
    link = invite_link(trainer_client, cohort_id)
    invite = the_invite(app, link)
    outsider = people.make(Role.TRAINER, organisation="另一个站")
    other = learner_client(app, outsider)
    assert other.get(f"/staff/cohorts/{cohort_id}/invites/{invite.id}").status_code == 404
    forged = post_form(other, f"/staff/cohorts/{cohort_id}/invites", {"days": 3, "max_uses": 5})
    assert forged.status_code == 404
    revoke = post_form(other, f"/staff/cohorts/{cohort_id}/invites/{invite.id}/revoke", {})
    assert revoke.status_code == 404
    # The invitation's id under another cohort id of the right organisation: not found either.
    second = post_form(trainer_client, "/staff/cohorts", {"name": "二站"})
    second_id = int(second.headers["Location"].rstrip("/").split("/")[-1])
    wrong = post_form(trainer_client, f"/staff/cohorts/{second_id}/invites/{invite.id}/revoke", {})
    assert wrong.status_code == 404
    assert the_invite(app, link).revoked_at is None
    bad = post_form(
        trainer_client, f"/staff/cohorts/{cohort_id}/invites", {"days": 0, "max_uses": 5}
    )
    assert bad.status_code == 400
    assert (
        post_form(learner_client(app, people.make()), "/join/no-such-token", {}).status_code == 404
    )


def test_after_leaving_the_cohort_shows_the_learner_no_more(app, station, people):
    trainer_client, cohort_id, _trainer = station
    rider = people.make(name="王小骑")
    accept(app, rider, invite_link(trainer_client, cohort_id))
    client = learner_client(app, rider)
    assert "朝阳一站" in client.get("/my/cohorts").get_data(as_text=True)
    response = post_form(client, f"/my/cohorts/{cohort_id}/leave", {})
    assert response.status_code == 302
    assert members(app, cohort_id) == 0
    assert "王小骑" not in trainer_client.get(f"/staff/cohorts/{cohort_id}").get_data(as_text=True)
    assert "王小骑" not in trainer_client.get("/staff/people").get_data(as_text=True)
    leave_again = post_form(client, f"/my/cohorts/{cohort_id}/leave", {}, headers=EN)
    assert leave_again.status_code == 404
    assert "not in this cohort" in leave_again.get_data(as_text=True)


def test_a_pre_registered_number_is_only_an_invitation_its_owner_may_accept(app, station, people):
    trainer_client, cohort_id, _trainer = station
    rider = people.make(name="王小骑")
    response = post_form(
        trainer_client, f"/staff/cohorts/{cohort_id}/members", {"phone": rider.phone}
    )
    assert response.status_code == 302
    assert members(app, cohort_id) == 0
    assert "王小骑" not in trainer_client.get(f"/staff/cohorts/{cohort_id}").get_data(as_text=True)

    client = learner_client(app, rider)
    mine = client.get("/my/cohorts").get_data(as_text=True)
    assert "某骑手站邀请你加入朝阳一站。" in mine
    with app.app_context():
        token = get_session().scalar(
            select(CohortInvite.token).where(CohortInvite.phone == rider.phone)
        )
    # Anyone else holding the link finds nothing.
    other = learner_client(app, people.make())
    assert other.get(f"/join/{token}").status_code == 404
    assert post_form(client, f"/join/{token}", {}).status_code == 302
    assert members(app, cohort_id) == 1


def test_two_learners_of_one_name_are_told_apart_by_a_masked_number(app, station, people):
    trainer_client, cohort_id, _trainer = station
    link = invite_link(trainer_client, cohort_id)
    first = people.make(name="王小骑", phone="13911110001")
    second = people.make(name="王小骑", phone="13922220002")
    for rider in (first, second):
        assert accept(app, rider, link).status_code == 302
    page = trainer_client.get(f"/staff/cohorts/{cohort_id}").get_data(as_text=True)
    assert "139****0001" in page and "139****0002" in page
    assert "13911110001" not in page
