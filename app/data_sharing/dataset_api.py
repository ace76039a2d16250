"""JSON API of datasets and offerings under /api/v1: the same services and permissions as the pages;
refusals are problem+json (422 with `errors`, 409 with the reason, 403/404)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.api import API
from app.challenges.schemas import body_values
from app.data_sharing import agreements, dataset_files, datasets, offerings
from app.data_sharing.models import Dataset, DatasetFile, Offering
from app.data_sharing.schemas import (
    AgreementCreate,
    AgreementVersionView,
    ChallengeRef,
    DatasetCreate,
    DatasetFileView,
    DatasetList,
    DatasetSummary,
    DatasetUpdate,
    DatasetView,
    OfferingAction,
    OfferingCreate,
    OfferingView,
    PersonRef,
)
from app.platform.context import get_context
from app.platform.pagination import MAX_PAGE
from app.teams.uploads import IncomingBody

TAGS = ["datasets"]
DATASETS_API: dict[str, Any] = {**API, "tags": TAGS}
Short = Annotated[str, Parameter(max_length=200)]
BASE = "/api/v1/datasets/{slug:str}"
PER_PAGE = 50
MAX_PER_PAGE = 200


def _refs(challenges: list[Any]) -> list[ChallengeRef]:
    return [ChallengeRef(slug=challenge.slug, title=challenge.title) for challenge in challenges]


def _summary(dataset: Dataset, organization: str, challenges: list[Any]) -> dict[str, Any]:
    return {
        "slug": dataset.slug,
        "title": dataset.title,
        "description": dataset.description,
        "organization": organization,
        "sensitivity": dataset.sensitivity,
        "access_mode": dataset.access_mode,
        "max_grant_days": dataset.max_grant_days,
        "offered_to": _refs(challenges),
    }


async def _view(db: AsyncSession, actor: Actor, slug: str) -> DatasetView:
    page = await datasets.dataset_page(db, actor, slug)
    dataset = page.dataset
    return DatasetView(
        **_summary(dataset, page.organization.name, page.challenges),
        id=dataset.id,
        agreement_version=page.versions[0].version if page.versions else 0,
        stewards=[PersonRef(id=user.id, name=user.name) for user in page.stewards],
        is_steward=page.is_steward,
        workspace_instructions=dataset.workspace_instructions if page.is_steward else None,
    )


@get("/api/v1/datasets", name="datasets:api_list", **DATASETS_API)
async def api_list_datasets(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    sensitivity: Short = "",
    q: Short = "",
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[
        int, Parameter(ge=1, le=MAX_PER_PAGE, description=f"Items per page, 1 to {MAX_PER_PAGE}.")
    ] = PER_PAGE,
) -> DatasetList:
    """The catalogue by title, a page at a time: descriptions, never content; filtered by sensitivity and words of
    the title or description."""
    result = await datasets.catalogue_page(
        db, actor, sensitivity=sensitivity, query=q, page=page, per_page=per_page
    )
    return DatasetList(
        items=[_summary_of_row(row) for row in result.items],
        page=result.number,
        per_page=result.size,
        total=result.total,
        pages=result.pages,
    )


_CHALLENGE_REFS = msgspec.json.Decoder(list[ChallengeRef])


def _summary_of_row(row: Any) -> DatasetSummary:
    """A plain row of app.data_sharing.dataset_queries.catalogue_page, its challenges decoded from JSON."""
    return DatasetSummary(
        slug=row["slug"],
        title=row["title"],
        description=row["description"],
        organization=row["organization"],
        sensitivity=row["sensitivity"],
        access_mode=row["access_mode"],
        max_grant_days=row["max_grant_days"],
        offered_to=_CHALLENGE_REFS.decode(row["offered_to"]),
    )


@post("/api/v1/datasets", name="datasets:api_create", status_code=201, **DATASETS_API)
async def api_create_dataset(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], data: JSONBody[DatasetCreate]
) -> DatasetView:
    """Register a dataset for one of your organizations; you become its steward."""
    values = msgspec.structs.asdict(data)
    values["max_grant_days"] = str(values["max_grant_days"])
    dataset = await datasets.create_dataset(db, actor, values)
    return await _view(db, actor, dataset.slug)


@get(BASE, name="datasets:api_show", **DATASETS_API)
async def api_show_dataset(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], slug: FromPath[str]
) -> DatasetView:
    return await _view(db, actor, slug)


@patch(BASE, name="datasets:api_update", **DATASETS_API)
async def api_update_dataset(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: JSONBody[DatasetUpdate],
) -> DatasetView:
    """Change what is sent of the details (stewards)."""
    dataset, _relations = await datasets.load_dataset(db, actor, slug, "dataset:manage")
    values = {name: getattr(dataset, name) for name in datasets.DETAIL_FIELDS} | body_values(data)
    await datasets.update_dataset(db, actor, slug, values)
    return await _view(db, actor, slug)


def _version(version: Any) -> AgreementVersionView:
    return AgreementVersionView(version=version.version, text=version.text, created_at=version.created_at)


@get(BASE + "/agreement", name="datasets:api_agreement", **DATASETS_API)
async def api_agreement_versions(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], slug: FromPath[str]
) -> list[AgreementVersionView]:
    """Every version of the data use agreement, the one in force first."""
    return [_version(version) for version in await agreements.agreement_versions(db, actor, slug)]


@post(BASE + "/agreement", name="datasets:api_new_agreement", status_code=201, **DATASETS_API)
async def api_new_agreement(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: JSONBody[AgreementCreate],
) -> AgreementVersionView:
    """Publish a new version (stewards): every grantee must accept it before their next access."""
    return _version(await agreements.publish_agreement(db, actor, slug, data.text))


def _file(row: DatasetFile) -> DatasetFileView:
    return DatasetFileView(
        id=row.id,
        name=row.name,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        created_at=row.created_at,
    )


@get(BASE + "/files", name="datasets:api_files", **DATASETS_API)
async def api_list_files(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], slug: FromPath[str]
) -> list[DatasetFileView]:
    """The dataset's files (stewards): names, sizes, checksums; content only through the access rule."""
    _dataset, files = await dataset_files.files_of(db, actor, slug)
    return [_file(row) for row in files]


@post(
    BASE + "/files", name="datasets:api_upload", status_code=201, request_max_body_size=None, **DATASETS_API
)
async def api_upload_file(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> DatasetFileView:
    """Upload a file (stewards; multipart/form-data, the file in the first part with a file name)."""
    body = IncomingBody.of(request.headers, request.stream())
    row = await dataset_files.upload(db, actor, get_context(request.scope).settings, slug, body)
    return _file(row)


def _offering(scope: offerings.Scope) -> OfferingView:
    offering: Offering = scope.offering
    return OfferingView(
        id=offering.id,
        dataset=scope.dataset.slug,
        challenge=scope.challenge.slug,
        from_round_id=offering.from_round_id,
        founder_agreed_at=offering.founder_agreed_at,
        steward_agreed_at=offering.steward_agreed_at,
        withdrawn_at=offering.withdrawn_at,
        available=offerings.is_available(offering),
        five_safes=dict(offering.five_safes),
    )


def _safes(data: Any) -> dict[str, Any]:
    """The items sent (an empty item is not sent: it never erases one saved before)."""
    given = msgspec.structs.asdict(data.five_safes) if data.five_safes is not None else {}
    return {safe: text for safe, text in given.items() if text}


@post("/api/v1/offerings", name="offerings:api_create", status_code=201, **DATASETS_API)
async def api_create_offering(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    data: JSONBody[OfferingCreate],
) -> OfferingView:
    """A founder asks for a dataset for their challenge, or a steward offers it (Five Safes required)."""
    if data.action == "ask":
        scope = await offerings.ask(db, actor, data.dataset, data.challenge, data.from_round, now)
    else:
        scope = await offerings.offer(
            db, actor, data.dataset, data.challenge, data.from_round, _safes(data), now
        )
    return _offering(scope)


@get("/api/v1/offerings/{offering_id:uuid}", name="offerings:api_show", **DATASETS_API)
async def api_show_offering(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], offering_id: FromPath[uuid.UUID]
) -> OfferingView:
    return _offering(await offerings.load(db, actor, offering_id))


@post("/api/v1/offerings/{offering_id:uuid}", name="offerings:api_act", status_code=200, **DATASETS_API)
async def api_act_on_offering(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    offering_id: FromPath[uuid.UUID],
    data: JSONBody[OfferingAction],
) -> OfferingView:
    """Agree for your side (a steward with the Five Safes complete), or withdraw."""
    if data.action == "agree":
        scope = await offerings.agree(db, actor, offering_id, _safes(data) or None, now)
    else:
        scope = await offerings.withdraw(db, actor, offering_id, now)
    return _offering(scope)


ROUTES: list[Any] = [
    api_list_datasets,
    api_create_dataset,
    api_show_dataset,
    api_update_dataset,
    api_agreement_versions,
    api_new_agreement,
    api_list_files,
    api_upload_file,
    api_create_offering,
    api_show_offering,
    api_act_on_offering,
]
