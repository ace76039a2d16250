"""Two challenges side by side: every actor of world A tries every object of world B through every route of
the app that takes a parameter (pages, htmx fragments, API, exports, file and dataset links) and gets 403 or
404, never B's content and never a server error (SECURITY.md, "Two challenges side by side").

The routes come from the app's route table (tests/security/routes.py), so a new route is probed as soon as it
exists; the few that are public by design are listed below with the reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.factories import sign_in
from tests.security.routes import Route, example_body, parametrised_routes, plain_get_routes, url_for
from tests.security.worlds import Storage, World, build_world

ACTORS = ["founder", "captain", "member", "judge", "steward"]
DENIED = {403, 404}

# GET routes any signed-in person may open on another challenge's objects, and why. Their answers must still
# never hold one of B's private texts (its marker).
PUBLIC_BY_DESIGN = {
    **{
        f"GET {path}": "a published public challenge is shown to everyone (DESIGN.md: visitors see published challenges)"
        for path in (
            "/challenges/{slug:str}",
            "/challenges/{slug:str}/calendar.ics",
            "/api/v1/challenges/{slug:str}",
            "/api/v1/challenges/{slug:str}/rounds",
            "/api/v1/challenges/{slug:str}/announcements",
        )
    },
    **{
        f"GET {path}": "the gallery and results are public pages (empty until results are published)"
        for path in ("/challenges/{slug:str}/gallery", "/api/v1/challenges/{slug:str}/gallery")
    },
    "GET /challenges/{slug:str}/register": "anyone signed in may register for a public challenge",
    "GET /challenges/{slug:str}/data": "the datasets offered to a challenge are listed to whoever sees the challenge",
    "GET /api/v1/offerings/{offering_id:uuid}": "an agreed offering is shown to whoever sees the challenge",
    **{
        f"GET {path}": "the dataset catalogue shows descriptions and agreements to everyone signed in, never content"
        for path in (
            "/datasets/{slug:str}",
            "/api/v1/datasets/{slug:str}",
            "/api/v1/datasets/{slug:str}/agreement",
        )
    },
    **{
        f"GET {path}": "programs and organizations are public profiles"
        for path in (
            "/programs/{slug:str}",
            "/api/v1/programs/{slug:str}",
            "/organizations/{slug:str}",
            "/api/v1/organizations/{slug:str}",
        )
    },
    **{
        f"GET {path}": "holding the signed link is the capability: it shows what it invites to (accepting checks the address)"
        for path in (
            "/invitations/team/{token:str}",
            "/invitations/judge/{token:str}",
            "/invitations/organization/{token:str}",
            "/challenges/join/{token:str}",
        )
    },
}
# Unsafe routes any signed-in person may use on another challenge, and why; they are not sent (they would
# change world B for the rest of the probe) but must exist.
OPEN_ACTIONS: dict[str, str] = {
    "POST /challenges/{slug:str}/register": "anyone signed in may register for a public challenge",
    "POST /api/v1/challenges/{slug:str}/registration": "anyone signed in may register for a public challenge",
    "POST /challenges/join/{token:str}": "holding a challenge's invitation link is the capability to join it",
    "POST /datasets/{slug:str}/ask": "any founder may ask any dataset of the catalogue for their own challenge",
}


@pytest.fixture
async def worlds(db: Any, settings: Any) -> AsyncIterator[tuple[World, World]]:
    storage = Storage(settings)
    world_a = await build_world(db, settings, storage, "A")
    world_b = await build_world(db, settings, storage, "B")
    yield world_a, world_b
    await storage.remove_all()


async def _send(client: Any, route: Route, url: str, *, htmx: bool = False, body: Any = None) -> Any:
    if route.method == "GET":
        return await client.get(url, headers={"HX-Request": "true"} if htmx else {})
    if route.api:
        headers = {"X-CSRF-Token": await client.csrf()}
        return await client.request(route.method, url, json=body if body is not None else {}, headers=headers)
    # The hidden field submission forms carry, so that they pass their own check and reach the permission's.
    form = {"base_version": "1"}
    if htmx:
        return await client.htmx(route.method, url, data=form)
    return await client.submit(url, form)


def _verdict(route: Route, response: Any, world_b: World) -> str | None:
    """What is wrong with this answer, or None."""
    if world_b.marker in response.text:
        return f"{response.status_code} with world B's private content"
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    if route.key in PUBLIC_BY_DESIGN and response.status_code in (200, 303):
        return None
    if response.status_code in DENIED:
        return None
    return f"{response.status_code} instead of 403/404"


@pytest.mark.parametrize("role", ACTORS)
async def test_actor_of_one_challenge_reaches_nothing_of_the_other(
    app: Any, client: Any, db: Any, worlds: tuple[World, World], role: str
) -> None:
    world_a, world_b = worlds
    document = app.openapi_schema.to_schema()
    await sign_in(client, db, world_a.person(role))
    failures, probed = [], set()
    for route in parametrised_routes(app):
        if route.key in OPEN_ACTIONS:
            continue
        url = url_for(route, world_b)
        # htmx asks GET pages for one block alone; its unsafe requests reach the same handlers as forms.
        for htmx in (False, True) if route.method == "GET" and not route.api else (False,):
            # API bodies of the documented shape, naming B's objects: the request reaches the permission check.
            body = example_body(document, route, world_b) if route.api and route.method != "GET" else None
            response = await _send(client, route, url, htmx=htmx, body=body)
            problem = _verdict(route, response, world_b)
            if problem:
                failures.append(
                    f"{role}: {route.method} {url} ({route.path}{', htmx' if htmx else ''}): {problem}"
                )
        probed.add(route.key)
    # Lists, boards, dashboards and exports take no parameter: they answer for the actor, never with B's objects.
    for route in plain_get_routes(app):
        for htmx in (False, True) if not route.api else (False,):
            response = await _send(client, route, route.path, htmx=htmx)
            if world_b.marker in response.text or response.status_code >= 500:
                failures.append(
                    f"{role}: GET {route.path}{' (htmx)' if htmx else ''}: {response.status_code}, {_verdict(route, response, world_b)}"
                )
    assert not failures, "\n".join(failures)
    expected = {route.key for route in parametrised_routes(app)} - set(OPEN_ACTIONS)
    assert probed == expected


# The allowed twin of the probe: in their own world each actor reaches these (and sees the world's private texts
# where marked), so the refusals above come from the other world, not from a broken sign-in or world.
TWINS: dict[str, list[tuple[Any, bool]]] = {
    "captain": [
        (lambda w: f"/teams/{w.team.id}/rounds/{w.round.id}", True),
        (lambda w: f"/api/v1/files/{w.stored_file.id}", True),
        # Named on the grant with the agreement accepted: the board offers the files (their names) to download.
        (lambda w: f"/teams/{w.team.id}/data", True),
    ],
    "member": [
        (lambda w: f"/api/v1/teams/{w.team.id}/rounds/{w.round.id}/submission", True),
        (lambda w: f"/files/{w.stored_file.id}", True),
    ],
    "founder": [
        (lambda w: f"/challenges/{w.challenge.slug}/rounds/{w.round.id}/submissions", False),
        (
            lambda w: f"/challenges/{w.challenge.slug}/rounds/{w.round.id}/judging/exports/{w.export_job.id}",
            True,
        ),
        (lambda w: f"/api/v1/rounds/{w.round.id}/screening", False),
        # An owner of the organizer organization reads its webhooks' delivery log.
        (lambda w: f"/organizations/{w.founder_org.slug}/webhooks/{w.webhook.id}", True),
    ],
    "judge": [(lambda w: f"/judge/entries/{w.entry.id}", True)],
    "steward": [
        (lambda w: f"/datasets/{w.dataset.slug}/files", True),
        (lambda w: f"/api/v1/grants/{w.grant.id}", False),
    ],
}


@pytest.mark.parametrize("role", ACTORS)
async def test_each_actor_reaches_their_own_world(
    client: Any, db: Any, worlds: tuple[World, World], role: str
) -> None:
    world_a, _world_b = worlds
    await sign_in(client, db, world_a.person(role))
    for url_of, shows_private_text in TWINS[role]:
        response = await client.get(url_of(world_a))
        assert response.status_code == 200, (url_of(world_a), response.status_code)
        assert (world_a.marker in response.text) == shows_private_text, url_of(world_a)


def test_every_parametrised_route_is_probed_or_open_by_design(app: Any) -> None:
    """A route cannot escape the probe: each one yields a URL of world B (a new parameter name fails here),
    and the allow-lists name only routes that exist."""
    keys = {route.key for route in parametrised_routes(app)}
    assert len(keys) > 200
    assert set(PUBLIC_BY_DESIGN) <= keys, set(PUBLIC_BY_DESIGN) - keys
    assert set(OPEN_ACTIONS) <= keys, set(OPEN_ACTIONS) - keys


async def test_asking_data_for_another_challenge_is_refused_before_the_form_is_read(
    client: Any, db: Any, worlds: tuple[World, World]
) -> None:
    """The founder of A, posting an empty form to B's data page, was told to choose a dataset (422) — so the
    form was read for someone who may not ask at all. The permission comes first now."""
    world_a, world_b = worlds
    await sign_in(client, db, world_a.founder)
    response = await client.submit(f"/challenges/{world_b.challenge.slug}/data/ask", {})
    assert response.status_code == 403
    await sign_in(client, db, world_b.founder)
    response = await client.submit(f"/challenges/{world_b.challenge.slug}/data/ask", {})
    assert response.status_code == 422
    assert "Choose a dataset." in response.text


async def test_probe_bodies_pass_the_parser(
    app: Any, client: Any, db: Any, worlds: tuple[World, World]
) -> None:
    """The bodies the probe sends are of the documented shape: for their own world's founder they pass the
    parser (never the 400 of a malformed body), so the refusals of the probe are the permission's."""
    world_a, _world_b = worlds
    document = app.openapi_schema.to_schema()
    await sign_in(client, db, world_a.founder)
    malformed = []
    for route in parametrised_routes(app):
        body = example_body(document, route, world_a) if route.api and route.method != "GET" else None
        if body is None or route.key in OPEN_ACTIONS:
            continue
        response = await _send(client, route, url_for(route, world_a), body=body)
        if response.status_code == 400:
            malformed.append(f"{route.key}: {response.text[:300]}")
    assert not malformed, "\n".join(malformed)
