"""Share links: the holder makes and withdraws a public link with its own random key;
its page previews in chat apps (Open Graph tags, a 1200×630 image); the printed QR
works on whatever happens to the link."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from lms.accounts.models import Role
from lms.certificates import access, issuing
from lms.certificates.issuing import revoke_certificate
from lms.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateEvent,
    CertificateShareLink,
)
from lms.db import utcnow
from lms.state import get_session
from tests.certificates.conftest import PUBLIC_URL, Issue, days_ago, english
from tests.conftest import log_in, post_form

META = re.compile(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">')


def _holder_client(app: Flask, phone: str) -> FlaskClient:
    client = app.test_client()
    log_in(client, phone)
    return client


def _share(client: FlaskClient, number: str) -> Any:
    return post_form(client, f"/certificates/{number}/share-link", {})


def _links(app: Flask, number: str) -> list[CertificateShareLink]:
    with app.app_context():
        session = get_session()
        links = list(
            session.scalars(
                select(CertificateShareLink)
                .join(Certificate, Certificate.id == CertificateShareLink.certificate_id)
                .where(Certificate.number == number)
                .order_by(CertificateShareLink.id)
            )
        )
        for link in links:
            session.expunge(link)
        return links


def _active_key(app: Flask, number: str) -> str:
    (link,) = [link for link in _links(app, number) if link.withdrawn_at is None]
    return link.key


def _meta(html: str) -> dict[str, str]:
    return {name: value.replace("&amp;", "&") for name, value in META.findall(html)}


def _certificate(app: Flask, number: str) -> Certificate:
    with app.app_context():
        session = get_session()
        certificate = session.scalar(select(Certificate).where(Certificate.number == number))
        session.expunge(certificate)
        return certificate


def _revoke(app: Flask, number: str) -> None:
    with app.app_context():
        certificate = get_session().scalar(select(Certificate).where(Certificate.number == number))
        revoke_certificate(certificate, "issued_in_error", "Wrong learner", None)
        get_session().commit()


def _path(url: str) -> str:
    return urlsplit(url).path


def test_a_holder_makes_a_share_link_whose_page_previews_with_absolute_open_graph_tags(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = _holder_client(cert_app, learner.phone)

    made = _share(client, number)

    assert made.status_code == 303
    key = _active_key(cert_app, number)
    mine = client.get("/certificates").get_data(as_text=True)
    assert f'value="{PUBLIC_URL}/s/{key}"' in mine
    assert "复制链接" in mine and "撤回分享链接" in mine

    visitor = cert_app.test_client()
    page = visitor.get(f"/s/{key}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # The same full record as the printed QR's page: the holder's whole name.
    assert "欧阳晓明" in html and "cert-result cert-valid" in html
    tags = _meta(html)
    assert tags["og:url"] == f"{PUBLIC_URL}/s/{key}"
    assert tags["og:image"] == f"{PUBLIC_URL}/s/{key}/preview.png"
    assert tags["og:type"] == "website"
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["twitter:image"] == tags["og:image"]
    assert tags["og:title"] == "欧阳晓明：骑手与司机的法律安全"
    description = tags["og:description"]
    assert description.startswith("欧阳晓明的培训结业证书：骑手与司机的法律安全，由")
    assert "示范区新就业群体服务中心" in description and "有效" in description
    assert "noindex" in tags["robots"] and "noindex" in page.headers["X-Robots-Tag"]
    for url in (tags["og:url"], tags["og:image"]):
        assert urlsplit(url).scheme == "https" and urlsplit(url).netloc == "lms.example.cn"

    image = visitor.get(_path(tags["og:image"]))
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert Image.open(io.BytesIO(image.data)).size == (1200, 630)
    assert image.headers["Cache-Control"].startswith("public, max-age=")
    assert image.headers["X-Robots-Tag"].startswith("noindex")
    again = visitor.get(_path(tags["og:image"]), headers={"If-None-Match": image.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_page_speaks_the_visitors_language(cert_app: Flask, learner: Any, issue: Issue) -> None:
    number = issue(learner.profile_id)
    _share(_holder_client(cert_app, learner.phone), number)
    key = _active_key(cert_app, number)
    visitor = cert_app.test_client()
    english(visitor)

    tags = _meta(visitor.get(f"/s/{key}").get_data(as_text=True))

    assert tags["og:title"] == "欧阳晓明: Legal safety for riders and drivers"
    assert tags["og:description"].startswith(
        "Certificate of training completion of 欧阳晓明: Legal safety for riders and drivers, "
        "issued by"
    )
    assert tags["og:description"].endswith(
        "Valid: this certificate was issued by us and is current."
    )


def test_the_share_key_is_random_and_withdrawing_it_leaves_the_printed_qr_working(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = _holder_client(cert_app, learner.phone)
    _share(client, number)
    (link,) = _links(cert_app, number)
    certificate = _certificate(cert_app, number)
    with cert_app.app_context():
        printed = issuing.short_url(certificate)
    printed_key = printed.rpartition(".")[2]
    assert len(link.key) >= 16
    assert link.key != printed_key and printed_key not in link.key

    withdrawn = post_form(client, f"/certificates/{number}/share-link/{link.id}/withdraw", {})

    assert withdrawn.status_code == 303
    visitor = cert_app.test_client()
    assert visitor.get(f"/s/{link.key}").status_code == 410
    paper = visitor.get(_path(printed))
    assert paper.status_code == 200 and "欧阳晓明" in paper.get_data(as_text=True)


def test_a_withdrawn_link_is_gone_for_page_image_and_downloads_and_a_new_link_has_a_new_key(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = _holder_client(cert_app, learner.phone)
    _share(client, number)
    (old,) = _links(cert_app, number)
    visitor = cert_app.test_client()
    # The page's download links carry the link's key while it is in use.
    assert visitor.get(f"/certificates/{number}/pdf?k={old.key}").status_code == 200

    post_form(client, f"/certificates/{number}/share-link/{old.id}/withdraw", {})

    page = visitor.get(f"/s/{old.key}")
    html = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "证书持有人已撤回此分享链接" in html and "withdrew this share link" in html
    assert "欧阳晓明" not in html
    assert visitor.get(f"/s/{old.key}/preview.png").status_code == 410
    assert visitor.get(f"/certificates/{number}/pdf?k={old.key}").status_code == 404
    assert visitor.get(f"/certificates/{number}/credential.jwt?k={old.key}").status_code == 404

    _share(client, number)
    new_key = _active_key(cert_app, number)
    assert new_key != old.key
    assert visitor.get(f"/s/{new_key}").status_code == 200
    assert visitor.get(f"/s/{old.key}").status_code == 410


def test_sharing_twice_keeps_one_link_and_withdrawing_twice_changes_nothing(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = _holder_client(cert_app, learner.phone)

    _share(client, number)
    _share(client, number)
    (link,) = _links(cert_app, number)
    url = f"/certificates/{number}/share-link/{link.id}/withdraw"
    assert post_form(client, url, {}).status_code == 303
    assert post_form(client, url, {}).status_code == 303

    with cert_app.app_context():
        actions = list(
            get_session().scalars(
                select(CertificateEvent.action)
                .where(CertificateEvent.certificate_id == link.certificate_id)
                .order_by(CertificateEvent.id)
            )
        )
    assert actions[-2:] == [CertificateAction.SHARED, CertificateAction.SHARE_WITHDRAWN]
    assert actions.count(CertificateAction.SHARED) == 1
    assert actions.count(CertificateAction.SHARE_WITHDRAWN) == 1


def test_a_revoked_certificate_offers_no_sharing_and_its_link_shows_revoked_in_the_preview(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = _holder_client(cert_app, learner.phone)
    _share(client, number)
    key = _active_key(cert_app, number)
    visitor = cert_app.test_client()
    valid = visitor.get(f"/s/{key}/preview.png")

    _revoke(cert_app, number)

    mine = client.get("/certificates").get_data(as_text=True)
    assert f"/certificates/{number}/share-link" not in mine
    assert f"/certificates/{number}/qr.png" not in mine
    assert f"/s/{key}" not in mine
    page = visitor.get(f"/s/{key}")
    assert page.status_code == 200
    assert "cert-result cert-revoked" in page.get_data(as_text=True)
    assert "已撤销" in _meta(page.get_data(as_text=True))["og:description"]
    revoked = visitor.get(f"/s/{key}/preview.png")
    assert revoked.status_code == 200
    assert revoked.headers["ETag"] != valid.headers["ETag"]
    assert revoked.data != valid.data
    # The red band across the card (beside its words): the valid card is paper-white there.
    band = (20, 465)
    red, green, blue = Image.open(io.BytesIO(revoked.data)).convert("RGB").getpixel(band)
    assert red > 150 and green < 80 and blue < 80
    assert Image.open(io.BytesIO(valid.data)).convert("RGB").getpixel(band) == (252, 250, 245)
    # A chat app holding the valid card's ETag gets the new picture, not a 304.
    stale = visitor.get(f"/s/{key}/preview.png", headers={"If-None-Match": valid.headers["ETag"]})
    assert stale.status_code == 200


def test_a_revoked_certificate_cannot_be_shared_anew_nor_its_qr_downloaded(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    _revoke(cert_app, number)
    client = _holder_client(cert_app, learner.phone)

    refused = _share(client, number)

    assert refused.status_code == 409
    assert "已撤销或已被替代的证书不能分享" in refused.get_data(as_text=True)
    assert _links(cert_app, number) == []
    assert client.get(f"/certificates/{number}/qr.png").status_code == 409


@pytest.mark.parametrize(
    "key",
    ["nope", "A" * 22, "a" * 200, "abc%00defghijklmnopqrs", "..%2F..%2Fetc", "键" * 20],
)
def test_an_unknown_or_malformed_key_is_a_404_page(
    cert_app: Flask, learner: Any, issue: Issue, key: str
) -> None:
    visitor = cert_app.test_client()

    page = visitor.get(f"/s/{key}")
    image = visitor.get(f"/s/{key}/preview.png")

    assert page.status_code == 404 and image.status_code == 404
    assert "此页面不存在" in page.get_data(as_text=True)


def test_a_tampered_key_is_a_404(cert_app: Flask, learner: Any, issue: Issue) -> None:
    number = issue(learner.profile_id)
    _share(_holder_client(cert_app, learner.phone), number)
    key = _active_key(cert_app, number)
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")

    assert cert_app.test_client().get(f"/s/{tampered}").status_code == 404
    assert cert_app.test_client().get(f"/certificates/{number}/pdf?k={tampered}").status_code == 404


def test_making_or_withdrawing_a_link_needs_the_forms_csrf_token(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = _holder_client(cert_app, learner.phone)

    forged = client.post(f"/certificates/{number}/share-link", data={})

    assert forged.status_code == 400
    assert _links(cert_app, number) == []
    _share(client, number)
    (link,) = _links(cert_app, number)
    url = f"/certificates/{number}/share-link/{link.id}/withdraw"
    assert client.post(url, data={"csrf_token": "forged"}).status_code == 400
    assert _links(cert_app, number)[0].withdrawn_at is None


def test_another_learner_can_neither_share_nor_withdraw_nor_download_the_qr(
    cert_app: Flask, cert_people: Any, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    _share(_holder_client(cert_app, learner.phone), number)
    (link,) = _links(cert_app, number)
    other = _holder_client(cert_app, cert_people.make(Role.LEARNER, name="张三").phone)
    admin = _holder_client(cert_app, cert_people.make(Role.ADMIN, name="王管理").phone)

    for client in (other, admin):
        assert _share(client, number).status_code == 404
        url = f"/certificates/{number}/share-link/{link.id}/withdraw"
        assert post_form(client, url, {}).status_code == 404
        assert client.get(f"/certificates/{number}/qr.png").status_code == 404
    # Nor with the id of someone else's link through one's own certificate.
    mine = issue(learner.profile_id, course="logistics")
    holder = _holder_client(cert_app, learner.phone)
    url = f"/certificates/{mine}/share-link/{link.id}/withdraw"
    assert post_form(holder, url, {}).status_code == 404
    assert _links(cert_app, number)[0].withdrawn_at is None


def test_the_qr_image_is_the_printed_short_link_as_an_attachment(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    number = issue(learner.profile_id)
    client = _holder_client(cert_app, learner.phone)

    response = client.get(f"/certificates/{number}/qr.png")

    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Content-Disposition"].endswith('-qr.png"')
    with cert_app.app_context():
        printed = issuing.short_url(_certificate(cert_app, number))
    (found,) = pyzbar.decode(Image.open(io.BytesIO(response.data)))
    assert found.data.decode("ascii") == printed
    assert f".{access.share_key(_certificate(cert_app, number))}" in printed


def test_the_page_counts_its_views_for_the_holder(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = _holder_client(cert_app, learner.phone)
    _share(client, number)
    key = _active_key(cert_app, number)
    visitor = cert_app.test_client()
    visitor.get(f"/s/{key}")
    visitor.get(f"/s/{key}")
    visitor.get(f"/s/{key}/preview.png")

    assert _links(cert_app, number)[0].view_count == 2
    assert "已被打开2次" in client.get("/certificates").get_data(as_text=True)


def test_the_share_page_and_image_take_a_bounded_number_of_queries(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    _share(_holder_client(cert_app, learner.phone), number)
    key = _active_key(cert_app, number)
    visitor = cert_app.test_client()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with cert_app.app_context():
        engine = cert_app.extensions["lms"].db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert visitor.get(f"/s/{key}").status_code == 200
        page = len(statements)
        page_statements = list(statements)
        statements.clear()
        assert visitor.get(f"/s/{key}/preview.png").status_code == 200
        image = len(statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)

    # The link, its certificate, the view count; the image adds the organisation's design.
    assert page <= 4, page_statements
    assert image <= 4, statements


def test_nothing_is_shared_when_the_holder_never_asked(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = _holder_client(cert_app, learner.phone)

    mine = client.get("/certificates").get_data(as_text=True)

    assert f'action="/certificates/{number}/share-link"' in mine
    assert f"/certificates/{number}/qr.png" in mine
    assert "/s/" not in mine
    with cert_app.app_context():
        assert get_session().scalar(select(func.count()).select_from(CertificateShareLink)) == 0


def test_the_database_holds_at_most_one_link_in_use_per_certificate(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    certificate_id = _certificate(cert_app, number).id
    with cert_app.app_context():
        session = get_session()
        session.add(CertificateShareLink(certificate_id=certificate_id, key="k" * 22))
        session.add(CertificateShareLink(certificate_id=certificate_id, key="w" * 22))
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()
        session.rollback()
        session.add(CertificateShareLink(certificate_id=certificate_id, key="k" * 22))
        session.add(
            CertificateShareLink(
                certificate_id=certificate_id,
                key="w" * 22,
                withdrawn_at=utcnow(),
            )
        )
        session.flush()
        session.rollback()


def test_two_taps_that_race_end_with_the_one_link_the_first_made(
    cert_app: Flask, learner: Any, issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lms.accounts.models import Profile
    from lms.certificates import sharing

    number = issue(learner.profile_id)
    with cert_app.app_context():
        session = get_session()
        certificate = session.scalar(select(Certificate).where(Certificate.number == number))
        holder = session.get(Profile, learner.profile_id)
        first = sharing.create_share_link(holder, certificate)
        session.commit()
        first_key = first.key
        # The second tap looked before the first one's row was there.
        looked = sharing.active_links
        calls: list[list[int]] = []

        def late_look(ids: list[int]) -> dict[int, CertificateShareLink]:
            calls.append(ids)
            return {} if len(calls) == 1 else looked(ids)

        monkeypatch.setattr(sharing, "active_links", late_look)

        second = sharing.create_share_link(holder, certificate)
        session.commit()

        assert second.key == first_key
    assert len(_links(cert_app, number)) == 1


def test_an_expired_certificates_link_says_expired_on_its_page_and_in_its_preview(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(
        learner.profile_id, issued_on=days_ago(800), expires_on=days_ago(70), render=False
    )
    _share(_holder_client(cert_app, learner.phone), number)
    key = _active_key(cert_app, number)
    visitor = cert_app.test_client()

    page = visitor.get(f"/s/{key}").get_data(as_text=True)
    image = visitor.get(f"/s/{key}/preview.png")

    assert "cert-result cert-expired" in page and "已过期" in _meta(page)["og:description"]
    # The amber band across the card, where a valid card is paper-white.
    red, green, blue = Image.open(io.BytesIO(image.data)).convert("RGB").getpixel((20, 465))
    assert red > 150 and 60 < green < 130 and blue < 40
