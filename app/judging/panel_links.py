"""The link of a judge invitation and the invited person's side: what the link shows, and accepting it.

The link carries the seat's id signed with SECRET_KEY under a salt of its own (no other token of the
platform passes for it), valid VALID_DAYS from each sending: resending gives a fresh link. Only the
person signed in with the invited address accepts (403 otherwise, the page says why), once, while the
seat is neither accepted nor removed (410), and never a member of a team of the challenge (409,
app.judging.competing). Accepting is audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from litestar.exceptions import ClientException, NotFoundException
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import authz
from app.accounts.models import User
from app.challenges.models import Challenge, Round
from app.judging.competing import ensure_not_competing
from app.judging.models import Judge
from app.platform import audit
from app.platform.errors import Conflict
from app.platform.i18n import gettext as _
from app.platform.signed_ids import read_id, sign_id
from app.teams.models import Team, TeamMember

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.settings import Settings

SALT = "tremplin.judge-invitation"
VALID_DAYS = 30


class InvitationUnavailable(ClientException):
    """The link is genuine but can no longer be used: expired, already accepted or withdrawn."""

    status_code = 410


def status_of(judge: Judge) -> str:
    """One of "removed", "accepted" or "invited"."""
    if judge.removed_at is not None:
        return "removed"
    return "accepted" if judge.accepted_at is not None else "invited"


# --- the link ---------------------------------------------------------------------------------------------


def invitation_path(settings: Settings, judge_id: uuid.UUID) -> str:
    return f"/invitations/judge/{sign_id(settings.secret_key, SALT, judge_id)}"


def link_state(judge: Judge, too_old: bool) -> str:
    """One of "open", "accepted", "removed" or "expired"."""
    status = status_of(judge)
    if status != "invited":
        return status
    return "expired" if too_old else "open"


def unavailable_message(state: str) -> str:
    return {
        "accepted": _("This invitation has already been accepted."),
        "removed": _("This invitation was withdrawn by the organizers."),
        "expired": _("This invitation has expired. Ask the organizers to send it again."),
    }[state]


# --- the invitee's side -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class JudgeInvitation:
    judge: Judge
    round: Round
    challenge: Challenge
    inviter: str
    state: str  # see link_state
    relations: frozenset[str]


async def _load_link(
    session: AsyncSession, settings: Settings, token: str, *, lock: bool = False
) -> tuple[Judge, Round, Challenge, str, bool]:
    judge_id, too_old = read_id(settings.secret_key, SALT, token, dt.timedelta(days=VALID_DAYS))
    statement = (
        select(Judge, Round, Challenge, func.coalesce(User.name, ""))
        .join(Round, Round.id == Judge.round_id)
        .join(Challenge, Challenge.id == Judge.challenge_id)
        .outerjoin(User, User.id == Judge.invited_by_id)
        .where(Judge.id == judge_id)
    )
    if lock:
        statement = statement.with_for_update(of=Judge)
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise NotFoundException()
    judge, round_, challenge, inviter = row
    return judge, round_, challenge, inviter, too_old


async def invitation_detail(
    session: AsyncSession, actor: Actor | None, settings: Settings, token: str
) -> JudgeInvitation:
    """What the link's holder sees: the challenge, the round, who invited, and whether it is still usable."""
    judge, round_, challenge, inviter, too_old = await _load_link(session, settings, token)
    relations = frozenset(authz.relations_to_invitation(actor, judge.email))
    authz.require(actor, "invitation:view", relations)
    return JudgeInvitation(judge, round_, challenge, inviter, link_state(judge, too_old), relations)


async def accept_invitation(
    session: AsyncSession, actor: Actor, settings: Settings, token: str, now: dt.datetime
) -> Judge:
    """The invited person takes the seat: signed in with the invited address (else 403), while the link is
    open (else 410), and not a member of a team of the challenge (409). Audited."""
    judge, round_, challenge, _inviter, too_old = await _load_link(session, settings, token, lock=True)
    authz.require(actor, "invitation:accept", authz.relations_to_invitation(actor, judge.email))
    state = link_state(judge, too_old)
    if state != "open":
        raise InvitationUnavailable(detail=unavailable_message(state))
    await ensure_not_competing(session, challenge.id, actor.id)
    judge.user_id = actor.id
    judge.accepted_at = now
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(detail=_("You already sit on this round’s panel.")) from None
    await audit.record(
        session,
        actor,
        "judging:accept_invitation",
        "judge",
        judge.id,
        {"challenge": challenge.slug, "round": str(round_.id), "email": judge.email},
    )
    return judge


async def competing_team(session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    """The name of the person's team in the challenge, to say so on the invitation page before they try."""
    return await session.scalar(
        select(Team.name)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.challenge_id == challenge_id, TeamMember.user_id == user_id)
    )
