"""Chinese by default, English on request, and no UI string left untranslated."""

from __future__ import annotations

from lms.catalogs import LOCALES, extract_messages, read_catalog
from tests.conftest import csrf_token_for


def test_every_ui_string_has_a_translation_in_every_language():
    extracted = {message.id for message in extract_messages() if message.id}
    assert extracted, "no UI strings were extracted"
    for locale in LOCALES:
        catalog = read_catalog(locale)
        missing = []
        for message_id in extracted:
            message = catalog.get(message_id)
            strings = message.string if message else None
            if isinstance(strings, tuple):
                translated = all(strings)
            else:
                translated = bool(strings)
            if not translated or (message and message.fuzzy):
                missing.append(message_id)
        assert not missing, f"{locale} lacks translations for: {missing}"


def test_placeholders_survive_translation():
    catalog = read_catalog("zh_CN")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for placeholder in _placeholders(ids[0]):
            assert all(placeholder in s for s in strings), (message.id, placeholder)


def _placeholders(text: str) -> set[str]:
    import re

    return set(re.findall(r"%\(\w+\)[ds]", text))


def test_home_is_chinese_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "技能培训" in page


def test_accept_language_english_is_honoured(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Skills training" in page


def test_language_switch_sticks_and_returns_to_the_page(client):
    token = csrf_token_for(client, "/login")
    response = client.post(
        "/language", data={"language": "en", "next": "/login", "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page
    token = csrf_token_for(client)
    client.post("/language", data={"language": "zh_CN", "csrf_token": token})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_refused(client):
    token = csrf_token_for(client)
    response = client.post("/language", data={"language": "xx", "csrf_token": token})
    assert response.status_code == 400


def test_a_visitor_switches_language_with_a_link_and_comes_back(client):
    page = client.get("/verify").get_data(as_text=True)
    assert "csrf_token" not in page  # nothing of the visitor's: the page can be shared
    assert 'href="/language?language=en&amp;next=/verify"' in page
    response = client.get("/language?language=en&next=/verify")
    assert response.status_code == 302 and response.headers["Location"] == "/verify"
    assert '<html lang="en">' in client.get("/verify").get_data(as_text=True)
    assert client.get("/language?language=xx&next=/verify").status_code == 400


def test_the_language_switch_never_sends_anyone_to_another_site(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "/\\/x"):
        response = client.get("/language", query_string={"language": "en", "next": target})
        assert response.status_code == 302
        assert "evil" not in response.headers["Location"]
        assert response.headers["Location"] == "/"
