"""The shareable invitation link of a challenge: made and rotated by its founders, followed by people.

The link carries a random token kept in challenges.invitation_token; rotating replaces it, so the
old link stops working at once, and turning it off removes it. Holding the link is the capability:
whoever follows it, signed in, joins the challenge's invitees and from then on sees it even when it
is invitation-only. Joining changes state, so it is a POST; the link itself (a GET) shows what the
person is about to join. Links of unpublished challenges lead nowhere (404) until publication.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app import authz
from app.challenges.models import Challenge, ChallengeInvitee
from app.challenges.queries import Visible, load_challenge
from app.platform import audit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

TOKEN_BYTES = 24
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def link_path(token: str) -> str:
    return f"/challenges/join/{token}"


@dataclasses.dataclass(frozen=True, slots=True)
class JoinTarget:
    challenge: Challenge
    # The person sees the challenge already (invited before, founder, public challenge): nothing to join.
    already_visible: bool


async def invitation_link(session: AsyncSession, actor: Actor, slug: str) -> Visible:
    """The challenge whose link its founders manage; the token is on the challenge (None: no link)."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "challenge:edit", visible.relations)
    return visible


async def rotate_invitation_link(session: AsyncSession, actor: Actor, slug: str) -> str:
    """Make a new link (the first one, or a replacement: the previous one stops working). Returns the token."""
    visible = await load_challenge(session, actor, slug, for_update=True)
    authz.require(actor, "challenge:edit", visible.relations)
    challenge = visible.challenge
    replaced = challenge.invitation_token is not None
    challenge.invitation_token = secrets.token_urlsafe(TOKEN_BYTES)
    await session.flush()
    await audit.record(
        session,
        actor,
        "challenge:invitation_link",
        "challenge",
        challenge.id,
        {"slug": slug, "replaced": replaced},
    )
    return challenge.invitation_token


async def disable_invitation_link(session: AsyncSession, actor: Actor, slug: str) -> None:
    """Turn the link off; those who joined through it stay invited."""
    visible = await load_challenge(session, actor, slug, for_update=True)
    authz.require(actor, "challenge:edit", visible.relations)
    challenge = visible.challenge
    if challenge.invitation_token is None:
        return
    challenge.invitation_token = None
    await session.flush()
    await audit.record(
        session, actor, "challenge:invitation_link_disable", "challenge", challenge.id, {"slug": slug}
    )


async def _challenge_of(session: AsyncSession, token: str) -> Challenge:
    # Anything that cannot be a token is unknown without asking the database (NUL bytes would upset it).
    if not TOKEN_PATTERN.fullmatch(token):
        raise NotFoundException()
    challenge = await session.scalar(select(Challenge).where(Challenge.invitation_token == token))
    if challenge is None or challenge.published_at is None:
        raise NotFoundException()
    return challenge


async def join_target(session: AsyncSession, actor: Actor, token: str) -> JoinTarget:
    """What a link leads to; 404 for unknown, rotated or turned-off tokens."""
    # The token is the invitation; the one role asked for is what taking part always needs: being signed in.
    authz.require(actor, "challenge:register")
    challenge = await _challenge_of(session, token)
    relations = await authz.relations_to_challenge(session, actor, challenge)
    return JoinTarget(challenge, authz.can(actor, "challenge:view", relations))


async def join(session: AsyncSession, actor: Actor, token: str) -> Challenge:
    """Add the actor to the challenge's invitees (once, however often they follow the link)."""
    authz.require(actor, "challenge:register")
    challenge = await _challenge_of(session, token)
    joined = await session.scalar(
        insert(ChallengeInvitee)
        .values(challenge_id=challenge.id, user_id=actor.id)
        .on_conflict_do_nothing(index_elements=["challenge_id", "user_id"])
        .returning(ChallengeInvitee.user_id)
    )
    if joined is not None:
        await audit.record(
            session, actor, "challenge:join", "challenge", challenge.id, {"slug": challenge.slug}
        )
    return challenge
