"""Business verbs of programs: themes held for one or two years, co-founded by organizations.

Invariants kept here: the creator names only organizations they belong to; a program lasts one or
two years (checked here with a message, and by the database, whose refusal becomes the same
message); its slug is unique and never changes. Its page lists only the published challenges the
viewer may see.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from app import authz
from app.challenges.inputs import program_input
from app.challenges.models import Challenge, Program, ProgramOrganization
from app.challenges.queries import load_program
from app.challenges.services import chosen_organizations, free_slug, organizations_of, slugify
from app.organizations.models import Organization
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import Page, paginate

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

PAGE_SIZE = 20
PROGRAM_FIELDS = ("title", "kind", "starts_on", "ends_on", "description")


@dataclasses.dataclass(frozen=True, slots=True)
class ProgramPage:
    program: Program
    relations: set[str]
    organizations: list[Organization]
    challenges: list[Challenge]


def _period_refused() -> InvalidInput:
    return InvalidInput({"ends_on": _("A program lasts at most two years, and ends after it starts.")})


async def _flush_checked(session: AsyncSession, *objects: Any) -> None:
    """Flush in a savepoint; the database's own check on the period becomes a field message."""
    try:
        async with session.begin_nested():
            session.add_all(objects)
            await session.flush()
    except IntegrityError as exc:
        if "ck_programs_period" in str(exc.orig):
            raise _period_refused() from None
        raise


async def create_program(
    session: AsyncSession, actor: Actor, values: dict[str, Any], organizations: list[str]
) -> Program:
    """A new program co-founded by some of the actor's organizations; its members become its founders."""
    authz.require(actor, "program:create")
    data = program_input(values)
    chosen = await chosen_organizations(session, actor, organizations)
    base = slugify(data.title, "program")
    for attempt in range(3):
        slug = (
            await free_slug(session, Program.slug, base) if attempt == 0 else f"{base}-{secrets.token_hex(3)}"
        )
        program = Program(slug=slug, created_by_id=actor.id, **dataclasses.asdict(data))
        try:
            await _flush_checked(session, program)
        except IntegrityError:
            continue
        break
    else:
        raise Conflict(_("This program could not be created just now. Please try again."))
    session.add_all(ProgramOrganization(program_id=program.id, organization_id=o.id) for o in chosen)
    await session.flush()
    await audit.record(
        session,
        actor,
        "program:create",
        "program",
        program.id,
        {"slug": slug, "organizations": [o.slug for o in chosen]},
    )
    return program


async def update_program(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    values: dict[str, Any],
    add_organizations: Sequence[str] = (),
) -> Program:
    """Its founders change the details (fields absent from `values` stay) and may add co-founders among
    their own organizations. The slug stays, so shared links keep working."""
    program, relations = await load_program(session, actor, slug)
    authz.require(actor, "program:edit", relations)
    current = {name: getattr(program, name) for name in PROGRAM_FIELDS}
    data = program_input({**current, **{k: v for k, v in values.items() if k in PROGRAM_FIELDS}})
    added = []
    if add_organizations:
        present = set(
            await session.scalars(
                select(ProgramOrganization.organization_id).where(
                    ProgramOrganization.program_id == program.id
                )
            )
        )
        added = [
            o
            for o in await chosen_organizations(session, actor, list(add_organizations))
            if o.id not in present
        ]
    for name, value in dataclasses.asdict(data).items():
        setattr(program, name, value)
    await _flush_checked(
        session, program, *(ProgramOrganization(program_id=program.id, organization_id=o.id) for o in added)
    )
    await audit.record(
        session,
        actor,
        "program:edit",
        "program",
        program.id,
        {"added_organizations": [o.slug for o in added]},
    )
    return program


async def list_programs(
    session: AsyncSession, actor: Actor | None, page: int = 1
) -> Page[tuple[Program, int]]:
    """Every program, newest period first, with how many published challenges the actor may see in it."""
    authz.require(actor, "program:view")
    count = (
        select(func.count())
        .where(
            Challenge.program_id == Program.id,
            Challenge.published_at.is_not(None),
            authz.visible_challenges(actor),
        )
        .correlate(Program)
        .scalar_subquery()
    )
    statement = select(Program, count).order_by(Program.starts_on.desc(), Program.title, Program.id)
    return await paginate(session, statement, page, PAGE_SIZE)


async def program_page(session: AsyncSession, actor: Actor | None, slug: str) -> ProgramPage:
    """The program with its co-founders and the published challenges the actor may see."""
    program, relations = await load_program(session, actor, slug)
    organizations = await session.scalars(
        select(Organization)
        .join(ProgramOrganization, ProgramOrganization.organization_id == Organization.id)
        .where(ProgramOrganization.program_id == program.id)
        .order_by(func.lower(Organization.name))
    )
    challenges = await session.scalars(
        select(Challenge)
        .where(and_(Challenge.program_id == program.id, Challenge.published_at.is_not(None)))
        .where(authz.visible_challenges(actor))
        .order_by(Challenge.registration_closes_at.asc().nulls_last(), Challenge.title)
    )
    return ProgramPage(program, relations, list(organizations), list(challenges))


async def program_editor(
    session: AsyncSession, actor: Actor, slug: str
) -> tuple[ProgramPage, list[Organization]]:
    """The program for its founders' form, with their organizations that could join as co-founders."""
    page = await program_page(session, actor, slug)
    authz.require(actor, "program:edit", page.relations)
    present = {o.id for o in page.organizations}
    return page, [o for o in await organizations_of(session, actor) if o.id not in present]
