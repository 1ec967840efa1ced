"""The platform admin's organisations page: every organisation with its admins,
and a new organisation with its first admin; nobody else may open it."""

from __future__ import annotations

from lms.accounts.models import Role
from tests.conftest import PASSWORD, log_in, post_form

EN = {"Accept-Language": "en"}


def test_the_platform_admin_adds_an_organisation_with_its_first_admin(client, people):
    operator = people.make(Role.PLATFORM_ADMIN, name="周平台")
    log_in(client, operator.phone)
    response = post_form(
        client,
        "/admin/organisations",
        {
            "name": "某区新就业群体服务中心",
            "kind": "service-centre",
            "phone": "13811112222",
            "display_name": "陈管理",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert "某区新就业群体服务中心" in page and "陈管理" in page and "区级服务中心" in page
    admin_client = client.application.test_client()
    assert log_in(admin_client, "13811112222").status_code == 302
    assert admin_client.get("/admin/certificates").status_code == 200
    assert admin_client.get("/admin/organisations").status_code == 403


def test_bad_input_on_the_organisations_page_changes_nothing(client, people):
    operator = people.make(Role.PLATFORM_ADMIN, name="周平台")
    log_in(client, operator.phone)
    for form, words in (
        ({"kind": "castle"}, "Not a valid choice"),
        ({"phone": "123"}, "11-digit"),
        ({"password": "short"}, "at least 8"),
    ):
        values = {
            "name": "某物流公司",
            "kind": "employer",
            "phone": "13811113333",
            "display_name": "赵站长",
            "password": PASSWORD,
            **form,
        }
        response = post_form(client, "/admin/organisations", values, headers=EN)
        assert response.status_code == 400, form
        assert words in response.get_data(as_text=True), form
    assert "某物流公司" not in client.get("/admin/organisations").get_data(as_text=True)
