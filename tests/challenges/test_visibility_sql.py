"""visible_challenges() scopes lists in SQL exactly as challenge:view answers for one challenge."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from app import authz
from app.accounts.sessions import actor_from_user
from app.challenges.models import Challenge, ChallengeInvitee
from tests.factories import make_challenge, make_founder, make_user


async def visible_ids(db, actor, ids):
    rows = await db.scalars(
        select(Challenge.id).where(authz.visible_challenges(actor), Challenge.id.in_(ids))
    )
    found = set(rows)
    # Statements compiled once per kind of viewer take the actor as a bind parameter: same answer.
    if actor is not None and not actor.is_admin:
        by_parameter = await db.scalars(
            select(Challenge.id).where(
                authz.visible_challenges_of(bindparam("actor_id")), Challenge.id.in_(ids)
            ),
            {"actor_id": actor.id},
        )
        assert set(by_parameter) == found
    return found


async def test_sql_scope_agrees_with_challenge_view(db):
    public = await make_challenge(db)
    draft = await make_challenge(db, published=False)
    private = await make_challenge(db, visibility="invitation")
    founder = await make_founder(db, draft)
    invitee = await make_user(db)
    db.add(ChallengeInvitee(challenge_id=private.id, user_id=invitee.id))
    admin = await make_user(db, admin=True)
    outsider = await make_user(db)
    await db.flush()
    ids = [public.id, draft.id, private.id]
    for user in (None, founder, invitee, admin, outsider):
        actor = actor_from_user(user) if user else None
        expected = set()
        for challenge in (public, draft, private):
            relations = await authz.relations_to_challenge(db, actor, challenge)
            if authz.can(actor, "challenge:view", relations):
                expected.add(challenge.id)
        assert await visible_ids(db, actor, ids) == expected
    assert await visible_ids(db, None, ids) == {public.id}
    assert await visible_ids(db, actor_from_user(invitee), ids) == {public.id, private.id}
    assert await visible_ids(db, actor_from_user(founder), ids) == {public.id, draft.id}
    assert await visible_ids(db, actor_from_user(admin), ids) == set(ids)
