"""Registering for a challenge: who may, eligibility, approval modes, one's own registration, withdrawing.

Invariants kept here:
- One registration per person and challenge: the table's unique constraint decides, so two submits
  at the same moment make one row and the second is told it is already registered (409).
- Registration is accepted only while app.challenges.lifecycle.registration_open() holds at the
  instant the request arrived; drafts are never open.
- Founders never register for their own challenge.
- The rules version recorded is the one in force, accepted explicitly (the form carries the version
  read, so rules changed meanwhile are not accepted unseen).
- Eligibility is about organizations (kind, country; app.challenges.eligibility): when a challenge
  restricts either, the person must register for one of their organizations; without restrictions
  they may register alone.
- A withdrawn registration may be renewed while registration is open (the same row); a rejected
  one may not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import ClientException
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app import authz
from app.challenges import lifecycle
from app.challenges.eligibility import (
    approval,
    eligibility_refusal,
    eligibility_summary,
    organization_required,
)
from app.challenges.models import ChallengeOrganizer, Registration
from app.challenges.queries import Visible, load_challenge
from app.challenges.registration_schemas import (
    Question,
    RegistrationInput,
    parse_id,
    questions_of,
    registration_input,
    rules_acceptance_error,
)
from app.notifications.models import Notification
from app.notifications.services import notify
from app.organizations.models import Organization, OrganizationMember
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import format_datetime
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor
    from app.challenges.models import Challenge

ACTIVE = ("pending", "approved")
ENDED_PHASES = (lifecycle.Phase.RESULTS, lifecycle.Phase.ARCHIVED)


class RegistrationRefused(ClientException):
    """The person sees the challenge but may not register now (closed, founder, rejected); the detail says why."""

    status_code = 403


@dataclasses.dataclass(frozen=True, slots=True)
class RegistrationForm:
    """What the registration page needs; `refusal` says why the actor cannot register, if they cannot."""

    visible: Visible
    questions: list[Question]
    organizations: list[Organization]
    organization_required: bool
    eligibility: list[str]
    registration: Registration | None
    refusal: ClientException | None


@dataclasses.dataclass(frozen=True, slots=True)
class OwnRegistration:
    visible: Visible
    registration: Registration
    organization: Organization | None
    questions: list[Question]
    can_withdraw: bool
    # The founders changed the rules after this registration accepted them.
    rules_changed: bool


# --- who may register, and when ---------------------------------------------------------------------------


def closed_message(challenge: Challenge, now: dt.datetime) -> str | None:
    """Why registration is not open at `now`, or None when it is."""
    if lifecycle.registration_open(challenge, now):
        return None
    if challenge.published_at is None:
        return _("This challenge is not published yet: registration is not open.")
    opens, closes = challenge.registration_opens_at, challenge.registration_closes_at
    if closes is not None and now >= closes:
        return _("Registration closed on %(date)s.", date=format_datetime(closes, challenge.timezone))
    if opens is not None and now < opens:
        return _("Registration opens on %(date)s.", date=format_datetime(opens, challenge.timezone))
    return _("Registration is not open for this challenge.")


def _refusal(visible: Visible, registration: Registration | None, now: dt.datetime) -> ClientException | None:
    if "founder" in visible.relations:
        return RegistrationRefused(
            detail=_("You are a founder of this challenge: founders cannot register for their own challenge.")
        )
    if registration is not None and registration.status in ACTIVE:
        return Conflict(detail=_("You are already registered for this challenge."))
    if registration is not None and registration.status == "rejected":
        return RegistrationRefused(
            detail=_("The founders did not accept your registration: you cannot register again.")
        )
    message = closed_message(visible.challenge, now)
    return RegistrationRefused(detail=message) if message else None


async def registration_form(
    session: AsyncSession, actor: Actor, slug: str, now: dt.datetime
) -> RegistrationForm:
    """The registration page of a challenge the actor can see; 404 otherwise."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "challenge:register", visible.relations)
    challenge = visible.challenge
    registration = await _registration_of(session, challenge.id, actor.id)
    refusal = _refusal(visible, registration, now)
    return RegistrationForm(
        visible=visible,
        questions=questions_of(challenge),
        organizations=await _organizations_of(session, actor.id) if refusal is None else [],
        organization_required=organization_required(challenge),
        eligibility=eligibility_summary(challenge),
        registration=registration,
        refusal=refusal,
    )


# --- registering ------------------------------------------------------------------------------------------


async def register(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    now: dt.datetime,
    *,
    organization_id: Any,
    accepted_version: Any,
    answers: Mapping[str, Any],
) -> Registration:
    """Register the actor, approved at once or pending per the challenge's approval mode.

    Refuses with RegistrationRefused (403: closed, founder, rejected before), Conflict (409: already
    registered, also when another request registered first) or InvalidInput (422: rules, answers,
    organization and its eligibility).
    """
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "challenge:register", visible.relations)
    challenge = visible.challenge
    existing = await _registration_of(session, challenge.id, actor.id, for_update=True)
    refusal = _refusal(visible, existing, now)
    if refusal is not None:
        raise refusal
    data, organization = await _checked_input(
        session, actor, challenge, organization_id, accepted_version, answers
    )
    status, rule = approval(challenge, actor, organization)
    registration = await _save(session, actor, challenge, existing, data, status, now)
    await _record_creation(session, actor, challenge, registration, rule)
    if status == "pending":
        await _tell_founders(session, challenge, registration, actor)
    return registration


async def _checked_input(
    session: AsyncSession,
    actor: Actor,
    challenge: Challenge,
    organization_id: Any,
    accepted_version: Any,
    answers: Mapping[str, Any],
) -> tuple[RegistrationInput, Organization | None]:
    """The checked input and chosen organization; every problem at once in one InvalidInput."""
    errors: dict[str, str] = {}
    data = None
    try:
        data = registration_input(
            questions_of(challenge),
            challenge.rules_version,
            organization_id=organization_id,
            accepted_version=accepted_version,
            answers=answers,
        )
    except InvalidInput as exc:
        errors.update(exc.errors)
    organization = None
    if "organization" not in errors:
        # Checked even when other fields are wrong, so that every problem shows at once.
        chosen = parse_id(organization_id) or None
        organization, problem = await _chosen_organization(session, actor, challenge, chosen)
        if problem:
            errors["organization"] = problem
    if errors or data is None:
        raise InvalidInput(errors)
    return data, organization


async def _chosen_organization(
    session: AsyncSession, actor: Actor, challenge: Challenge, organization_id: uuid.UUID | None
) -> tuple[Organization | None, str | None]:
    if organization_id is None:
        if organization_required(challenge):
            return None, _(
                "This challenge is open to some kinds of organizations or countries only: "
                "choose the organization you register for."
            )
        return None, None
    organization = await session.scalar(
        select(Organization)
        .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
        .where(Organization.id == organization_id, OrganizationMember.user_id == actor.id)
    )
    if organization is None:
        # Another person's organization reads like a missing one: the id reveals nothing.
        return None, _("Choose one of your organizations.")
    return organization, eligibility_refusal(challenge, organization)


async def _save(
    session: AsyncSession,
    actor: Actor,
    challenge: Challenge,
    existing: Registration | None,
    data: RegistrationInput,
    status: str,
    now: dt.datetime,
) -> Registration:
    values = {
        "organization_id": data.organization_id,
        "status": status,
        "rules_version": challenge.rules_version,
        "rules_accepted_at": now,
        "answers": data.answers,
        "decided_by_id": None,
        "decided_at": now if status == "approved" else None,
        "reason": None,
    }
    if existing is not None:
        # A withdrawn registration renewed: still the one row of this person and challenge.
        for name, value in values.items():
            setattr(existing, name, value)
        await session.flush()
        return existing
    registration = Registration(challenge_id=challenge.id, user_id=actor.id, **values)
    try:
        async with session.begin_nested():
            session.add(registration)
            await session.flush()
    except IntegrityError:
        # Another request of the same person registered between our look-up and our insert.
        raise Conflict(detail=_("You are already registered for this challenge.")) from None
    return registration


async def _record_creation(
    session: AsyncSession, actor: Actor, challenge: Challenge, registration: Registration, rule: str | None
) -> None:
    details = {
        "challenge": challenge.slug,
        "organization_id": str(registration.organization_id) if registration.organization_id else None,
        "rules_version": registration.rules_version,
        "approval_mode": challenge.approval_mode,
        "status": registration.status,
    }
    await audit.record(session, actor, "registration:create", "registration", registration.id, details)
    if rule is not None:
        # Approved by the challenge's rule, not by a person: the entry has no actor and names the rule.
        await audit.record(
            session,
            None,
            "registration:approve",
            "registration",
            registration.id,
            {"challenge": challenge.slug, "person_id": str(actor.id), "automatic": True, "rule": rule},
        )


async def _tell_founders(
    session: AsyncSession, challenge: Challenge, registration: Registration, actor: Actor
) -> None:
    """Founders learn that a registration awaits them, once per registration even if it is renewed."""
    founders = list(
        await session.scalars(
            select(OrganizationMember.user_id)
            .join(
                ChallengeOrganizer, ChallengeOrganizer.organization_id == OrganizationMember.organization_id
            )
            .where(ChallengeOrganizer.challenge_id == challenge.id)
            .distinct()
        )
    )
    if not founders:
        return
    already = await session.scalar(
        select(
            exists().where(
                Notification.user_id.in_(founders),
                Notification.kind == "registration_pending",
                Notification.params["registration_id"].astext == str(registration.id),
            )
        )
    )
    if already:
        return
    params = {"person": actor.name, "challenge": challenge.title, "registration_id": str(registration.id)}
    for founder_id in founders:
        await notify(
            session,
            founder_id,
            "registration_pending",
            params,
            link=f"/challenges/{challenge.slug}/registrations",
        )


# --- one's own registration -------------------------------------------------------------------------------


def has_ended(visible: Visible, now: dt.datetime) -> bool:
    return lifecycle.phase(visible.challenge, visible.rounds, now) in ENDED_PHASES


async def own_registration(
    session: AsyncSession, actor: Actor, slug: str, now: dt.datetime
) -> OwnRegistration:
    """The actor's registration to a challenge: 404 when the challenge is hidden, 403 when not registered."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "registration:view", visible.relations)
    row = (
        await session.execute(
            select(Registration, Organization)
            .outerjoin(Organization, Organization.id == Registration.organization_id)
            .where(Registration.challenge_id == visible.challenge.id, Registration.user_id == actor.id)
        )
    ).one()
    registration, organization = row
    return OwnRegistration(
        visible=visible,
        registration=registration,
        organization=organization,
        questions=questions_of(visible.challenge),
        can_withdraw=registration.status in ACTIVE and not has_ended(visible, now),
        rules_changed=registration.status in ACTIVE
        and registration.rules_version != visible.challenge.rules_version,
    )


async def withdraw(session: AsyncSession, actor: Actor, slug: str, now: dt.datetime) -> Registration:
    """The person withdraws a pending or approved registration, until the challenge has ended."""
    visible = await load_challenge(session, actor, slug)
    authz.require(actor, "registration:withdraw", visible.relations)
    registration = await _registration_of(session, visible.challenge.id, actor.id, for_update=True)
    assert registration is not None  # the registrant relation comes from this row, and rows are never deleted
    if registration.status == "withdrawn":
        raise Conflict(detail=_("Your registration is already withdrawn."))
    if registration.status == "rejected":
        raise Conflict(
            detail=_("The founders did not accept your registration: there is nothing to withdraw.")
        )
    if has_ended(visible, now):
        raise Conflict(detail=_("This challenge has ended: registrations can no longer be withdrawn."))
    previous = registration.status
    registration.status = "withdrawn"
    await session.flush()
    await audit.record(
        session,
        actor,
        "registration:withdraw",
        "registration",
        registration.id,
        {"challenge": visible.challenge.slug, "previous_status": previous},
    )
    return registration


async def accept_rules(
    session: AsyncSession, actor: Actor, slug: str, accepted_version: Any, now: dt.datetime
) -> Registration:
    """The person accepts the rules now in force, after the founders changed them; accepting twice changes nothing."""
    visible = await load_challenge(session, actor, slug)
    # Accepting rules is part of keeping one's own registration, like reading it.
    authz.require(actor, "registration:view", visible.relations)
    challenge = visible.challenge
    registration = await _registration_of(session, challenge.id, actor.id, for_update=True)
    assert registration is not None
    if registration.status not in ACTIVE:
        raise Conflict(detail=_("Only a pending or approved registration can accept the rules."))
    error = rules_acceptance_error(challenge.rules_version, accepted_version)
    if error:
        raise InvalidInput({"rules": error})
    if registration.rules_version == challenge.rules_version:
        return registration
    previous = registration.rules_version
    registration.rules_version = challenge.rules_version
    registration.rules_accepted_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "registration:accept_rules",
        "registration",
        registration.id,
        {"challenge": challenge.slug, "from_version": previous, "to_version": challenge.rules_version},
    )
    return registration


# --- queries ----------------------------------------------------------------------------------------------


async def _registration_of(
    session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> Registration | None:
    statement = select(Registration).where(
        Registration.challenge_id == challenge_id, Registration.user_id == user_id
    )
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def _organizations_of(session: AsyncSession, user_id: uuid.UUID) -> list[Organization]:
    return list(
        await session.scalars(
            select(Organization)
            .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
            .where(OrganizationMember.user_id == user_id)
            .order_by(Organization.name, Organization.id)
        )
    )
