"""JSON API of files, the founders' submission lists and the gallery, under /api/v1: same services and
permissions as the pages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.platform.pagination import MAX_PAGE
from app.platform.storage import storage_for
from app.teams import files, founder_views, gallery
from app.teams.models import StoredFile
from app.web import problem

PRIVATE = CacheControlHeader(no_store=True)
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
StatusFilter = Annotated[str, Parameter(pattern=r"^(|none|draft|submitted|withdrawn)$")]
SortOrder = Annotated[str, Parameter(pattern=r"^(|recent|oldest|team)$")]
DateText = Annotated[str, Parameter(max_length=20)]


class TeamSummary(msgspec.Struct):
    id: uuid.UUID
    name: str
    organization: str | None
    member_count: int


class SubmissionItem(msgspec.Struct):
    team: TeamSummary
    # none (not started), draft, submitted or withdrawn
    status: str
    submission_id: uuid.UUID | None
    version: int | None
    submitted_at: dt.datetime | None
    updated_at: dt.datetime | None
    updated_by: str | None


class SubmissionList(msgspec.Struct):
    round_id: uuid.UUID
    items: list[SubmissionItem]
    counts: dict[str, int]
    page: int
    per_page: int
    total: int
    pages: int


class FileView(msgspec.Struct):
    id: uuid.UUID
    name: str
    content_type: str
    size: int
    sha256: str
    url: str


class FieldView(msgspec.Struct):
    key: str
    label: str
    kind: str


class GalleryEntry(msgspec.Struct):
    team: str
    organization: str | None
    submitted_at: dt.datetime | None
    answers: dict[str, Any]
    files: dict[str, list[FileView]]


class RoundSummary(msgspec.Struct):
    id: uuid.UUID
    position: int
    name: str


class GalleryView(msgspec.Struct):
    challenge: str
    # False until results are published: no round and no entries then.
    open: bool
    round: RoundSummary | None
    rounds: list[RoundSummary]
    fields: list[FieldView]
    items: list[GalleryEntry]
    page: int
    per_page: int
    total: int
    pages: int


def _file_view(stored: StoredFile) -> FileView:
    return FileView(
        id=stored.id,
        name=files.display_name(stored.original_name),
        content_type=files.safe_media_type(stored.content_type),
        size=stored.size,
        sha256=stored.sha256,
        url=f"/api/v1/files/{stored.id}",
    )


@get(
    "/api/v1/files/{file_id:uuid}",
    name="files:api_download",
    opt={"public": True},
    # The bytes of the file, in the type it was uploaded with.
    responses={
        200: ResponseSpec(
            bytes, description="The file, as an attachment.", media_type="*/*", generate_examples=False
        )
    },
)
async def api_download_file(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    file_id: FromPath[uuid.UUID],
) -> Stream:
    """The file's bytes as an attachment, for its team, its challenge's founders, and everyone once it is in
    the published gallery; 404 for anyone else."""
    storage = storage_for(get_context(request.scope).settings)
    download = await files.open_download(db, actor, file_id, storage)
    return Stream(download.chunks, media_type=download.media_type, headers=download.headers())


@get(
    "/api/v1/challenges/{slug:str}/rounds/{round_id:uuid}/submissions",
    name="founders:api_submissions",
    cache_control=PRIVATE,
)
async def api_list_round_submissions(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    status: StatusFilter = "",
    since: DateText = "",
    sort: SortOrder = "",
    page: PageNumber = 1,
) -> Response[Any]:
    """Every team with its submission to the round (status `none` when not started); founders only."""
    try:
        filters = founder_views.submission_filters(status, since, sort)
    except InvalidInput as exc:
        errors = [
            {"key": field, "message": message, "source": "query"} for field, message in exc.errors.items()
        ]
        return problem(422, exc.detail, errors=errors)
    listing = await founder_views.round_submissions(db, actor, slug, round_id, filters, page)
    rows = listing.rows
    items = [
        SubmissionItem(
            team=TeamSummary(row.team.id, row.team.name, row.organization_name, row.team.member_count),
            status=row.status,
            submission_id=row.submission.id if row.submission else None,
            version=row.submission.version if row.submission else None,
            submitted_at=row.submission.submitted_at if row.submission else None,
            updated_at=row.submission.updated_at if row.submission else None,
            updated_by=row.changed_by,
        )
        for row in rows.items
    ]
    body = SubmissionList(round_id, items, listing.counts, rows.number, rows.size, rows.total, rows.pages)
    return Response(body)


@get(
    "/api/v1/challenges/{slug:str}/gallery",
    name="gallery:api_show",
    opt={"public": True},
    cache_control=PRIVATE,
)
async def api_show_gallery(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    slug: FromPath[str],
    round_id: Annotated[uuid.UUID | None, QueryParameter(name="round")] = None,
    page: PageNumber = 1,
) -> GalleryView:
    """The gallery of a round (the final one by default) once results are published; `open` is false before."""
    shown = await gallery.show_gallery(db, actor, slug, round_id, page)
    entries = shown.entries
    rounds = [RoundSummary(r.id, r.position, r.name) for r in shown.visible.rounds] if shown.is_open else []
    return GalleryView(
        challenge=shown.visible.challenge.slug,
        open=shown.is_open,
        round=RoundSummary(shown.round.id, shown.round.position, shown.round.name) if shown.round else None,
        rounds=rounds,
        fields=[FieldView(f.key, f.label, f.kind) for f in shown.fields],
        items=[
            GalleryEntry(
                team=entry.team.name,
                organization=entry.organization.name if entry.organization else None,
                submitted_at=entry.submission.submitted_at,
                answers=entry.answers,
                files={key: [_file_view(f) for f in stored] for key, stored in entry.files.items()},
            )
            for entry in entries.items
        ],
        page=entries.number,
        per_page=entries.size,
        total=entries.total,
        pages=entries.pages,
    )


ROUTES = [api_download_file, api_list_round_submissions, api_show_gallery]
