"""Business verbs of challenges: create a draft, edit its details, add organizers, show it, publish it.

Invariants kept here: founders are the members of the organizer organizations, and a creator can
only name organizations they belong to; a slug is unique, generated from the title and changeable
only while the challenge is a draft (published links keep working); the rules' version goes up
whenever the rules change after publishing, so registrations know which text was accepted; a
published challenge stays complete (app.challenges.completeness).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import unicodedata
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import authz
from app.challenges import completeness, lifecycle, page_queries
from app.challenges.catalogue import ProgramRef
from app.challenges.choices import DEFAULT_TIMEZONE
from app.challenges.inputs import RESERVED_SLUGS, Errors, challenge_details, check_slug, timeline_input
from app.challenges.models import (
    Challenge,
    ChallengeOrganizer,
    Prize,
    Program,
    Round,
    RoundField,
)
from app.challenges.queries import Visible, load_challenge
from app.organizations.models import Organization, OrganizationMember
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import InstrumentedAttribute

    from app.accounts.sessions import Actor

SLUG_MAX = 60


# --- slugs and organizations ------------------------------------------------------------------------


def slugify(text: str, fallback: str) -> str:
    # Accents go (é -> e); any other character, dashes included, separates words.
    bare = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    slug = re.sub(r"[^a-z0-9]+", "-", bare.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug if len(slug) >= 3 else f"{fallback}-{slug}".strip("-")


async def free_slug(session: AsyncSession, column: InstrumentedAttribute[str], base: str) -> str:
    """`base`, or `base-2`, `base-3`... whichever is free (a concurrent insert is caught by the unique index)."""
    taken = set(
        await session.scalars(
            select(column).where((column == base) | column.startswith(base + "-", autoescape=True))
        )
    )
    taken |= RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


async def organizations_of(session: AsyncSession, actor: Actor) -> list[Organization]:
    """The organizations the actor belongs to, by name: those they may act for."""
    return list(
        await session.scalars(
            select(Organization)
            .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
            .where(OrganizationMember.user_id == actor.id)
            .order_by(func.lower(Organization.name), Organization.id)
        )
    )


async def chosen_organizations(
    session: AsyncSession, actor: Actor, slugs: list[str], *, field: str = "organizations"
) -> list[Organization]:
    """The actor's own organizations named by `slugs`; at least one, none foreign."""
    mine = {organization.slug: organization for organization in await organizations_of(session, actor)}
    wanted = list(dict.fromkeys(slug.strip() for slug in slugs if slug.strip()))
    if not mine:
        raise InvalidInput({field: _("You need to be a member of an organization first.")})
    if not wanted:
        raise InvalidInput({field: _("Choose at least one of your organizations.")})
    if any(slug not in mine for slug in wanted):
        raise InvalidInput({field: _("Choose among the organizations you are a member of.")})
    return [mine[slug] for slug in wanted]


async def program_by_slug(session: AsyncSession, slug: str | None) -> Program | None:
    if not slug:
        return None
    program = await session.scalar(select(Program).where(Program.slug == slug))
    if program is None:
        raise InvalidInput({"program": _("Choose a program from the list.")})
    return program


async def program_choices(session: AsyncSession) -> list[Program]:
    """Any program may group a challenge: the list offered on the challenge's form."""
    return list(await session.scalars(select(Program).order_by(Program.starts_on.desc(), Program.title)))


# --- creating and editing -----------------------------------------------------------------------------


async def create_challenge(
    session: AsyncSession, actor: Actor, values: dict[str, Any], organizations: list[str]
) -> Challenge:
    """A new draft, organized by some of the actor's organizations; its slug comes from its title.

    `values` holds its title and any other detail (the API may send everything at once)."""
    authz.require(actor, "challenge:create")
    details = challenge_details({"title": values.get("title", ""), **values})
    details |= timeline_input(values, details.get("timezone", DEFAULT_TIMEZONE))
    chosen = await chosen_organizations(session, actor, organizations)
    program = await program_by_slug(session, values.get("program"))
    _check_team(details.get("team_min", 1), details.get("team_max", 5))
    base = slugify(details["title"], "challenge")
    for attempt in range(3):
        slug = (
            await free_slug(session, Challenge.slug, base)
            if attempt == 0
            else f"{base}-{secrets.token_hex(3)}"
        )
        challenge = Challenge(
            slug=slug, program_id=program.id if program else None, created_by_id=actor.id, **details
        )
        try:
            async with session.begin_nested():
                session.add(challenge)
                await session.flush()
        except IntegrityError:
            continue
        break
    else:
        raise Conflict(_("This challenge could not be created just now. Please try again."))
    session.add_all(ChallengeOrganizer(challenge_id=challenge.id, organization_id=o.id) for o in chosen)
    await _replace_lists(session, challenge, values)
    await session.flush()
    await audit.record(
        session,
        actor,
        "challenge:create",
        "challenge",
        challenge.id,
        {"slug": challenge.slug, "organizers": [o.slug for o in chosen]},
    )
    return challenge


def _check_team(team_min: int, team_max: int) -> None:
    if team_min > team_max:
        raise InvalidInput({"team_max": _("The maximum cannot be smaller than the minimum.")})


async def authorized(
    session: AsyncSession, actor: Actor | None, slug: str, action: str, *, lock: bool = False
) -> Visible:
    """The challenge behind `slug` once the actor may do `action` on it (404 unseen, 403 otherwise)."""
    visible = await load_challenge(session, actor, slug, for_update=lock)
    authz.require(actor, action, visible.relations)
    return visible


async def organizer_count(session: AsyncSession, challenge_id: uuid.UUID) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(ChallengeOrganizer)
            .where(ChallengeOrganizer.challenge_id == challenge_id)
        )
        or 0
    )


async def update_challenge(
    session: AsyncSession, actor: Actor, slug: str, values: dict[str, Any]
) -> Challenge:
    """Change the details and milestones present in `values` (the rest stays). The slug changes only
    while a draft; a rules change after publishing raises the rules' version; a published challenge
    must stay complete."""
    visible = await authorized(session, actor, slug, "challenge:edit", lock=True)
    challenge = visible.challenge
    changes = challenge_details({name: values[name] for name in values if name not in ("slug", "program")})
    changes |= _timeline_changes(challenge, values, changes.get("timezone", challenge.timezone))
    if "slug" in values and values["slug"] != challenge.slug:
        changes["slug"] = await _new_slug(session, challenge, values["slug"])
    if "program" in values:
        program = await program_by_slug(session, values["program"])
        changes["program_id"] = program.id if program else None
    _check_team(changes.get("team_min", challenge.team_min), changes.get("team_max", challenge.team_max))
    changes = {name: value for name, value in changes.items() if getattr(challenge, name) != value}
    if challenge.published_at is not None:
        count = await organizer_count(session, challenge.id)
        state = completeness.proposed(challenge, completeness.CHALLENGE_ATTRIBUTES, **changes)
        completeness.require_still_complete(state, visible.rounds, count)
        if "rules" in changes:
            changes["rules_version"] = challenge.rules_version + 1
    for name, value in changes.items():
        setattr(challenge, name, value)
    await _replace_lists(session, challenge, values)
    await session.flush()
    if "rules_version" in changes:
        await audit.record(
            session,
            actor,
            "challenge:edit_rules",
            "challenge",
            challenge.id,
            {"rules_version": challenge.rules_version},
        )
    return challenge


def _timeline_changes(challenge: Challenge, values: dict[str, Any], timezone: str) -> dict[str, Any]:
    """The challenge's own milestones in `values`. Once published, registration's close only moves
    through app.challenges.rounds.extend_deadline (later, and everyone registered is told)."""
    changes = timeline_input(values, timezone)
    closes = changes.get("registration_closes_at", challenge.registration_closes_at)
    if challenge.published_at is not None and closes != challenge.registration_closes_at:
        raise InvalidInput({"registration_closes_at": use_extend()})
    return changes


def use_extend() -> str:
    return _("Once the challenge is published, this date only moves later, with “Extend a deadline”.")


async def _replace_lists(session: AsyncSession, challenge: Challenge, values: dict[str, Any]) -> None:
    """The API sends prizes and registration questions as whole lists."""
    # Imported here: app.challenges.prizes builds on this module's `authorized`.
    from app.challenges import prizes as lists

    if values.get("prizes") is not None:
        await lists.replace_prizes(session, challenge, values["prizes"])
    if values.get("registration_questions") is not None:
        lists.replace_questions(challenge, values["registration_questions"])


async def _new_slug(session: AsyncSession, challenge: Challenge, value: Any) -> str:
    errors = Errors()
    slug = check_slug(errors, value)
    if challenge.published_at is not None:
        errors.first(
            "slug", _("The address of a published challenge cannot change: links to it are out there.")
        )
    errors.raise_any()
    taken = await session.scalar(
        select(Challenge.id).where(Challenge.slug == slug, Challenge.id != challenge.id)
    )
    if taken is not None:
        raise InvalidInput({"slug": _("Another challenge already uses this address.")})
    return slug


async def add_organizer(
    session: AsyncSession, actor: Actor, slug: str, organization_slug: str
) -> Organization:
    """A founder adds one of their own organizations as co-organizer: its members become founders too."""
    visible = await authorized(session, actor, slug, "challenge:edit", lock=True)
    [organization] = await chosen_organizations(session, actor, [organization_slug], field="organization")
    exists = await session.scalar(
        select(ChallengeOrganizer.organization_id).where(
            ChallengeOrganizer.challenge_id == visible.challenge.id,
            ChallengeOrganizer.organization_id == organization.id,
        )
    )
    if exists is not None:
        raise InvalidInput(
            {"organization": _("%(name)s already organizes this challenge.", name=organization.name)}
        )
    session.add(ChallengeOrganizer(challenge_id=visible.challenge.id, organization_id=organization.id))
    await session.flush()
    await audit.record(
        session,
        actor,
        "challenge:add_organizer",
        "challenge",
        visible.challenge.id,
        {"organization": organization.slug},
    )
    return organization


# --- publishing -----------------------------------------------------------------------------------------


async def publish_challenge(session: AsyncSession, actor: Actor, slug: str, now: dt.datetime) -> Challenge:
    """Make a complete draft public (or visible to its invitees). Refused with every missing piece."""
    visible = await authorized(session, actor, slug, "challenge:publish", lock=True)
    challenge = visible.challenge
    if challenge.published_at is not None:
        raise Conflict(_("This challenge is already published."))
    found = completeness.problems(challenge, visible.rounds, await organizer_count(session, challenge.id))
    if found:
        raise completeness.Incomplete(found, _("This challenge cannot be published yet."))
    challenge.published_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "challenge:publish",
        "challenge",
        challenge.id,
        {
            "slug": challenge.slug,
            "visibility": challenge.visibility,
            "rules_version": challenge.rules_version,
        },
    )
    return challenge


# --- reading ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ChallengePage:
    """Everything the challenge's page shows, as the actor may see it: plain rows read by attribute
    (app.challenges.page_queries), named like the columns of the models they come from."""

    challenge: Any
    rounds: list[Any]
    relations: set[str]
    program: ProgramRef | None
    organizers: list[Any]
    prizes: list[Any]
    announcements: list[Any]
    fields: dict[uuid.UUID, list[Any]]
    phase: lifecycle.Phase
    milestones: list[lifecycle.Milestone]
    next_deadline: lifecycle.Milestone | None
    registration_open: bool
    # The actor's team in the challenge (the "My team" link), and the rounds with a public vote.
    my_team_id: uuid.UUID | None = None
    vote_round_ids: frozenset[uuid.UUID] = frozenset()


async def challenge_page(
    session: AsyncSession, actor: Actor | None, slug: str, now: dt.datetime
) -> ChallengePage:
    """The public page, or for founders the preview of a draft; 404 for anyone who may not see it.

    Four statements whatever the challenge holds (app.challenges.page_queries)."""
    if "\x00" in slug:
        # PostgreSQL refuses NUL in text: such a slug names nothing, and must not become a server error.
        raise NotFoundException()
    actor_id = actor.id if actor is not None else None
    row = await page_queries.challenge_row(session, actor_id, slug)
    if row is None:
        raise NotFoundException()
    relations = page_queries.relations(actor_id, row)
    authz.require(actor, "challenge:view", relations)
    challenge = page_queries.Row(row)
    rounds = await page_queries.rounds(session, challenge.id)
    round_ids = [r.id for r in rounds]
    editor = authz.can(actor, "challenge:edit", relations)
    program = (
        ProgramRef(row["program_slug"], row["program_title"], row["program_kind"])
        if row["program_slug"]
        else None
    )
    return ChallengePage(
        challenge=challenge,
        rounds=rounds,
        relations=relations,
        program=program,
        organizers=[page_queries.Row(item) for item in row["organizers"]],
        prizes=[page_queries.Row(item) for item in row["prizes"]],
        fields=await page_queries.round_fields(session, challenge.id, round_ids, retired=editor),
        announcements=await page_queries.announcements(session, challenge.id),
        phase=lifecycle.phase(challenge, rounds, now),
        milestones=lifecycle.milestones(challenge, rounds, [r.name for r in rounds]),
        next_deadline=lifecycle.next_deadline(challenge, rounds, now),
        registration_open=lifecycle.registration_open(challenge, now),
        my_team_id=row["my_team_id"] if "participant" in relations else None,
        vote_round_ids=frozenset(row["vote_round_ids"] or ()),
    )


async def round_fields(
    session: AsyncSession, round_ids: list[uuid.UUID], *, retired: bool = True
) -> dict[uuid.UUID, list[RoundField]]:
    """The submission forms of several rounds in one query, in form order, retired fields last (or left out)."""
    statement = select(RoundField).where(RoundField.round_id.in_(round_ids))
    if not retired:
        statement = statement.where(RoundField.retired_at.is_(None))
    rows = await session.scalars(
        statement.order_by(RoundField.retired_at.is_not(None), RoundField.position, RoundField.id)
    )
    found: dict[uuid.UUID, list[RoundField]] = {round_id: [] for round_id in round_ids}
    for field in rows:
        found[field.round_id].append(field)
    return found


async def organizers(session: AsyncSession, challenge_id: uuid.UUID) -> list[Organization]:
    """The organizer organizations of a challenge, by name."""
    return list(
        await session.scalars(
            select(Organization)
            .join(ChallengeOrganizer, ChallengeOrganizer.organization_id == Organization.id)
            .where(ChallengeOrganizer.challenge_id == challenge_id)
            .order_by(func.lower(Organization.name), Organization.id)
        )
    )


async def prizes(session: AsyncSession, challenge_id: uuid.UUID) -> list[Prize]:
    """The prizes of a challenge, in their order."""
    return list(
        await session.scalars(
            select(Prize).where(Prize.challenge_id == challenge_id).order_by(Prize.position, Prize.id)
        )
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Editor:
    """What the founders' editing page needs."""

    challenge: Challenge
    rounds: list[Round]
    relations: set[str]
    organizers: list[Organization]
    addable_organizations: list[Organization]
    prizes: list[Prize]
    programs: list[Program]
    problems: list[str]


async def challenge_editor(session: AsyncSession, actor: Actor, slug: str) -> Editor:
    """The challenge with its lists, for founders, and what still keeps it from being published."""
    visible = await authorized(session, actor, slug, "challenge:edit")
    challenge = visible.challenge
    current = await organizers(session, challenge.id)
    present = {organization.id for organization in current}
    return Editor(
        challenge=challenge,
        rounds=visible.rounds,
        relations=visible.relations,
        organizers=current,
        addable_organizations=[o for o in await organizations_of(session, actor) if o.id not in present],
        prizes=await prizes(session, challenge.id),
        programs=await program_choices(session),
        problems=completeness.problems(challenge, visible.rounds, len(current)),
    )
