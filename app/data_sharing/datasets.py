"""Datasets: registering one for an organization, its details, its stewards and its data use agreement
versions, and the catalogue every signed-in person browses.

The catalogue and a dataset's page describe the data, never its content: no file and no workspace
instructions leave these functions for someone who is not a steward (the access rule of the requests
and grants decides who reaches the content).
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import authz
from app.accounts.models import User
from app.challenges.models import Challenge
from app.challenges.services import chosen_organizations, free_slug, slugify
from app.data_sharing import dataset_queries
from app.data_sharing.models import (
    ACCESS_MODES,
    SENSITIVITIES,
    AgreementVersion,
    Dataset,
    DatasetSteward,
    Offering,
)
from app.organizations.models import Organization, OrganizationMember
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.i18n import lazy
from app.platform.pagination import MAX_PAGE, Page

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

SENSITIVITY_LABELS = {
    "open": lazy("Open"),
    "restricted": lazy("Restricted"),
    "sensitive": lazy("Sensitive health data"),
}
ACCESS_MODE_LABELS = {
    "files": lazy("Files served by the platform"),
    "workspace": lazy("External secure workspace"),
}
DETAIL_FIELDS = (
    "title",
    "description",
    "sensitivity",
    "access_mode",
    "workspace_instructions",
    "max_grant_days",
)
MAX_DAYS = 1830


def sensitivity_label(value: str) -> str:
    return _(SENSITIVITY_LABELS.get(value, value))


def access_mode_label(value: str) -> str:
    return _(ACCESS_MODE_LABELS.get(value, value))


def details_input(values: dict[str, Any]) -> dict[str, Any]:
    """The dataset's details from a form or the API, checked; every message beside its field."""
    errors: dict[str, str] = {}
    title = str(values.get("title") or "").strip()
    if not title:
        errors["title"] = _("Give the dataset a title.")
    elif len(title) > 200:
        errors["title"] = _("Keep the title under 200 characters.")
    description = str(values.get("description") or "").strip()
    if len(description) > 20000:
        errors["description"] = _("Keep the description under 20,000 characters.")
    sensitivity = str(values.get("sensitivity") or "")
    if sensitivity not in SENSITIVITIES:
        errors["sensitivity"] = _("Choose a sensitivity from the list.")
    access_mode = str(values.get("access_mode") or "")
    if access_mode not in ACCESS_MODES:
        errors["access_mode"] = _("Choose how access is given.")
    instructions = str(values.get("workspace_instructions") or "").strip()
    if access_mode == "workspace" and not instructions:
        errors["workspace_instructions"] = _("Say how granted members reach the secure workspace.")
    days = _days(values.get("max_grant_days"), errors)
    if errors:
        raise InvalidInput(errors)
    return {
        "title": title,
        "description": description,
        "sensitivity": sensitivity,
        "access_mode": access_mode,
        "workspace_instructions": instructions if access_mode == "workspace" else "",
        "max_grant_days": days,
    }


def _days(raw: Any, errors: dict[str, str]) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        errors["max_grant_days"] = _("Give a number of days between 1 and %(max)s.", max=MAX_DAYS)
        return 0
    return int(text)


def agreement_input(raw: Any) -> str:
    text = str(raw or "").strip()
    if not text:
        raise InvalidInput({"agreement": _("Write the data use agreement.")})
    if len(text) > 50000:
        raise InvalidInput({"agreement": _("Keep the agreement under 50,000 characters.")})
    return text


async def create_dataset(session: AsyncSession, actor: Actor, values: dict[str, Any]) -> Dataset:
    """A dataset of one of the actor's organizations, with the actor as its first steward and agreement
    version 1. Checked as a whole, so every message shows at once."""
    errors: dict[str, str] = {}
    details: dict[str, Any] = {}
    agreement = ""
    try:
        details = details_input(values)
    except InvalidInput as exc:
        errors |= exc.errors
    try:
        agreement = agreement_input(values.get("agreement"))
    except InvalidInput as exc:
        errors |= exc.errors
    try:
        [organization] = await chosen_organizations(
            session, actor, [str(values.get("organization") or "")], field="organization"
        )
    except InvalidInput as exc:
        errors |= exc.errors
    if errors:
        raise InvalidInput(errors)
    authz.require(
        actor, "dataset:create", await authz.relations_to_organization(session, actor, organization.id)
    )
    dataset = await _insert(session, actor, organization, details)
    session.add(DatasetSteward(dataset_id=dataset.id, user_id=actor.id))
    session.add(AgreementVersion(dataset_id=dataset.id, version=1, text=agreement, created_by_id=actor.id))
    await session.flush()
    await audit.record(
        session,
        actor,
        "dataset:create",
        "dataset",
        dataset.id,
        {"slug": dataset.slug, "organization": organization.slug},
    )
    return dataset


async def _insert(
    session: AsyncSession, actor: Actor, organization: Organization, details: dict[str, Any]
) -> Dataset:
    base = slugify(details["title"], "dataset")
    for attempt in range(3):
        slug = (
            await free_slug(session, Dataset.slug, base) if attempt == 0 else f"{base}-{secrets.token_hex(3)}"
        )
        dataset = Dataset(
            slug=slug, steward_organization_id=organization.id, created_by_id=actor.id, **details
        )
        try:
            async with session.begin_nested():
                session.add(dataset)
                await session.flush()
        except IntegrityError:
            continue
        return dataset
    raise Conflict(_("This dataset could not be registered just now. Please try again."))


async def load_dataset(
    session: AsyncSession, actor: Actor | None, slug: str, action: str = "dataset:view", *, lock: bool = False
) -> tuple[Dataset, set[str]]:
    """The dataset by slug and the actor's relations to it, once `action` is allowed (404 when unknown)."""
    statement = select(Dataset).where(Dataset.slug == slug, Dataset.archived_at.is_(None))
    # PostgreSQL refuses NUL in text: such a slug names nothing, and must not become a server error.
    dataset = (
        None if "\x00" in slug else await session.scalar(statement.with_for_update() if lock else statement)
    )
    if dataset is None:
        authz.require(actor, "dataset:view")
        raise NotFoundException()
    relations = await authz.relations_to_dataset(session, actor, dataset.id)
    authz.require(actor, action, relations)
    return dataset, relations


@dataclasses.dataclass(slots=True)
class DatasetPage:
    dataset: Dataset
    organization: Organization
    is_steward: bool
    stewards: list[User]
    versions: list[AgreementVersion]
    challenges: list[Any]  # rows of id, slug, title
    candidates: list[User]  # members of the steward organization who are not stewards yet (stewards only)


async def dataset_page(session: AsyncSession, actor: Actor, slug: str) -> DatasetPage:
    dataset, relations = await load_dataset(session, actor, slug)
    is_steward = authz.can(actor, "dataset:manage", relations)
    organization = await session.get_one(Organization, dataset.steward_organization_id)
    stewards = list(
        await session.scalars(
            select(User)
            .join(DatasetSteward, DatasetSteward.user_id == User.id)
            .where(DatasetSteward.dataset_id == dataset.id)
            .order_by(func.lower(User.name), User.id)
        )
    )
    versions = list(
        await session.scalars(
            select(AgreementVersion)
            .where(AgreementVersion.dataset_id == dataset.id)
            .order_by(AgreementVersion.version.desc())
        )
    )
    offered = await offered_challenges(session, actor, [dataset.id])
    candidates = await _candidates(session, dataset, stewards) if is_steward else []
    return DatasetPage(
        dataset, organization, is_steward, stewards, versions, offered.get(dataset.id, []), candidates
    )


async def _candidates(session: AsyncSession, dataset: Dataset, stewards: list[User]) -> list[User]:
    named = {steward.id for steward in stewards}
    members = await session.scalars(
        select(User)
        .join(OrganizationMember, OrganizationMember.user_id == User.id)
        .where(OrganizationMember.organization_id == dataset.steward_organization_id)
        .order_by(func.lower(User.name), User.id)
    )
    return [member for member in members if member.id not in named]


async def offered_challenges(
    session: AsyncSession, actor: Actor | None, dataset_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    """For each dataset, the challenges the actor may see that it is offered to (both sides agreed), as plain
    rows (id, slug, title)."""
    if not dataset_ids:
        return {}
    rows = await session.execute(
        select(Offering.dataset_id, Challenge.id, Challenge.slug, Challenge.title)
        .join(Challenge, Challenge.id == Offering.challenge_id)
        .where(
            Offering.dataset_id.in_(dataset_ids),
            Offering.founder_agreed_at.is_not(None),
            Offering.steward_agreed_at.is_not(None),
            Offering.withdrawn_at.is_(None),
            authz.visible_challenges(actor),
        )
        .order_by(Challenge.title)
    )
    offered: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        offered.setdefault(row.dataset_id, []).append(row)
    return offered


async def update_dataset(session: AsyncSession, actor: Actor, slug: str, values: dict[str, Any]) -> Dataset:
    """A steward changes the details; the audit entry names the fields that changed."""
    dataset, _relations = await load_dataset(session, actor, slug, "dataset:manage")
    details = details_input(values)
    changed = sorted(name for name, value in details.items() if getattr(dataset, name) != value)
    for name in changed:
        setattr(dataset, name, details[name])
    await session.flush()
    if changed:
        await audit.record(session, actor, "dataset:edit", "dataset", dataset.id, {"fields": changed})
    return dataset


@dataclasses.dataclass(slots=True)
class CatalogueEntry:
    dataset: Dataset
    organization_name: str
    challenges: list[Any]  # rows of id, slug, title


def _catalogue_query(actor: Actor, sensitivity: str, query: str) -> Select[*tuple[Any, ...]]:
    authz.require(actor, "dataset:view")
    if sensitivity and sensitivity not in SENSITIVITIES:
        raise InvalidInput({"sensitivity": _("Choose a sensitivity from the list.")})
    statement = (
        select(Dataset, Organization.name)
        .join(Organization, Organization.id == Dataset.steward_organization_id)
        .where(Dataset.archived_at.is_(None))
        .order_by(func.lower(Dataset.title), Dataset.id)
    )
    if sensitivity:
        statement = statement.where(Dataset.sensitivity == sensitivity)
    for word in query.replace("\x00", "").split()[:8]:  # PostgreSQL refuses NUL in text
        statement = statement.where(
            Dataset.title.icontains(word, autoescape=True)
            | Dataset.description.icontains(word, autoescape=True)
        )
    return statement


async def catalogue(
    session: AsyncSession, actor: Actor, *, sensitivity: str = "", query: str = ""
) -> list[CatalogueEntry]:
    """Every dataset (never archived ones, at most 500) with its steward organization and the challenges it is
    offered to; filtered by sensitivity and words of the title or description. Two statements whatever the count."""
    rows = list(await session.execute(_catalogue_query(actor, sensitivity, query).limit(500)))
    offered = await offered_challenges(session, actor, [dataset.id for dataset, _name in rows])
    return [CatalogueEntry(dataset, name, offered.get(dataset.id, [])) for dataset, name in rows]


async def catalogue_page(
    session: AsyncSession,
    actor: Actor,
    *,
    sensitivity: str = "",
    query: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Page[Any]:
    """One page of the catalogue (the API's) as plain rows (app.data_sharing.dataset_queries.catalogue_page):
    one statement with the total and the challenges in it (one more for a page past the end)."""
    authz.require(actor, "dataset:view")
    if sensitivity and sensitivity not in SENSITIVITIES:
        raise InvalidInput({"sensitivity": _("Choose a sensitivity from the list.")})
    words = {
        f"word{index}": dataset_queries.contains_pattern(word)
        for index, word in enumerate(query.split()[: dataset_queries.MAX_WORDS])
    }
    params: dict[str, Any] = {**words, "sensitivity": sensitivity} if sensitivity else words
    number = min(max(page, 1), MAX_PAGE)
    rows = await dataset_queries.catalogue_page(bool(sensitivity), len(words), actor.is_admin).all(
        session, actor_id=actor.id, limit=per_page, offset=(number - 1) * per_page, **params
    )
    total = rows[0]["total"] if rows else 0
    if not rows and number > 1:
        total = await dataset_queries.catalogue_count(bool(sensitivity), len(words)).scalar(session, **params)
    return Page(items=rows, number=number, size=per_page, total=total)
