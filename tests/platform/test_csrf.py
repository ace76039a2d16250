"""CSRF: every unsafe request needs the token of its own browser session, forms and htmx alike."""

from __future__ import annotations

from app.platform.security import csrf_token
from tests.conftest import SECRET


async def test_form_without_token_is_refused(client):
    await client.get("/")
    response = await client.post("/language", data={"locale": "fr"})
    assert response.status_code == 403


async def test_form_with_token_of_another_session_is_refused(client):
    await client.get("/")
    other = csrf_token(SECRET, "a_someone-else")
    response = await client.post("/language", data={"locale": "fr", "_csrf": other})
    assert response.status_code == 403


async def test_htmx_without_header_is_refused_and_with_header_passes(client):
    await client.get("/")
    refused = await client.post("/language", data={"locale": "fr"}, headers={"HX-Request": "true"})
    assert refused.status_code == 403
    allowed = await client.htmx("POST", "/language", data={"locale": "fr", "next": "/"})
    assert allowed.status_code == 200
    assert allowed.headers["hx-redirect"] == "/"


async def test_form_with_right_token_passes_and_switches_language(client):
    response = await client.submit("/language", {"locale": "fr", "next": "/"})
    assert response.status_code == 303
    page = await client.get("/")
    assert '<html lang="fr">' in page.text


async def test_language_switch_ignores_offsite_next(client):
    response = await client.submit("/language", {"locale": "en", "next": "//evil.example/"})
    assert response.headers["location"] == "/"


async def test_htmx_redirect_to_an_anchor_of_the_same_page_reloads_it(app):
    from app.web import redirect

    class FakeRequest:
        def __init__(self, current: str) -> None:
            self.headers = {"hx-request": "true", "hx-current-url": current}

    # Same page: the fragment goes, so the browser loads the page again and shows the change.
    same = redirect(FakeRequest("http://testserver.local/teams/1"), "/teams/1#invitations")
    assert same.headers["hx-redirect"] == "/teams/1"
    # Another page: the fragment stays, the navigation happens anyway.
    other = redirect(FakeRequest("http://testserver.local/teams/1"), "/teams/2#members")
    assert other.headers["hx-redirect"] == "/teams/2#members"
