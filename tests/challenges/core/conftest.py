"""The cast of the challenge-core tests: two challenges side by side, their founders, people, an admin."""

from __future__ import annotations

import pytest

from app.accounts.models import User
from tests.challenges.core.helpers import Cast, complete, organize
from tests.conftest import Client, make_client
from tests.factories import make_challenge, make_organization, make_registration, make_user, sign_in


@pytest.fixture
async def cast(db) -> Cast:
    """Acme Hospital (the founder's) organizes a public, a draft and an invitation-only challenge;
    Other Lab (the other founder's) organizes another one; a participant is registered to the public one."""
    founder = await make_user(db, name="Fanny Founder")
    other_founder = await make_user(db, name="Otto Other")
    user = await make_user(db, name="Ursula User")
    participant = await make_user(db, name="Paul Participant")
    admin = await make_user(db, name="Ada Admin", admin=True)
    organization = await make_organization(
        db, name="Acme Hospital", kind="hospital", owner=founder, verified=True
    )
    other_org = await make_organization(db, name="Other Lab", kind="academic_lab", owner=other_founder)
    public = await make_challenge(db, title="Public Heart Challenge", **complete())
    draft = await make_challenge(db, title="Draft Lung Challenge", published=False, **complete())
    private = await make_challenge(
        db, title="Private Kidney Challenge", visibility="invitation", **complete()
    )
    other = await make_challenge(db, title="Other Brain Challenge", **complete())
    for challenge in (public, draft, private):
        await organize(db, challenge, organization)
    await organize(db, other, other_org)
    await make_registration(db, public, participant)
    return Cast(founder, other_founder, user, participant, admin, organization, public, draft, private, other)


@pytest.fixture
async def browser(app, session_maker, db):
    """Open a browser, signed in as `user` when given: `await browser(user)`; each has its own cookies."""
    app.state.services.session_maker = session_maker
    opened: list[Client] = []

    async def open_as(user: User | None = None) -> Client:
        client = make_client(app)
        await client.__aenter__()
        opened.append(client)
        if user is not None:
            await sign_in(client, db, user)
        return client

    yield open_as
    for client in opened:
        await client.__aexit__(None, None, None)
