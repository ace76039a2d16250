"""Server errors: a generic page with a reference, the details only in the log; client errors stay 4xx."""

from __future__ import annotations

import logging

import pytest
from litestar import get

from app.main import create_app
from tests.conftest import make_client, text_of


@get("/test-boom", opt={"public": True})
async def boom() -> str:
    raise RuntimeError("secret internal detail")


@get("/api/v1/test-boom", opt={"public": True})
async def api_boom() -> str:
    raise RuntimeError("secret internal detail")


@pytest.fixture
async def boom_client(settings, session_maker):
    app = create_app(settings, session_maker=session_maker)
    app.register(boom)
    app.register(api_boom)
    await app.state.services.start()
    async with make_client(app) as client:
        yield client
    await app.state.services.stop()


async def test_unhandled_error_shows_generic_page_with_reference(boom_client, caplog):
    with caplog.at_level(logging.ERROR):
        response = await boom_client.get("/test-boom")
    assert response.status_code == 500
    page = text_of(response.text)
    assert "Something went wrong on our side" in page
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    request_id = response.headers["x-request-id"]
    assert f"Reference: {request_id}" in page
    assert any("secret internal detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_unhandled_api_error_is_problem_json_without_details(boom_client):
    response = await boom_client.get("/api/v1/test-boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "secret" not in response.text


async def test_request_id_is_echoed(client):
    response = await client.get("/", headers={"x-request-id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"


async def test_wrong_method_is_405_not_500(client):
    response = await client.delete("/health")
    assert response.status_code in (403, 405)
    response = await client.put("/", headers={"X-CSRF-Token": await client.csrf()})
    assert response.status_code == 405
