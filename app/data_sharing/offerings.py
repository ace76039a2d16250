"""Offering a dataset to a challenge: a founder asks for it, or a steward offers it; it is available to the
challenge's teams only once both sides agreed (founder_agreed_at and steward_agreed_at), and until either
side withdraws it. The steward's side agrees only with the Five Safes checklist complete. "From round" is
recorded here; the requests slice keeps earlier rounds' teams out.

A withdrawn offering is reopened by a new ask or offer (one row per dataset and challenge), both sides
agreeing afresh. Every decision is audited and the other side is told.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import authz
from app.challenges.models import Challenge, ChallengeOrganizer, Round
from app.data_sharing.datasets import load_dataset
from app.data_sharing.models import FIVE_SAFES, Dataset, DatasetSteward, Offering
from app.notifications.services import notify
from app.organizations.models import OrganizationMember
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import lazy

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

SAFE_LABELS = {
    "projects": lazy("Safe projects"),
    "people": lazy("Safe people"),
    "settings": lazy("Safe settings"),
    "data": lazy("Safe data"),
    "outputs": lazy("Safe outputs"),
}
SAFE_HINTS = {
    "projects": lazy("Which uses of the data are appropriate for this challenge."),
    "people": lazy("Who may be trusted with it, and what they commit to."),
    "settings": lazy("Where and how it is accessed, and what prevents unauthorised use."),
    "data": lazy("What was done to limit the risk of re-identification."),
    "outputs": lazy("What may leave: results, models, figures, and how they are checked."),
}
MAX_SAFE = 5000


def safe_label(safe: str) -> str:
    return _(SAFE_LABELS.get(safe, safe))


def is_available(offering: Offering) -> bool:
    return (
        offering.withdrawn_at is None
        and offering.founder_agreed_at is not None
        and offering.steward_agreed_at is not None
    )


def five_safes_input(values: dict[str, Any], *, required: bool) -> dict[str, str]:
    """The checklist from a form or the API; every item required when the steward agrees."""
    errors: dict[str, str] = {}
    checklist: dict[str, str] = {}
    for safe in FIVE_SAFES:
        text = str(values.get(safe) or "").strip()
        if len(text) > MAX_SAFE:
            errors[safe] = _("Keep this under %(num)s characters.", num=MAX_SAFE)
        elif required and not text:
            errors[safe] = _("Describe %(safe)s before agreeing.", safe=safe_label(safe).lower())
        checklist[safe] = text
    if errors:
        raise InvalidInput(errors)
    return checklist


@dataclasses.dataclass(slots=True)
class Scope:
    offering: Offering
    dataset: Dataset
    challenge: Challenge
    is_steward: bool
    is_founder: bool


async def _challenge(session: AsyncSession, actor: Actor, slug: str) -> tuple[Challenge, set[str]]:
    challenge = await session.scalar(select(Challenge).where(Challenge.slug == slug))
    if challenge is None:
        raise NotFoundException()
    relations = await authz.relations_to_challenge(session, actor, challenge)
    authz.require(actor, "challenge:view", relations)
    return challenge, relations


async def load(session: AsyncSession, actor: Actor, offering_id: uuid.UUID, *, lock: bool = False) -> Scope:
    """The offering and which side the actor is on; hidden (404) from anyone on neither side unless it is
    available and the actor may see the challenge."""
    statement = select(Offering).where(Offering.id == offering_id)
    offering = await session.scalar(statement.with_for_update() if lock else statement)
    if offering is None:
        raise NotFoundException()
    dataset = await session.get_one(Dataset, offering.dataset_id)
    challenge = await session.get_one(Challenge, offering.challenge_id)
    steward = authz.can(actor, "dataset:manage", await authz.relations_to_dataset(session, actor, dataset.id))
    relations = await authz.relations_to_challenge(session, actor, challenge)
    founder = authz.can(actor, "offering:ask", relations)
    if not (steward or founder or (is_available(offering) and authz.can(actor, "challenge:view", relations))):
        raise NotFoundException()
    return Scope(offering, dataset, challenge, steward, founder)


async def _round_id(session: AsyncSession, challenge: Challenge, raw: Any) -> uuid.UUID | None:
    """The first round whose teams may request the dataset: none (every round), a round's id (the pages'
    choice lists) or its position (the API); either must be a round of `challenge` (else 422)."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if text.isdigit():
        criterion = Round.position == int(text)
    else:
        try:
            criterion = Round.id == uuid.UUID(text)
        except ValueError:
            raise InvalidInput({"from_round": _("Choose a round of the challenge.")}) from None
    round_id = await session.scalar(select(Round.id).where(Round.challenge_id == challenge.id, criterion))
    if round_id is None:
        message = (
            _("Choose a round of the challenge.")
            if text.isdigit()
            else _("This round is not a round of the chosen challenge.")
        )
        raise InvalidInput({"from_round": message})
    return round_id


async def _row(
    session: AsyncSession, dataset: Dataset, challenge: Challenge, from_round: uuid.UUID | None
) -> Offering:
    """The offering to set one side of: new, or a withdrawn one reopened; 409 when one is already open."""
    offering = await session.scalar(
        select(Offering)
        .where(Offering.dataset_id == dataset.id, Offering.challenge_id == challenge.id)
        .with_for_update()
    )
    if offering is not None and offering.withdrawn_at is None:
        raise Conflict(_("This dataset is already offered to this challenge, or asked for."))
    if offering is None:
        offering = Offering(dataset_id=dataset.id, challenge_id=challenge.id)
        try:
            async with session.begin_nested():  # the other side may be creating it at this very moment
                session.add(offering)
                await session.flush()
        except IntegrityError:
            raise Conflict(_("This dataset is already offered to this challenge, or asked for.")) from None
    offering.withdrawn_at = None
    offering.founder_agreed_at = offering.founder_agreed_by_id = None
    offering.steward_agreed_at = offering.steward_agreed_by_id = None
    offering.from_round_id = from_round
    return offering


async def ask(
    session: AsyncSession,
    actor: Actor,
    dataset_slug: str,
    challenge_slug: str,
    from_round: Any,
    now: dt.datetime,
) -> Scope:
    """A founder asks for a dataset for their challenge; the stewards are told."""
    challenge, relations = await _challenge(session, actor, challenge_slug)
    authz.require(actor, "offering:ask", relations)
    # Checked after the permission: someone who may not ask learns nothing from the form's answer.
    if not str(dataset_slug or "").strip():
        raise InvalidInput({"dataset": _("Choose a dataset.")})
    dataset, _relations = await load_dataset(session, actor, dataset_slug)
    offering = await _row(session, dataset, challenge, await _round_id(session, challenge, from_round))
    offering.founder_agreed_at, offering.founder_agreed_by_id = now, actor.id
    await session.flush()
    scope = Scope(offering, dataset, challenge, False, True)
    await _record(session, actor, "offering:ask", scope)
    await _tell(session, scope, "stewards", "offering_asked")
    return scope


async def offer(
    session: AsyncSession,
    actor: Actor,
    dataset_slug: str,
    challenge_slug: str,
    from_round: Any,
    five_safes: dict[str, Any],
    now: dt.datetime,
) -> Scope:
    """A steward offers a dataset to a challenge, Five Safes filled in; the founders are told."""
    dataset, _relations = await load_dataset(session, actor, dataset_slug, "dataset:manage")
    try:
        challenge, _challenge_relations = await _challenge(session, actor, challenge_slug)
    except NotFoundException:
        raise InvalidInput({"challenge": _("Choose a challenge from the list.")}) from None
    checklist = five_safes_input(five_safes, required=True)
    offering = await _row(session, dataset, challenge, await _round_id(session, challenge, from_round))
    offering.five_safes = checklist
    offering.steward_agreed_at, offering.steward_agreed_by_id = now, actor.id
    await session.flush()
    scope = Scope(offering, dataset, challenge, True, False)
    await _record(session, actor, "offering:offer", scope)
    await _tell(session, scope, "founders", "offering_offered")
    return scope


async def agree(
    session: AsyncSession,
    actor: Actor,
    offering_id: uuid.UUID,
    five_safes: dict[str, Any] | None,
    now: dt.datetime,
) -> Scope:
    """The other side agrees: a steward with the Five Safes complete (given now or saved before), or a founder."""
    scope = await load(session, actor, offering_id, lock=True)
    offering = scope.offering
    if offering.withdrawn_at is not None:
        raise Conflict(_("This offering was withdrawn."))
    if scope.is_steward and offering.steward_agreed_at is None:
        merged = {**offering.five_safes, **(five_safes or {})}
        offering.five_safes = five_safes_input(merged, required=True)
        offering.steward_agreed_at, offering.steward_agreed_by_id = now, actor.id
        tell = "founders"
    elif scope.is_founder and offering.founder_agreed_at is None:
        offering.founder_agreed_at, offering.founder_agreed_by_id = now, actor.id
        tell = "stewards"
    elif scope.is_steward or scope.is_founder:
        raise Conflict(_("Your side has already agreed."))
    else:
        authz.require(actor, "offering:ask")
        raise NotFoundException()
    await session.flush()
    await _record(session, actor, "offering:agree", scope)
    await _tell(session, scope, tell, "offering_agreed")
    return scope


async def withdraw(session: AsyncSession, actor: Actor, offering_id: uuid.UUID, now: dt.datetime) -> Scope:
    """Either side withdraws (or declines, before agreeing); the other side is told."""
    scope = await load(session, actor, offering_id, lock=True)
    if not (scope.is_steward or scope.is_founder):
        authz.require(actor, "offering:ask")
    if scope.offering.withdrawn_at is not None:
        raise Conflict(_("This offering was already withdrawn."))
    scope.offering.withdrawn_at = now
    await session.flush()
    side_agreed = scope.offering.steward_agreed_at if scope.is_steward else scope.offering.founder_agreed_at
    await _record(session, actor, "offering:withdraw" if side_agreed else "offering:decline", scope)
    await _tell(session, scope, "founders" if scope.is_steward else "stewards", "offering_withdrawn")
    return scope


async def save_five_safes(
    session: AsyncSession, actor: Actor, offering_id: uuid.UUID, values: dict[str, Any]
) -> Scope:
    """A steward saves the checklist; once agreed, every item stays required."""
    scope = await load(session, actor, offering_id, lock=True)
    if not scope.is_steward:
        authz.require(actor, "dataset:manage")
    offering = scope.offering
    offering.five_safes = five_safes_input(values, required=offering.steward_agreed_at is not None)
    await session.flush()
    await _record(session, actor, "offering:five_safes", scope)
    return scope


async def _record(session: AsyncSession, actor: Actor, action: str, scope: Scope) -> None:
    details = {"dataset": scope.dataset.slug, "challenge": scope.challenge.slug}
    await audit.record(session, actor, action, "offering", scope.offering.id, details)


async def _tell(session: AsyncSession, scope: Scope, side: str, kind: str) -> None:
    if side == "stewards":
        people = select(DatasetSteward.user_id).where(DatasetSteward.dataset_id == scope.dataset.id)
        link = f"/datasets/{scope.dataset.slug}/offerings"
    else:
        people = (
            select(OrganizationMember.user_id)
            .join(
                ChallengeOrganizer, ChallengeOrganizer.organization_id == OrganizationMember.organization_id
            )
            .where(ChallengeOrganizer.challenge_id == scope.challenge.id)
            .distinct()
        )
        link = f"/challenges/{scope.challenge.slug}/data"
    params = {
        "dataset": scope.dataset.title,
        "challenge": scope.challenge.title,
        "offering_id": str(scope.offering.id),
    }
    for user_id in list(await session.scalars(people)):
        await notify(session, user_id, kind, params, link=link)
