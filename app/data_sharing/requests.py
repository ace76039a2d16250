"""Access requests: a team's captain drafts a request for an offered dataset, names members, each named member
accepts the agreement in force themselves, the captain submits; stewards approve, reject or return it.

Invariants kept here:
- The state is never written: every change is an `AccessRequestEvent` inserted with the next `seq` while
  the request row is locked (`SELECT ... FOR UPDATE`); the database trigger sets `access_requests.state`.
  Two concurrent transitions therefore serialize: the second sees the first's state and is refused with
  409 naming the current state, and every accepted step is in the history.
- Internal comments (`internal=true`) are for the dataset's stewards: history reads filter them out for
  everyone else, and nobody but stewards is notified of them.
- Every transition and comment is in the audit log, in its own transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select

from app import authz
from app.accounts.models import User
from app.challenges.models import Challenge, Round
from app.data_sharing.models import (
    AccessRequest,
    AccessRequestEvent,
    AccessRequestMember,
    AgreementAcceptance,
    AgreementVersion,
    Dataset,
    DatasetSteward,
    Offering,
)
from app.notifications.services import notify
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import lazy
from app.teams.models import Team, TeamMember
from app.webhooks import events as webhook_events

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

TEXT_MAX = 5_000
STATE_LABELS = {
    "draft": lazy("Draft"),
    "submitted": lazy("Submitted"),
    "approved": lazy("Approved"),
    "rejected": lazy("Rejected"),
    "returned": lazy("Returned for changes"),
    "withdrawn": lazy("Withdrawn"),
}
EDITABLE = ("draft", "returned")
# A request in one of these states is under way: the captain follows it rather than starting another.
UNDER_WAY = ("draft", "submitted", "returned")
# A steward's decisions on a submitted request: each is sent to the steward organization's webhooks.
DECISIONS = ("approved", "rejected", "returned")


def state_label(state: str) -> str:
    return _(STATE_LABELS.get(state, state))


@dataclasses.dataclass(slots=True)
class RequestContext:
    request: AccessRequest
    team: Team
    challenge: Challenge
    dataset: Dataset
    relations: set[str]

    @property
    def steward(self) -> bool:
        return "steward" in self.relations


async def load(
    session: AsyncSession, actor: Actor | None, request_id: uuid.UUID, action: str, *, lock: bool = False
) -> RequestContext:
    """The request, its team, challenge and dataset in one query, and the actor's relations; `require(action)`.
    With `lock`, the request row is locked (and re-read) first so transitions serialize."""
    if lock:
        await session.execute(
            select(AccessRequest.id).where(AccessRequest.id == request_id).with_for_update()
        )
    row = (
        await session.execute(
            select(AccessRequest, Team, Challenge, Dataset)
            .join(Team, Team.id == AccessRequest.team_id)
            .join(Challenge, Challenge.id == AccessRequest.challenge_id)
            .join(Dataset, Dataset.id == AccessRequest.dataset_id)
            .where(AccessRequest.id == request_id)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException()
    request, team, challenge, dataset = row
    relations = await authz.relations_to_team_data(session, actor, team, challenge, dataset.id)
    authz.require(actor, action, relations)
    return RequestContext(request, team, challenge, dataset, relations)


def clean_text(value: str, field: str, required: str | None = None) -> str:
    cleaned = value.replace("\x00", "").replace("\r\n", "\n").strip()
    if required and not cleaned:
        raise InvalidInput({field: required})
    if len(cleaned) > TEXT_MAX:
        raise InvalidInput({field: _("Use at most %(num)s characters.", num=TEXT_MAX)})
    return cleaned


async def current_version(session: AsyncSession, dataset_id: uuid.UUID) -> int:
    version = await session.scalar(
        select(func.max(AgreementVersion.version)).where(AgreementVersion.dataset_id == dataset_id)
    )
    return int(version or 0)


async def _team_members(session: AsyncSession, team_id: uuid.UUID) -> set[uuid.UUID]:
    return set(await session.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id)))


async def _named_members(
    session: AsyncSession, team_id: uuid.UUID, member_ids: Iterable[str | uuid.UUID]
) -> list[uuid.UUID]:
    """The named members, checked: at least one, each a current member of the team."""
    chosen: list[uuid.UUID] = []
    for raw in member_ids:
        try:
            user_id = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
        except ValueError:
            raise InvalidInput({"members": _("Choose members of your team from the list.")}) from None
        if user_id not in chosen:
            chosen.append(user_id)
    if not chosen:
        raise InvalidInput({"members": _("Name at least one member who will access the data.")})
    if not set(chosen) <= await _team_members(session, team_id):
        raise InvalidInput({"members": _("Only current members of your team can be named.")})
    return chosen


async def open_offering(session: AsyncSession, offering_id: uuid.UUID, team: Team) -> Offering:
    """An agreed, not withdrawn offering of the team's challenge, open to the team's round (else 404/409).
    The one check of both the captain's form (which explains a 409 instead of showing the form) and `create`."""
    from app.teams.submissions import may_enter_round

    offering = await session.get(Offering, offering_id)
    if offering is None or offering.challenge_id != team.challenge_id:
        raise NotFoundException()
    if (
        offering.withdrawn_at is not None
        or offering.founder_agreed_at is None
        or offering.steward_agreed_at is None
    ):
        raise Conflict(
            detail=_("This dataset is not available to your challenge (not agreed, or withdrawn).")
        )
    if offering.from_round_id is not None:
        round_ = await session.get(Round, offering.from_round_id)
        if round_ is not None and not await may_enter_round(session, team, round_):
            raise Conflict(
                detail=_("This dataset is offered only to teams taking part in %(round)s.", round=round_.name)
            )
    return offering


async def open_to_team(
    session: AsyncSession, team_id: uuid.UUID, offerings: Iterable[Offering]
) -> set[uuid.UUID]:
    """Of these agreed offerings, those the team may request: offered from every round, from the first one,
    or from a round the team was advanced to (the rule `open_offering` applies one by one). One query at most."""
    from app.judging.models import Advancement

    offerings = list(offerings)
    round_ids = {o.from_round_id for o in offerings if o.from_round_id is not None}
    entered: set[uuid.UUID] = set()
    if round_ids:
        advanced = select(Advancement.team_id).where(
            Advancement.round_id == Round.id, Advancement.team_id == team_id
        )
        entered = set(await session.scalars(
            select(Round.id).where(Round.id.in_(round_ids), (Round.position == 1) | advanced.exists())
        ))  # fmt: skip
    return {o.id for o in offerings if o.from_round_id is None or o.from_round_id in entered}


async def requestable(
    session: AsyncSession, team_id: uuid.UUID, offerings: Iterable[Offering], now: dt.datetime
) -> set[uuid.UUID]:
    """Of these agreed offerings, those the team's captain may start a request for: open to the team's round,
    and the team has neither a request under way nor a grant in force or to come on the dataset."""
    from app.data_sharing.models import Grant

    offerings = list(offerings)
    open_ids = await open_to_team(session, team_id, offerings)
    if not open_ids:
        return set()
    busy = set(await session.scalars(
        select(AccessRequest.dataset_id)
        .where(AccessRequest.team_id == team_id, AccessRequest.state.in_(UNDER_WAY))
        .union(select(Grant.dataset_id).where(Grant.team_id == team_id, Grant.revoked_at.is_(None), Grant.expires_at > now))
    ))  # fmt: skip
    return {o.id for o in offerings if o.id in open_ids and o.dataset_id not in busy}


async def create(
    session: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    offering_id: uuid.UUID,
    purpose: str,
    member_ids: Iterable[str | uuid.UUID],
    now: dt.datetime,
    *,
    amends_grant_id: uuid.UUID | None = None,
) -> AccessRequest:
    """A draft request of the team for the offering (the captain only), with its `created` event."""
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFoundException()
    challenge = await session.get(Challenge, team.challenge_id)
    offering_row = await session.get(Offering, offering_id)
    if offering_row is None:
        raise NotFoundException()
    relations = await authz.relations_to_team_data(session, actor, team, challenge, offering_row.dataset_id)
    authz.require(actor, "access_request:create", relations)
    offering = await open_offering(session, offering_id, team)
    text = clean_text(purpose, "purpose", _("Say what the data is for: the stewards decide on it."))
    members = await _named_members(session, team.id, member_ids)
    request = AccessRequest(
        offering_id=offering.id, dataset_id=offering.dataset_id, challenge_id=team.challenge_id, team_id=team.id,
        purpose=text, created_by_id=actor.id, amends_grant_id=amends_grant_id, updated_at=now,
    )  # fmt: skip
    session.add(request)
    await session.flush()
    session.add_all(AccessRequestMember(request_id=request.id, user_id=user_id) for user_id in members)
    await _event(session, actor, request, "created", None, "draft", "", now)
    await audit.record(session, actor, "access_request:create", "access_request", request.id,
                       {"team": str(team.id), "dataset": str(offering.dataset_id), "members": [str(m) for m in members]})  # fmt: skip
    if (
        amends_grant_id is None
    ):  # a request to add a member tells the member itself (app.data_sharing.approvals)
        dataset = await session.get(Dataset, offering.dataset_id)
        await tell_named(session, actor, request.id, team.name, dataset.title if dataset else "", members)
    return request


async def edit(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    purpose: str,
    member_ids: Iterable[str | uuid.UUID],
    now: dt.datetime,
) -> RequestContext:
    """The captain changes the purpose and named members of a draft or returned request."""
    ctx = await load(session, actor, request_id, "access_request:edit", lock=True)
    if ctx.request.state not in EDITABLE:
        raise state_conflict(ctx.request.state)
    text = clean_text(purpose, "purpose", _("Say what the data is for: the stewards decide on it."))
    members = await _named_members(session, ctx.team.id, member_ids)
    if ctx.request.amends_grant_id is not None and len(members) != 1:
        raise InvalidInput({"members": _("A request to add a member names exactly one new member.")})
    existing = set(
        await session.scalars(
            select(AccessRequestMember.user_id).where(AccessRequestMember.request_id == request_id)
        )
    )
    for user_id in existing - set(members):
        await session.delete(await session.get(AccessRequestMember, (request_id, user_id)))
    session.add_all(
        AccessRequestMember(request_id=request_id, user_id=u) for u in members if u not in existing
    )
    ctx.request.purpose = text
    ctx.request.updated_at = now
    await session.flush()
    await audit.record(session, actor, "access_request:edit", "access_request", request_id,
                       {"members": [str(m) for m in members]})  # fmt: skip
    if ctx.request.amends_grant_id is None:
        await tell_named(
            session,
            actor,
            request_id,
            ctx.team.name,
            ctx.dataset.title,
            [u for u in members if u not in existing],
        )
    return ctx


async def accept_agreement(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, now: dt.datetime
) -> int:
    """A named member accepts the agreement version in force, themselves; returns the version."""
    ctx = await load(session, actor, request_id, "agreement:accept")
    named = await session.get(AccessRequestMember, (request_id, actor.id))
    if named is None:
        raise Conflict(
            detail=_("Only the members named on this request accept its agreement, each for themselves.")
        )
    version = await current_version(session, ctx.dataset.id)
    if await session.get(AgreementAcceptance, (ctx.dataset.id, actor.id, version)) is None:
        session.add(
            AgreementAcceptance(dataset_id=ctx.dataset.id, user_id=actor.id, version=version, accepted_at=now)
        )
        await session.flush()
        await audit.record(session, actor, "agreement:accept", "dataset", ctx.dataset.id,
                           {"version": version, "request": str(request_id)})  # fmt: skip
    return version


@dataclasses.dataclass(frozen=True, slots=True)
class NamedMember:
    user_id: uuid.UUID
    name: str
    accepted_version: int | None
    in_team: bool
    accepted_at: dt.datetime | None = None  # when the latest version they accepted was accepted


async def named_members(session: AsyncSession, ctx: RequestContext) -> list[NamedMember]:
    """The named members with the latest version each accepted and whether they are still in the team (1 query)."""
    accepted = (
        select(func.max(AgreementAcceptance.version))
        .where(AgreementAcceptance.dataset_id == ctx.dataset.id, AgreementAcceptance.user_id == User.id)
        .scalar_subquery()
    )
    accepted_at = (
        select(AgreementAcceptance.accepted_at)
        .where(AgreementAcceptance.dataset_id == ctx.dataset.id, AgreementAcceptance.user_id == User.id)
        .order_by(AgreementAcceptance.version.desc()).limit(1).scalar_subquery()
    )  # fmt: skip
    in_team = (
        select(TeamMember.user_id)
        .where(TeamMember.team_id == ctx.team.id, TeamMember.user_id == User.id)
        .exists()
    )
    rows = await session.execute(
        select(User.id, User.name, accepted, in_team, accepted_at)
        .join(AccessRequestMember, AccessRequestMember.user_id == User.id)
        .where(AccessRequestMember.request_id == ctx.request.id)
        .order_by(func.lower(User.name), User.id)
    )
    return [NamedMember(*row) for row in rows.all()]


# --- transitions ------------------------------------------------------------------------------------------


def state_conflict(state: str) -> Conflict:
    conflict = Conflict(
        detail=_("This request is now %(state)s: it cannot be changed that way.", state=state_label(state))
    )
    conflict.extra = {"state": state}
    return conflict


async def _event(
    session: AsyncSession,
    actor: Actor | None,
    request: AccessRequest,
    kind: str,
    from_state: str | None,
    to_state: str | None,
    comment: str,
    now: dt.datetime,
    *,
    internal: bool = False,
) -> AccessRequestEvent:
    """Append the next event (the caller holds the row lock); the trigger moves the state."""
    seq = await session.scalar(
        select(func.coalesce(func.max(AccessRequestEvent.seq), 0) + 1).where(
            AccessRequestEvent.request_id == request.id
        )
    )
    event = AccessRequestEvent(
        request_id=request.id, seq=seq, kind=kind, from_state=from_state, to_state=to_state,
        actor_id=actor.id if actor else None, comment=comment, internal=internal, created_at=now,
    )  # fmt: skip
    session.add(event)
    await session.flush()
    if to_state is not None:
        await session.refresh(request, ["state"])
    return event


async def transition(
    session: AsyncSession,
    actor: Actor,
    ctx: RequestContext,
    kind: str,
    allowed_from: tuple[str, ...],
    to_state: str,
    comment: str,
    now: dt.datetime,
) -> AccessRequestEvent:
    """One step of the request (its row already locked by `load(lock=True)`), audited and notified."""
    before = ctx.request.state
    if before not in allowed_from:
        raise state_conflict(before)
    event = await _event(session, actor, ctx.request, kind, before, to_state, comment, now)
    await audit.record(session, actor, f"access_request:{kind}", "access_request", ctx.request.id,
                       {"from": before, "to": to_state, "comment": comment, "team": str(ctx.team.id),
                        "dataset": str(ctx.dataset.id)})  # fmt: skip
    await tell(session, actor, ctx, f"access_request_{kind}", comment)
    if kind in DECISIONS:
        await webhook_events.access_request_decided(
            session, ctx.dataset, ctx.challenge, ctx.team, ctx.request.id, kind, now
        )
    return event


async def submit(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, now: dt.datetime
) -> RequestContext:
    """The captain submits a draft (or resubmits a returned request) once every named member accepted the
    agreement version in force; otherwise 422 naming who has not."""
    ctx = await load(session, actor, request_id, "access_request:edit", lock=True)
    if ctx.request.state not in EDITABLE:
        raise state_conflict(ctx.request.state)
    version = await current_version(session, ctx.dataset.id)
    members = await named_members(session, ctx)
    gone = [m.name for m in members if not m.in_team]
    if gone:
        raise InvalidInput(
            {
                "members": _(
                    "No longer in your team: %(names)s. Change the named members.", names=", ".join(gone)
                )
            }
        )
    missing = [m.name for m in members if (m.accepted_version or 0) < version]
    if missing:
        raise InvalidInput(
            {
                "members": _(
                    "Still to accept version %(version)s of the agreement: %(names)s.",
                    version=version,
                    names=", ".join(missing),
                )
            }
        )
    kind = "resubmitted" if ctx.request.state == "returned" else "submitted"
    await transition(session, actor, ctx, kind, EDITABLE, "submitted", "", now)
    return ctx


async def withdraw(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, now: dt.datetime
) -> RequestContext:
    ctx = await load(session, actor, request_id, "access_request:edit", lock=True)
    await transition(
        session, actor, ctx, "withdrawn", ("draft", "submitted", "returned"), "withdrawn", "", now
    )
    return ctx


# Why a request to add a member closes without a decision: the grant it amends ended (app.data_sharing.grants
# revokes, app.data_sharing.jobs expires). The event's kind says which; the request ends `withdrawn`.
GRANT_ENDED = ("grant_revoked", "grant_expired")


async def close_amendments(
    session: AsyncSession, actor: Actor | None, grant_id: uuid.UUID, kind: str, comment: str, now: dt.datetime
) -> list[uuid.UUID]:
    """Close the requests under way that amend the grant, which ended: they could never be approved, and would
    wait on the stewards' board and block the team's next request forever. Each gets a `kind` event (from its
    state to `withdrawn`) and an audit row, in the caller's transaction. The caller holds the grant's row lock:
    approving an amendment takes the grant's lock before the request's too (app.data_sharing.approvals), and
    asking for one takes it before creating the request, so none is decided or started meanwhile."""
    assert kind in GRANT_ENDED
    pending = list(await session.scalars(
        select(AccessRequest)
        .where(AccessRequest.amends_grant_id == grant_id, AccessRequest.state.in_(UNDER_WAY))
        .order_by(AccessRequest.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ))  # fmt: skip
    for request in pending:
        before = request.state
        await _event(session, actor, request, kind, before, "withdrawn", comment, now)
        await audit.record(session, actor, f"access_request:{kind}", "access_request", request.id,
                           {"from": before, "to": "withdrawn", "grant": str(grant_id), "comment": comment,
                            "team": str(request.team_id), "dataset": str(request.dataset_id)})  # fmt: skip
    return [request.id for request in pending]


async def reject(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, reason: str, now: dt.datetime
) -> RequestContext:
    ctx = await load(session, actor, request_id, "access_request:decide", lock=True)
    text = clean_text(reason, "reason", _("Give the reason: the team will read it."))
    await transition(session, actor, ctx, "rejected", ("submitted",), "rejected", text, now)
    return ctx


async def return_for_changes(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, comment: str, now: dt.datetime
) -> RequestContext:
    ctx = await load(session, actor, request_id, "access_request:decide", lock=True)
    text = clean_text(comment, "comment", _("Say what the team should change: they will read it."))
    await transition(session, actor, ctx, "returned", ("submitted",), "returned", text, now)
    return ctx


async def add_comment(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, comment: str, internal: bool, now: dt.datetime
) -> AccessRequestEvent:
    """A visible comment by either side, or (stewards only) an internal one the team never sees."""
    ctx = await load(session, actor, request_id, "access_request:view", lock=True)
    if internal:
        authz.require(actor, "access_request:decide", ctx.relations)
    elif not (ctx.steward or "team_member" in ctx.relations):
        authz.require(actor, "access_request:edit", ctx.relations)
    text = clean_text(comment, "comment", _("Write your comment."))
    kind = "internal_comment" if internal else "comment"
    event = await _event(session, actor, ctx.request, kind, None, None, text, now, internal=internal)
    await audit.record(
        session, actor, f"access_request:{kind}", "access_request", request_id, {"internal": internal}
    )
    await tell(session, actor, ctx, f"access_request_{kind}", text)
    return event


# --- notifications ----------------------------------------------------------------------------------------

STEWARD_SIDE = {"access_request_submitted", "access_request_resubmitted", "access_request_withdrawn",
                "access_request_internal_comment"}  # fmt: skip
BOTH_SIDES = {"access_request_comment"}


async def tell(
    session: AsyncSession, actor: Actor | None, ctx: RequestContext, kind: str, comment: str
) -> None:
    """Stewards hear of the team's steps, the team of the stewards' decisions; internal comments reach
    stewards only. Nobody is told of their own step."""
    stewards = set(
        await session.scalars(
            select(DatasetSteward.user_id).where(DatasetSteward.dataset_id == ctx.dataset.id)
        )
    )
    team = await _team_members(session, ctx.team.id)
    if kind in STEWARD_SIDE:
        readers = stewards
    elif kind in BOTH_SIDES:
        readers = stewards | team
    else:
        readers = team
    params = {"team": ctx.team.name, "dataset": ctx.dataset.title, "comment": comment}
    for user_id in sorted(readers - {actor.id if actor else None}, key=str):
        await notify(session, user_id, kind, params, link=f"/data-requests/{ctx.request.id}")


async def tell_named(
    session: AsyncSession,
    actor: Actor,
    request_id: uuid.UUID,
    team: str,
    dataset: str,
    user_ids: Iterable[uuid.UUID],
) -> None:
    """Members newly named on a request must accept the agreement themselves before the captain can submit:
    each is told, with the request's page to do it on."""
    params = {"team": team, "dataset": dataset, "comment": ""}
    for user_id in sorted(set(user_ids) - {actor.id}, key=str):
        await notify(session, user_id, "access_request_named", params, link=f"/data-requests/{request_id}")
