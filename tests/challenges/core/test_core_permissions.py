"""Every route of programs and challenges (core), asked through HTTP by each member of the cast.

Allowed answers are 200/201/303; refusals 403 (may see, may not act) or 404 (may not even see), the
sign-in redirect for visitors on pages and 401 on the API; 422 when the person may act but a
business rule refuses (e.g. no organization to create for). Never a 500. Each request runs in a
savepoint rolled back afterwards, so what one person does never changes what the next one meets.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.challenges.inputs import local_input
from app.challenges.models import Prize, Program, ProgramOrganization, Round, RoundField
from tests.challenges.core.helpers import ROLES, send
from tests.factories import make_organization

LOGIN = "sign-in"
DAY = dt.timedelta(days=1)
# Expected answers in the order of ROLES: founder, other_founder, user, participant, admin, visitor.
EVERYONE = (200, 200, 200, 200, 200, 200)
SIGNED_IN = (200, 200, 200, 200, 200, LOGIN)
FOUNDER_PAGE = (200, 403, 403, 403, 403, LOGIN)
FOUNDER_POST = (303, 403, 403, 403, 403, LOGIN)
FOUNDER_DRAFT_POST = (303, 404, 404, 404, 403, LOGIN)
FOUNDER_API = (200, 403, 403, 403, 403, 401)
FOUNDER_API_CREATED = (201, 403, 403, 403, 403, 401)
SEEN_BY_FOUNDERS_AND_ADMINS = (200, 404, 404, 404, 200, 404)
DETAILS = {
    "title": "Public Heart Challenge",
    "summary": "s",
    "description": "d",
    "rules": "Be kind.",
    "program": "",
    "visibility": "public",
    "timezone": "Europe/Paris",
    "team_min": "1",
    "team_max": "5",
    "approval_mode": "manual",
}
PROGRAM = {"title": "Matrix", "kind": "technology", "starts_on": "2027-01-01", "ends_on": "2027-12-31"}
FIELD = {"label": "Deck", "kind": "url"}

ROUTES = [
    # programs
    ("GET", "/programs", None, EVERYONE),
    ("GET", "/programs/new", None, SIGNED_IN),
    ("POST", "/programs", {**PROGRAM, "organizations": "{org}"}, (303, 422, 422, 422, 422, LOGIN)),
    ("GET", "/programs/{program}", None, EVERYONE),
    ("GET", "/programs/{program}/edit", None, FOUNDER_PAGE),
    ("POST", "/programs/{program}/edit", PROGRAM, FOUNDER_POST),
    ("GET", "/api/v1/programs", None, EVERYONE),
    ("POST", "/api/v1/programs", {**PROGRAM, "organizations": ["{org}"]}, (201, 422, 422, 422, 422, 401)),
    ("GET", "/api/v1/programs/{program}", None, EVERYONE),
    ("PATCH", "/api/v1/programs/{program}", {"title": "Renamed"}, FOUNDER_API),
    # creating a challenge: anyone signed in, for an organization of theirs
    ("GET", "/challenges/new", None, SIGNED_IN),
    ("POST", "/challenges", {"title": "New one", "organizations": "{org}"}, (303, 422, 422, 422, 422, LOGIN)),
    (
        "POST",
        "/api/v1/challenges",
        {"title": "New one", "organizations": ["{org}"]},
        (201, 422, 422, 422, 422, 401),
    ),
    ("GET", "/founder", None, SIGNED_IN),
    # a published public challenge
    ("GET", "/challenges/{public}", None, EVERYONE),
    ("GET", "/challenges/{public}/calendar.ics", None, EVERYONE),
    ("GET", "/challenges/{public}/edit", None, FOUNDER_PAGE),
    ("POST", "/challenges/{public}/edit", DETAILS, FOUNDER_POST),
    ("POST", "/challenges/{public}/timeline", {"results_at": "{results}"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/organizers", {"organization": "{labs}"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/extend", {"target": "registration", "until": "{later}"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/announcements", {"title": "News", "body": "Hello"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/prizes", {"title": "Prize"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/prizes/{prize}", {"title": "Renamed prize"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/prizes/{prize}/move", {"direction": "up"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/prizes/{prize}/remove", None, FOUNDER_POST),
    ("POST", "/challenges/{public}/questions", {"label": "Why?"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/questions/q-matrix", {"label": "Why not?"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/questions/q-matrix/move", {"direction": "down"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/questions/q-matrix/remove", None, FOUNDER_POST),
    (
        "POST",
        "/challenges/{public}/rounds",
        {"name": "Final", "opens_at": "{opens}", "deadline": "{deadline}", "rubric_planned": "1"},
        FOUNDER_POST,
    ),
    ("GET", "/challenges/{public}/rounds/{round}", None, FOUNDER_PAGE),
    ("POST", "/challenges/{public}/rounds/{round}", {"name": "Renamed", "rubric_planned": "1"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/rounds/{round}/fields", FIELD, FOUNDER_POST),
    ("POST", "/challenges/{public}/rounds/{round}/fields/{field}", FIELD, FOUNDER_POST),
    ("POST", "/challenges/{public}/rounds/{round}/fields/{field}/move", {"direction": "up"}, FOUNDER_POST),
    ("POST", "/challenges/{public}/rounds/{round}/fields/{field}/remove", None, FOUNDER_POST),
    ("GET", "/api/v1/challenges/{public}", None, EVERYONE),
    ("PATCH", "/api/v1/challenges/{public}", {"summary": "API"}, FOUNDER_API),
    ("POST", "/api/v1/challenges/{public}/registration/extend", {"until": "{later_utc}"}, FOUNDER_API),
    ("GET", "/api/v1/challenges/{public}/rounds", None, EVERYONE),
    (
        "POST",
        "/api/v1/challenges/{public}/rounds",
        {"name": "Final", "opens_at": "{opens_utc}", "deadline": "{deadline_utc}"},
        FOUNDER_API_CREATED,
    ),
    ("PATCH", "/api/v1/challenges/{public}/rounds/{round}", {"name": "API round"}, FOUNDER_API),
    (
        "POST",
        "/api/v1/challenges/{public}/rounds/{round}/extend",
        {"until": "{round_later_utc}"},
        FOUNDER_API,
    ),
    ("POST", "/api/v1/challenges/{public}/rounds/{round}/fields", FIELD, FOUNDER_API_CREATED),
    ("DELETE", "/api/v1/challenges/{public}/rounds/{round}/fields/{field}", None, FOUNDER_API),
    ("GET", "/api/v1/challenges/{public}/announcements", None, EVERYONE),
    (
        "POST",
        "/api/v1/challenges/{public}/announcements",
        {"title": "News", "body": "Hi"},
        FOUNDER_API_CREATED,
    ),
    # a draft: its founders (and admins, read-only) only
    ("GET", "/challenges/{draft}", None, SEEN_BY_FOUNDERS_AND_ADMINS),
    ("GET", "/challenges/{draft}/calendar.ics", None, SEEN_BY_FOUNDERS_AND_ADMINS),
    ("GET", "/challenges/{draft}/edit", None, (200, 404, 404, 404, 403, LOGIN)),
    ("POST", "/challenges/{draft}/publish", None, FOUNDER_DRAFT_POST),
    ("POST", "/challenges/{draft}/rounds/{draft_round}/move", {"direction": "down"}, FOUNDER_DRAFT_POST),
    ("POST", "/challenges/{draft}/rounds/{draft_round}/remove", None, FOUNDER_DRAFT_POST),
    ("GET", "/api/v1/challenges/{draft}", None, SEEN_BY_FOUNDERS_AND_ADMINS),
    ("POST", "/api/v1/challenges/{draft}/publish", None, (200, 404, 404, 404, 403, 401)),
    ("GET", "/api/v1/challenges/{draft}/rounds", None, SEEN_BY_FOUNDERS_AND_ADMINS),
    # an invitation-only challenge: founders and admins (and invitees, tested by the registration part)
    ("GET", "/challenges/{private}", None, SEEN_BY_FOUNDERS_AND_ADMINS),
    ("GET", "/challenges/{private}/calendar.ics", None, SEEN_BY_FOUNDERS_AND_ADMINS),
    ("GET", "/api/v1/challenges/{private}/announcements", None, SEEN_BY_FOUNDERS_AND_ADMINS),
    (
        "POST",
        "/challenges/{private}/announcements",
        {"title": "News", "body": "Hi"},
        (303, 404, 404, 404, 403, LOGIN),
    ),
]


def answer(response) -> int | str:
    if response.status_code == 303 and response.headers["location"].startswith("/login?next="):
        return LOGIN
    return response.status_code


def fill(value, names):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [fill(item, names) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    return value


async def names_for(db, cast) -> dict[str, str]:
    """The objects the paths and bodies name: a program, a prize, a question, rounds and a field."""
    program = Program(
        slug="matrix-program",
        title="Matrix",
        kind="technology",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 12, 31),
    )
    db.add(program)
    await db.flush()
    db.add(ProgramOrganization(program_id=program.id, organization_id=cast.organization.id))
    labs = await make_organization(db, name="Acme Labs", owner=cast.founder)
    prize = Prize(challenge_id=cast.public.id, position=1, title="Prize")
    db.add(prize)
    cast.public.registration_questions = [{"key": "q-matrix", "label": "Why?", "required": False}]
    round_ = await db.scalar(select(Round).where(Round.challenge_id == cast.public.id))
    draft_round = await db.scalar(select(Round).where(Round.challenge_id == cast.draft.id))
    field = RoundField(round_id=round_.id, key="f-matrix", position=1, label="Old", kind="short_text")
    db.add(field)
    await db.flush()
    # A new last round fits between the current last deadline and the end of judging.
    opens, deadline = round_.deadline + DAY, cast.public.judging_ends_at - DAY
    later = cast.public.registration_closes_at + DAY
    return {
        "org": cast.organization.slug,
        "labs": labs.slug,
        "program": program.slug,
        "prize": str(prize.id),
        "public": cast.public.slug,
        "draft": cast.draft.slug,
        "private": cast.private.slug,
        "round": str(round_.id),
        "draft_round": str(draft_round.id),
        "field": str(field.id),
        "results": local_input(cast.public.results_at + DAY, "Europe/Paris"),
        "later": local_input(later, "Europe/Paris"),
        "later_utc": later.isoformat(),
        "round_later_utc": (round_.deadline + DAY).isoformat(),
        "opens": local_input(opens, "Europe/Paris"),
        "deadline": local_input(deadline, "Europe/Paris"),
        "opens_utc": opens.isoformat(),
        "deadline_utc": deadline.isoformat(),
    }


@pytest.mark.parametrize(
    ("method", "path", "data", "expected"), ROUTES, ids=[f"{m} {p}" for m, p, _d, _e in ROUTES]
)
async def test_each_role_gets_the_expected_answer(
    method, path, data, expected, cast, browser, db, connection
):
    names = await names_for(db, cast)
    url = path.format(**names)
    body = fill(data, names)
    clients = {}
    for role in ROLES:
        clients[role] = await browser(cast.person(role))
        await clients[role].csrf()
    answers = {}
    for role in ROLES:
        savepoint = await connection.begin_nested()
        try:
            answers[role] = answer(await send(clients[role], method, url, body))
        finally:
            await savepoint.rollback()
    assert answers == dict(zip(ROLES, expected, strict=True))


CORE_MODULES = {
    "app.challenges.controllers",
    "app.challenges.editor_controllers",
    "app.challenges.program_controllers",
    "app.challenges.api",
}
PLACEHOLDERS = {
    "{public}": "{slug:str}",
    "{draft}": "{slug:str}",
    "{private}": "{slug:str}",
    "{program}": "{slug:str}",
    "{round}": "{round_id:uuid}",
    "{draft_round}": "{round_id:uuid}",
    "{prize}": "{prize_id:uuid}",
    "{field}": "{field_id:uuid}",
    "q-matrix": "{key:str}",
}


def test_the_table_asks_every_route_of_the_core(app):
    served = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.fn.__module__ in CORE_MODULES:
                served |= {f"{method} {route.path}" for method in handler.http_methods if method != "OPTIONS"}
    asked = set()
    for method, path, _data, _expected in ROUTES:
        for placeholder, parameter in PLACEHOLDERS.items():
            path = path.replace(placeholder, parameter)
        asked.add(f"{method} {path}")
    assert len(served) > 50, "the core's handlers were not found"
    assert served - asked == set()
