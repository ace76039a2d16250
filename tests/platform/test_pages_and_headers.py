"""Every response carries the security headers; errors are pages (or problem details), never tracebacks."""

from __future__ import annotations

import pytest

from tests.conftest import text_of

PAGES = ["/", "/no-such-page", "/static/app.css", "/health", "/schema/openapi.json"]


@pytest.mark.parametrize("path", PAGES)
async def test_security_headers_on_every_response(client, path):
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    # Served over plain http in tests: no HSTS.
    assert "strict-transport-security" not in response.headers


async def test_static_files_are_cached_long(client):
    response = await client.get("/static/app.css")
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["cache-control"]


async def test_missing_page_is_a_404_page_in_the_visitors_language(client):
    response = await client.get("/no-such-page", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Cette page n’existe pas" in text_of(response.text) or "n'existe pas" in text_of(response.text)


async def test_missing_api_route_is_problem_json(client):
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code in (401, 404)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == response.status_code


async def test_unknown_host_is_refused(client):
    response = await client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400


async def test_health_and_ready(client, redis):
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "redis": "ok"}


async def test_home_page_renders_for_visitors(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert "Open-innovation challenges for digital health" in text_of(response.text)
    assert "hx-headers" in response.text


async def test_the_language_switch_brings_the_reader_back_to_the_page_they_are_on(client):
    page = await client.get("/challenges")
    assert 'name="next" value="/challenges"' in page.text


async def test_after_a_form_answered_with_a_page_the_language_switch_returns_to_the_forms_page(client):
    """A page answered to a POST (messages beside the fields, a secret shown once) lives at an address that
    answers 405 to a GET: the switch goes back to the page the form was on, or home."""
    refused = await client.submit(
        "/signup", {"email": "not an address"}, headers={"referer": "http://test/signup"}
    )
    assert refused.status_code == 422
    assert 'name="next" value="/signup"' in refused.text
    unknown = await client.submit("/signup", {"email": "not an address"})
    assert 'name="next" value="/"' in unknown.text
    # Only the path of the Referer is kept, and only a path.
    foreign = await client.submit(
        "/signup", {"email": "x"}, headers={"referer": "https://evil.example/login"}
    )
    assert 'name="next" value="/login"' in foreign.text
    odd = await client.submit("/signup", {"email": "x"}, headers={"referer": "javascript:alert(1)"})
    assert 'name="next" value="/"' in odd.text
