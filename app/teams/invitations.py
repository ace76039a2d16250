"""Invitations to a team by e-mail: a signed link valid 7 days, for people with or without an account, used once.

The link carries the invitation's id signed with SECRET_KEY under a salt of its own, so no other
token of the platform passes for it; the row's expires_at (and the signature's age) make it expire,
its accepted_at and revoked_at make it single-use and revocable. Only the person signed in with the
invited address accepts it, and only once registered (approved) for the challenge and eligible:
the link page says what is missing (sign in, sign up, register first). Accepting takes a seat like
any join (app.teams.membership.take_seat), under the team's row lock, then the invitation's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import ClientException, NotFoundException
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from app import authz
from app.accounts.models import User
from app.challenges.models import Challenge
from app.notifications.models import Notification
from app.notifications.services import notify, queue_mail
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import in_locale
from app.platform.signed_ids import read_id, sign_id
from app.teams.membership import take_seat, team_full
from app.teams.models import Team, TeamInvitation, TeamMember
from app.teams.schemas import email_input
from app.teams.teams import (
    cancel_pending_requests,
    check_may_join,
    ensure_open,
    load_team,
    membership_frozen,
    rounds_of,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.settings import Settings

SALT = "tremplin.team-invitation"
VALID_DAYS = 7
VALID_FOR = dt.timedelta(days=VALID_DAYS)


class InvitationUnavailable(ClientException):
    """The link is genuine but can no longer be used: expired, already accepted or withdrawn."""

    status_code = 410


@dataclasses.dataclass(frozen=True, slots=True)
class PendingInvitation:
    invitation: TeamInvitation
    inviter: str
    expired: bool


@dataclasses.dataclass(frozen=True, slots=True)
class InvitationDetail:
    invitation: TeamInvitation
    team: Team
    challenge: Challenge
    inviter: str
    # "open", "accepted", "revoked" or "expired".
    state: str
    relations: frozenset[str]
    # Signed in with the invited address, but without an approved registration to the challenge.
    must_register: bool
    frozen: bool


# --- the link ---------------------------------------------------------------------------------------------


def invitation_path(settings: Settings, invitation_id: uuid.UUID) -> str:
    return f"/invitations/team/{sign_id(settings.secret_key, SALT, invitation_id)}"


def _read_token(settings: Settings, token: str) -> tuple[uuid.UUID, bool]:
    """The invitation id and whether the signature is too old; an unsigned or altered token is a 404."""
    return read_id(settings.secret_key, SALT, token, VALID_FOR)


def state_of(invitation: TeamInvitation, now: dt.datetime, *, too_old: bool = False) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if too_old or invitation.expires_at <= now:
        return "expired"
    return "open"


def unavailable_message(state: str) -> str:
    return {
        "accepted": _("This invitation has already been used."),
        "revoked": _("This invitation was withdrawn."),
        "expired": _("This invitation has expired. Ask the team’s captain to invite you again."),
    }[state]


# --- the captain's side --------------------------------------------------------------------------------------


async def invite(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    team_id: uuid.UUID,
    email: object,
    now: dt.datetime,
) -> TeamInvitation:
    """The captain invites someone by e-mail, account or not; one pending invitation per address and team.

    Refused once membership is frozen or when the team is full (409); a bad address, a member's
    address or one already invited is a 422 on `email`.
    """
    ctx = await load_team(session, actor, team_id, "team:invite", lock=True)
    ensure_open(ctx.challenge, ctx.rounds, now)
    address = email_input(email)
    team = ctx.team
    if team.member_count >= ctx.challenge.team_max:
        raise team_full(team.member_count, ctx.challenge.team_max)
    if await _is_member(session, team.id, address):
        raise InvalidInput({"email": _("This person is already in your team.")})
    await _retire_expired(session, team.id, address, now)
    invitation = TeamInvitation(
        team_id=team.id, email=address, invited_by_id=actor.id, expires_at=now + VALID_FOR
    )
    try:
        async with session.begin_nested():
            session.add(invitation)
            await session.flush()
    except IntegrityError:
        raise InvalidInput({"email": _("An invitation to this address is already pending.")}) from None
    await _send(session, actor, settings, team, ctx.challenge, invitation)
    return invitation


async def _is_member(session: AsyncSession, team_id: uuid.UUID, email: str) -> bool:
    return bool(
        await session.scalar(
            select(
                exists()
                .where(TeamMember.team_id == team_id, TeamMember.user_id == User.id)
                .where(func.lower(User.email) == email)
            )
        )
    )


async def _retire_expired(session: AsyncSession, team_id: uuid.UUID, email: str, now: dt.datetime) -> None:
    # An expired invitation still counts as open for the one-per-address index: inviting the address
    # again replaces it rather than being refused as "already pending".
    await session.execute(
        update(TeamInvitation)
        .where(
            TeamInvitation.team_id == team_id,
            func.lower(TeamInvitation.email) == email,
            TeamInvitation.accepted_at.is_(None),
            TeamInvitation.revoked_at.is_(None),
            TeamInvitation.expires_at <= now,
        )
        .values(revoked_at=now)
    )


async def _send(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    team: Team,
    challenge: Challenge,
    invitation: TeamInvitation,
) -> None:
    """The e-mail, in the invitee's language when they have an account (else the inviter's), and for account
    holders a notification in the app, marked e-mailed so that they do not get the same news twice."""
    invitee = await session.scalar(select(User).where(func.lower(User.email) == invitation.email))
    path = invitation_path(settings, invitation.id)
    with in_locale(invitee.locale if invitee else actor.locale):
        subject = _("Invitation to join the team %(team)s on Tremplin", team=team.name)
        body = _(
            "%(inviter)s invites you to join the team %(team)s in the challenge %(challenge)s on Tremplin.\n\n"
            "Open the invitation here:\n%(link)s\n\n"
            "The link is valid for %(days)s days. If you have no account yet, create one with this address "
            "(%(email)s) from the link. To join, you also need an approved registration for the challenge.",
            inviter=actor.name,
            team=team.name,
            challenge=challenge.title,
            link=settings.base_url + path,
            days=VALID_DAYS,
            email=invitation.email,
        )
    await queue_mail(
        session, to=invitation.email, subject=subject, body=body, key=f"team-invitation:{invitation.id}"
    )
    if invitee is not None:
        params = {"inviter": actor.name, "team": team.name, "challenge": challenge.title}
        notification = await notify(session, invitee.id, "team_invitation", params, link=path)
        await session.execute(
            update(Notification).where(Notification.id == notification.id).values(emailed_at=func.now())
        )


async def revoke(
    session: AsyncSession, actor: Actor, team_id: uuid.UUID, invitation_id: uuid.UUID, now: dt.datetime
) -> None:
    """The captain withdraws a pending invitation; its link stops working at once."""
    ctx = await load_team(session, actor, team_id, "team:invite", lock=True)
    invitation = await session.scalar(
        select(TeamInvitation)
        .where(TeamInvitation.id == invitation_id, TeamInvitation.team_id == ctx.team.id)
        .with_for_update()
    )
    if invitation is None:
        raise NotFoundException()
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict(detail=_("This invitation is no longer pending."))
    invitation.revoked_at = now
    await session.flush()


async def pending_invitations(
    session: AsyncSession, team_id: uuid.UUID, now: dt.datetime
) -> list[PendingInvitation]:
    """Invitations neither accepted nor withdrawn, newest first, expired ones flagged. One query."""
    rows = await session.execute(
        select(TeamInvitation, User.name)
        .join(User, User.id == TeamInvitation.invited_by_id)
        .where(
            TeamInvitation.team_id == team_id,
            TeamInvitation.accepted_at.is_(None),
            TeamInvitation.revoked_at.is_(None),
        )
        .order_by(TeamInvitation.created_at.desc(), TeamInvitation.id)
    )
    return [PendingInvitation(invitation, name, invitation.expires_at <= now) for invitation, name in rows]


async def list_invitations(
    session: AsyncSession, actor: Actor, team_id: uuid.UUID, now: dt.datetime
) -> list[PendingInvitation]:
    """The team's pending invitations, for its captain."""
    ctx = await load_team(session, actor, team_id, "team:invite")
    return await pending_invitations(session, ctx.team.id, now)


# --- the invitee's side -------------------------------------------------------------------------------------


async def invitation_detail(
    session: AsyncSession, actor: Actor | None, settings: Settings, token: str, now: dt.datetime
) -> InvitationDetail:
    """What the link's holder sees: the team, its challenge, who invited, and whether it can still be used."""
    invitation_id, too_old = _read_token(settings, token)
    row = (
        await session.execute(
            select(TeamInvitation, Team, Challenge, User.name)
            .join(Team, Team.id == TeamInvitation.team_id)
            .join(Challenge, Challenge.id == Team.challenge_id)
            .join(User, User.id == TeamInvitation.invited_by_id)
            .where(TeamInvitation.id == invitation_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    invitation, team, challenge, inviter = row
    relations = frozenset(authz.relations_to_invitation(actor, invitation.email))
    authz.require(actor, "invitation:view", relations)
    must_register = False
    if "invitee" in relations:
        assert actor is not None
        challenge_relations = await authz.relations_to_challenge(session, actor, challenge)
        must_register = "participant" not in challenge_relations
    frozen = membership_frozen(await rounds_of(session, challenge.id), now)
    state = state_of(invitation, now, too_old=too_old)
    return InvitationDetail(invitation, team, challenge, inviter, state, relations, must_register, frozen)


async def accept(
    session: AsyncSession, actor: Actor, settings: Settings, token: str, now: dt.datetime
) -> Team:
    """The invitee joins the team: once, while the invitation is open and membership is not frozen, with an
    approved registration (eligible), in no other team of the challenge and with a seat left."""
    invitation_id, too_old = _read_token(settings, token)
    team_id = await session.scalar(select(TeamInvitation.team_id).where(TeamInvitation.id == invitation_id))
    if team_id is None:
        raise NotFoundException()
    row = (
        await session.execute(
            select(Team, Challenge)
            .join(Challenge, Challenge.id == Team.challenge_id)
            .where(Team.id == team_id)
            .with_for_update(of=Team)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    team, challenge = row
    invitation = await session.scalar(
        select(TeamInvitation).where(TeamInvitation.id == invitation_id).with_for_update()
    )
    if invitation is None:
        raise NotFoundException()
    authz.require(actor, "invitation:accept", authz.relations_to_invitation(actor, invitation.email))
    state = state_of(invitation, now, too_old=too_old)
    if state != "open":
        raise InvitationUnavailable(detail=unavailable_message(state))
    ensure_open(challenge, await rounds_of(session, challenge.id), now)
    await check_may_join(session, challenge, actor.id, own=True)
    await take_seat(session, team, actor.id)
    invitation.accepted_at = now
    invitation.accepted_by_id = actor.id
    await session.flush()
    await cancel_pending_requests(session, challenge.id, actor.id)
    return team
