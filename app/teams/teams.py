"""Teams of a challenge: loading one for someone, creating one, the captain's details, and the rules shared by
every membership change.

Invariants, kept by the database or under the team's row lock, never by a count read first:
- A person is in at most one team per challenge: UNIQUE(challenge_id, user_id) of team_members.
- A team never exceeds its challenge's maximum: seats are taken by one conditional UPDATE of the
  team's counter (app.teams.membership.take_seat).
- A team has exactly one captain, the member teams.captain_id names: a partial unique index on
  team_members, and captaincy changes under the team's row lock.
- Membership is frozen from the first round's deadline (`membership_frozen`, half-open like every
  rule of app.challenges.lifecycle): from that instant only founders change it, with a reason, audited.
- Every member holds an approved registration and, when the challenge restricts organizations,
  registered for an eligible one; `submit_blocker` says when that or the team's size no longer holds.
- Nobody judges and competes in the same challenge (app.judging.competing): a judge of the challenge
  neither creates nor joins a team of it.

Every service changing membership locks the team's row before any other row of it (invitation, join
request, member): one order for everyone, so concurrent changes wait for each other and never deadlock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from babel.lists import format_list
from litestar.exceptions import ClientException, NotFoundException
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app import authz
from app.accounts.models import User
from app.challenges.eligibility import eligibility_refusal
from app.challenges.models import Challenge, Registration, Round
from app.challenges.queries import load_challenge
from app.judging.competing import ensure_not_judging
from app.organizations.models import Organization, OrganizationMember
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import format_datetime, get_locale, ngettext
from app.platform.i18n import gettext as _
from app.teams.gallery import set_gallery_opt_in
from app.teams.models import JoinRequest, Team, TeamMember
from app.teams.schemas import parse_id, team_input, team_name_error, tidy_text

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.teams.queries import ChallengeFacts, TeamFacts

NAME_INDEX = "uq_teams_challenge_name"


class NotParticipant(ClientException):
    """The person sees the challenge but may not be in a team of it (no approved registration, not eligible)."""

    status_code = 403

    def __init__(self, detail: str, *, register: bool = False) -> None:
        super().__init__(detail=detail)
        # True when registering for the challenge is the way forward.
        self.register = register


@dataclasses.dataclass(slots=True)
class TeamContext:
    """A team as one actor may reach it: its row, its challenge and rounds in order, the actor's relations."""

    team: Team
    challenge: Challenge
    rounds: list[Round]
    relations: set[str]

    def can(self, actor: Actor | None, action: str) -> bool:
        return authz.can(actor, action, self.relations)


@dataclasses.dataclass(frozen=True, slots=True)
class MemberRow:
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    joined_at: dt.datetime
    registration_status: str | None


# --- loading and the shared rules --------------------------------------------------------------------------


async def load_team(
    session: AsyncSession, actor: Actor | None, team_id: uuid.UUID, action: str, *, lock: bool = False
) -> TeamContext:
    """The team if the actor may do `action` on it: 404 when they may not even see it, 403 otherwise.

    With `lock`, the team's row is locked first (see the module's note on lock order).
    """
    team, challenge, relations = await team_and_relations(session, actor, team_id, lock=lock)
    if action == "team:request_join":
        require_participant(actor, relations)
    else:
        authz.require(actor, action, relations)
    return TeamContext(team, challenge, await rounds_of(session, challenge.id), relations)


async def team_and_relations(
    session: AsyncSession, actor: Actor | None, team_id: uuid.UUID, *, lock: bool = False
) -> tuple[Team, Challenge, set[str]]:
    """The team, its challenge and the actor's relations to the team (404 when there is no such team)."""
    statement = (
        select(Team, Challenge).join(Challenge, Challenge.id == Team.challenge_id).where(Team.id == team_id)
    )
    if lock:
        statement = statement.with_for_update(of=Team)
    elif actor is not None:
        # Unlocked, the actor's relations come with the rows: one round trip instead of two.
        statement = statement.add_columns(
            *authz.challenge_relation_columns(actor.id, Challenge.id),
            authz.team_role_column(actor.id, Team.id),
        )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise NotFoundException()
    values: tuple[Any, ...] = tuple(row)
    team, challenge = values[0], values[1]
    if len(values) > 2:
        relations = authz.add_team_relations(authz.challenge_relations(challenge, values[2:6]), values[6])
    else:
        relations = await authz.relations_to_team(session, actor, team, challenge)
    return team, challenge, relations


async def rounds_of(session: AsyncSession, challenge_id: uuid.UUID) -> list[Round]:
    return list(
        await session.scalars(
            select(Round).where(Round.challenge_id == challenge_id).order_by(Round.position)
        )
    )


def require_participant(actor: Actor | None, relations: set[str]) -> None:
    """Joining or creating a team needs an approved registration; those who see the challenge are told so."""
    if authz.can(actor, "team:request_join", relations):
        return
    authz.require(actor, "challenge:view", relations)
    if "registrant" in relations:
        raise NotParticipant(_("Your registration must be approved before you can be in a team."))
    raise NotParticipant(
        _("Register for this challenge first: teams are for its participants."), register=True
    )


class Dated(Protocol):
    """A round, or a row of one: what the freeze reads."""

    @property
    def deadline(self) -> dt.datetime: ...


def membership_frozen(rounds: Sequence[Dated], now: dt.datetime) -> bool:
    """Frozen from the first round's deadline on (that instant included); never before a round exists."""
    return frozen_from(rounds[0].deadline if rounds else None, now)


def frozen_from(first_deadline: dt.datetime | None, now: dt.datetime) -> bool:
    """membership_frozen() from the first round's deadline alone (None: no round yet)."""
    return first_deadline is not None and first_deadline <= now


def ensure_open(challenge: Challenge, rounds: Sequence[Round], now: dt.datetime) -> None:
    """Refuse (409) a membership change by participants once membership is frozen."""
    if membership_frozen(rounds, now):
        raise Conflict(
            detail=_(
                "Teams are frozen since the first round’s deadline (%(date)s): only the founders can change them now.",
                date=format_datetime(rounds[0].deadline, challenge.timezone),
            )
        )


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint a statement broke (asyncpg reports it), to tell the person which rule it was."""
    return getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)


def already_in_team(name: str | None = None) -> Conflict:
    if name is None:
        return Conflict(detail=_("You are already in a team of this challenge."))
    return Conflict(detail=_("%(name)s is already in a team of this challenge.", name=name))


async def team_of(session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the person's team in the challenge, if any."""
    return await session.scalar(
        select(TeamMember.team_id).where(
            TeamMember.challenge_id == challenge_id, TeamMember.user_id == user_id
        )
    )


async def check_may_join(
    session: AsyncSession, challenge: Challenge, user_id: uuid.UUID, *, own: bool
) -> None:
    """The person holds an approved registration, for an eligible organization when the challenge restricts them.

    The registration is share-locked so that it cannot change until this transaction ends. `own` says
    whether the person is the one asking (the sentences address them) or another (the captain approving).
    """
    row = (
        await session.execute(
            select(Registration.status, Organization, User.name)
            .join(User, User.id == Registration.user_id)
            .outerjoin(Organization, Organization.id == Registration.organization_id)
            .where(Registration.challenge_id == challenge.id, Registration.user_id == user_id)
            .with_for_update(read=True, of=Registration)
        )
    ).one_or_none()
    if row is None or row.status != "approved":
        if own:
            raise NotParticipant(
                _("Register for this challenge first: teams are for its participants."), register=row is None
            )
        name = row.name if row else await session.scalar(select(User.name).where(User.id == user_id))
        raise NotParticipant(
            _("%(name)s no longer has an approved registration for this challenge.", name=name)
        )
    if challenge.allowed_kinds or challenge.allowed_countries:
        if row.Organization is None:
            raise NotParticipant(
                _(
                    "This challenge is open to some kinds of organizations or countries only: each member must register for an eligible organization."
                )
            )
        refusal = eligibility_refusal(challenge, row.Organization)
        if refusal is not None:
            raise NotParticipant(refusal)
    await ensure_not_judging(session, challenge.id, user_id, own=own)


async def cancel_pending_requests(session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Someone now in a team no longer waits on other teams of the challenge.

    Rows another transaction holds are skipped rather than waited for: that transaction is deciding the
    same person's request, and waiting on it while it waits on our new member row would deadlock.
    A request skipped that way stays pending but can only be refused ("already in a team").
    """
    pending = (
        select(JoinRequest.id)
        .join(Team, Team.id == JoinRequest.team_id)
        .where(
            Team.challenge_id == challenge_id, JoinRequest.user_id == user_id, JoinRequest.status == "pending"
        )
        .with_for_update(of=JoinRequest, skip_locked=True)
    )
    await session.execute(update(JoinRequest).where(JoinRequest.id.in_(pending)).values(status="cancelled"))


# --- creating a team and the captain's details -------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class NewTeamForm:
    challenge: Challenge
    organizations: list[Organization]
    # Why the actor cannot create a team now, if they cannot.
    refusal: ClientException | None
    my_team_id: uuid.UUID | None


async def new_team_form(session: AsyncSession, actor: Actor, slug: str, now: dt.datetime) -> NewTeamForm:
    """What the page creating a team needs; participants only (others: 403 with the reason, or 404)."""
    visible = await load_challenge(session, actor, slug)
    require_participant(actor, visible.relations)
    my_team_id = await team_of(session, visible.challenge.id, actor.id)
    refusal: ClientException | None = already_in_team() if my_team_id else None
    if refusal is None:
        try:
            ensure_open(visible.challenge, visible.rounds, now)
            await ensure_not_judging(session, visible.challenge.id, actor.id)
        except Conflict as exc:
            refusal = exc
    return NewTeamForm(visible.challenge, await organizations_of(session, actor.id), refusal, my_team_id)


async def create_team(
    session: AsyncSession, actor: Actor, slug: str, now: dt.datetime, *, name: Any, organization_id: Any
) -> Team:
    """A participant not yet in a team of the challenge creates one and becomes its captain (one seat taken).

    Refused once membership is frozen (409), when already in a team (409, also when another request
    made one meanwhile), and on a bad name, a name taken in the challenge (case ignored) or an
    organization that is not the actor's or not eligible (422); refused to a judge of the challenge (409).
    """
    visible = await load_challenge(session, actor, slug)
    require_participant(actor, visible.relations)
    challenge = visible.challenge
    ensure_open(challenge, visible.rounds, now)
    data = team_input(name, organization_id)
    await check_organization(session, actor, challenge, data.organization_id)
    if await team_of(session, challenge.id, actor.id):
        raise already_in_team()
    await ensure_not_judging(session, challenge.id, actor.id)
    team = Team(
        challenge_id=challenge.id,
        name=data.name,
        captain_id=actor.id,
        organization_id=data.organization_id,
        member_count=1,
    )
    try:
        async with session.begin_nested():
            session.add(team)
            await session.flush()
            session.add(
                TeamMember(team_id=team.id, user_id=actor.id, challenge_id=challenge.id, role="captain")
            )
            await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc) == NAME_INDEX:
            raise InvalidInput({"name": _("Another team of this challenge already has this name.")}) from None
        raise already_in_team() from None
    await cancel_pending_requests(session, challenge.id, actor.id)
    return team


async def check_organization(
    session: AsyncSession, actor: Actor, challenge: Challenge, organization_id: uuid.UUID | None
) -> None:
    """The startup a team represents is one of the actor's organizations, eligible for the challenge."""
    if organization_id is None:
        return
    organization = await session.scalar(
        select(Organization)
        .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
        .where(Organization.id == organization_id, OrganizationMember.user_id == actor.id)
    )
    if organization is None:
        # Another person's organization reads like a missing one: the id reveals nothing.
        raise InvalidInput({"organization": _("Choose one of your organizations.")})
    refusal = eligibility_refusal(challenge, organization)
    if refusal is not None:
        raise InvalidInput({"organization": refusal})


_UNCHANGED: Any = object()


async def update_team(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    *,
    name: Any = _UNCHANGED,
    organization_id: Any = _UNCHANGED,
    gallery_opt_in: Any = _UNCHANGED,
) -> Team:
    """The captain renames the team, changes the startup it represents or its gallery consent (422 on bad input).

    These are not membership: they stay open after the freeze. The gallery consent goes through
    app.teams.gallery, which keeps it in the audit log.
    """
    ctx = await load_team(session, actor, team_id, "team:edit", lock=True)
    team = ctx.team
    errors: dict[str, str] = {}
    new_name = team.name
    if name is not _UNCHANGED:
        new_name = tidy_text(name)
        if error := team_name_error(new_name):
            errors["name"] = error
    new_organization = team.organization_id
    if organization_id is not _UNCHANGED:
        parsed = parse_id(organization_id)
        if parsed is False:
            errors["organization"] = _("Choose one of your organizations.")
        else:
            new_organization = parsed or None
    if errors:
        raise InvalidInput(errors)
    if new_organization != team.organization_id:
        await check_organization(session, actor, ctx.challenge, new_organization)
    try:
        async with session.begin_nested():
            team.name = new_name
            team.organization_id = new_organization
            await session.flush()
    except IntegrityError:
        raise InvalidInput({"name": _("Another team of this challenge already has this name.")}) from None
    if gallery_opt_in is not _UNCHANGED:
        await set_gallery_opt_in(session, actor, team, bool(gallery_opt_in))
    return team


async def organizations_of(session: AsyncSession, user_id: uuid.UUID) -> list[Organization]:
    return list(
        await session.scalars(
            select(Organization)
            .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
            .where(OrganizationMember.user_id == user_id)
            .order_by(Organization.name, Organization.id)
        )
    )


# --- who may submit -----------------------------------------------------------------------------------------


async def member_rows(session: AsyncSession, team: Team | TeamFacts) -> list[MemberRow]:
    """The team's members, captain first, each with the status of their registration to the challenge."""
    rows = await session.execute(
        select(TeamMember, User.name, User.email, Registration.status)
        .join(User, User.id == TeamMember.user_id)
        .outerjoin(
            Registration,
            (Registration.challenge_id == TeamMember.challenge_id)
            & (Registration.user_id == TeamMember.user_id),
        )
        .where(TeamMember.team_id == team.id)
        .order_by(TeamMember.role, TeamMember.joined_at, User.name)
    )
    return [
        MemberRow(member.user_id, name, email, member.role, member.joined_at, status)
        for member, name, email, status in rows
    ]


def blocker_of(challenge: Challenge | ChallengeFacts, members: Sequence[MemberRow]) -> str | None:
    """Why a team of these members may not submit, or None."""
    count = len(members)
    if count < challenge.team_min:
        return ngettext(
            "Your team has %(num)s member; this challenge requires at least %(min)s.",
            "Your team has %(num)s members; this challenge requires at least %(min)s.",
            count,
            min=challenge.team_min,
        )
    if count > challenge.team_max:
        return ngettext(
            "Your team has %(num)s member; this challenge allows at most %(max)s.",
            "Your team has %(num)s members; this challenge allows at most %(max)s.",
            count,
            max=challenge.team_max,
        )
    unregistered = [member.name for member in members if member.registration_status != "approved"]
    if unregistered:
        return _(
            "Every member needs an approved registration for this challenge; %(names)s has none.",
            names=format_list(unregistered, locale=get_locale()),
        )
    return None


async def submit_blocker(
    session: AsyncSession, team: Team | TeamFacts, challenge: Challenge | ChallengeFacts
) -> str | None:
    """Why the team may not submit to the challenge now, in the current language, or None when it may.

    Too few members (below the challenge's minimum), too many (the maximum lowered since), or a member
    whose registration is no longer approved. One query.
    """
    return blocker_of(challenge, await member_rows(session, team))
