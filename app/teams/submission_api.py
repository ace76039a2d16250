"""JSON API of submissions under /api/v1: the same services and permissions as the pages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post, put
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.platform.pagination import MAX_PAGE
from app.teams import submissions, uploads, versions
from app.teams.models import StoredFile
from app.teams.submission_schemas import (
    FieldView,
    FileView,
    PersonRef,
    SubmissionSummary,
    SubmissionUpdate,
    SubmissionView,
    SubmitRequest,
    VersionList,
    VersionSummary,
    VersionView,
)
from app.teams.submissions import VersionConflict
from app.web import problem

PRIVATE = CacheControlHeader(no_store=True)
BASE = "/api/v1/teams/{team_id:uuid}/rounds/{round_id:uuid}"
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]


def _file(stored: StoredFile) -> FileView:
    return FileView(
        id=stored.id,
        name=stored.original_name,
        size=stored.size,
        content_type=stored.content_type,
        sha256=stored.sha256,
        url=f"/files/{stored.id}",
    )


def _person(user_id: uuid.UUID | None, name: str | None) -> PersonRef | None:
    return PersonRef(id=user_id, name=name) if user_id is not None else None


def _view(page: versions.SubmissionPage) -> SubmissionView:
    scope, submission = page.scope, page.submission
    round_ = scope.round
    return SubmissionView(
        team_id=scope.team.id,
        round_id=round_.id,
        round=round_.name,
        status=page.status,
        version=page.version,
        open=page.closed is None,
        opens_at=round_.opens_at,
        deadline=round_.deadline,
        submitted_at=submission.submitted_at if submission else None,
        updated_at=submission.updated_at if submission and submission.version else None,
        updated_by=_person(submission.updated_by_id, page.updated_by) if submission else None,
        answers=dict(page.answers),
        files={key: _file(stored) for key, stored in page.files.items()},
        fields=[
            FieldView(
                key=field.key,
                label=field.label,
                kind=field.kind,
                required=field.required,
                retired=field.retired_at is not None,
                choices=list(field.choices),
                allowed_types=list(field.allowed_types),
                max_size_mb=field.max_size_mb,
            )
            for field in page.fields
        ],
    )


async def _current(
    db: AsyncSession,
    actor: Actor,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    now: dt.datetime,
    status_code: int = 200,
) -> Response[Any]:
    page = await versions.submission_page(db, actor, team_id, round_id, now)
    return Response(_view(page), status_code=status_code, headers={"cache-control": "no-store"})


def _refused(exc: InvalidInput | VersionConflict) -> Response[Any]:
    if isinstance(exc, VersionConflict):
        return problem(
            409,
            str(exc.detail),
            current_version=exc.version,
            updated_by=exc.by,
            updated_at=exc.at.isoformat() if exc.at else None,
        )
    errors = [{"key": field, "message": message, "source": "body"} for field, message in exc.errors.items()]
    return problem(422, str(exc.detail), errors=errors)


@get("/api/v1/teams/{team_id:uuid}/submissions", name="submissions:api_list", cache_control=PRIVATE)
async def api_list_submissions(
    db: NamedDependency[AsyncSession], actor: NamedDependency[Actor], team_id: FromPath[uuid.UUID]
) -> list[SubmissionSummary]:
    """The team's submission to each round of its challenge, in order (for its members and the founders)."""
    _team, entries = await submissions.team_submissions(db, actor, team_id)
    return [
        SubmissionSummary(
            round_id=entry.round.id,
            round=entry.round.name,
            position=entry.round.position,
            may_enter=entry.may_enter,
            status=entry.status,
            version=entry.version,
            deadline=entry.round.deadline,
            submitted_at=entry.submission.submitted_at if entry.submission else None,
            updated_at=entry.submission.updated_at if entry.submission and entry.version else None,
        )
        for entry in entries
    ]


@get(BASE + "/submission", name="submissions:api_show", cache_control=PRIVATE)
async def api_show_submission(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The latest version of the team's submission to the round, with the round's questions."""
    return await _current(db, actor, team_id, round_id, now)


@put(BASE + "/submission", name="submissions:api_save", cache_control=PRIVATE)
async def api_save_submission(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[SubmissionUpdate],
) -> Response[Any]:
    """Save a draft: every editable answer (absent ones are cleared), based on `base_version`.

    409 (with current_version, updated_by, updated_at) when someone saved since; 403 after the deadline.
    """
    try:
        await submissions.save_draft(
            db, actor, team_id, round_id, now, base_version=data.base_version, answers=data.answers
        )
    except (InvalidInput, VersionConflict) as exc:
        return _refused(exc)
    return await _current(db, actor, team_id, round_id, now)


@post(BASE + "/submit", name="submissions:api_submit", cache_control=PRIVATE, status_code=200)
async def api_submit(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[SubmitRequest | None] = None,
) -> Response[Any]:
    """Submit the latest version as it stands; every member gets a notification and an e-mail receipt."""
    settings = get_context(request.scope).settings
    try:
        await submissions.submit(
            db,
            actor,
            team_id,
            round_id,
            now,
            settings=settings,
            base_version=data.base_version if data else None,
        )
    except (InvalidInput, VersionConflict) as exc:
        return _refused(exc)
    return await _current(db, actor, team_id, round_id, now)


@post(BASE + "/withdraw", name="submissions:api_withdraw", cache_control=PRIVATE, status_code=200)
async def api_withdraw(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    data: JSONBody[SubmitRequest | None] = None,
) -> Response[Any]:
    """Withdraw the submitted submission, until the deadline."""
    try:
        await submissions.withdraw(
            db, actor, team_id, round_id, now, base_version=data.base_version if data else None
        )
    except VersionConflict as exc:
        return _refused(exc)
    return await _current(db, actor, team_id, round_id, now)


@get(BASE + "/versions", name="submissions:api_versions", cache_control=PRIVATE)
async def api_list_versions(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    page: PageNumber = 1,
) -> VersionList:
    """The history, newest first: each version's action, author, time and the questions it changed."""
    loaded = await versions.submission_page(db, actor, team_id, round_id, now, page)
    history = loaded.history
    items = [
        VersionSummary(
            number=entry.number,
            action=entry.action,
            restored_from=entry.restored_from,
            created_at=entry.created_at,
            created_by=_person(entry.author_id, entry.author),
            changed=entry.changed,
        )
        for entry in history.items
    ]
    return VersionList(
        items=items, page=history.number, per_page=history.size, total=history.total, pages=history.pages
    )


@get(BASE + "/versions/{number:int}", name="submissions:api_version", cache_control=PRIVATE)
async def api_show_version(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    number: FromPath[int],
) -> VersionView:
    """One version: exactly its answers and files."""
    detail = await versions.show_version(db, actor, team_id, round_id, number, now)
    version = detail.version
    return VersionView(
        number=version.number,
        action=version.action,
        restored_from=version.restored_from,
        created_at=version.created_at,
        created_by=_person(version.created_by_id, detail.author),
        answers=dict(version.answers),
        files={key: _file(stored) for key, stored in detail.files.items()},
    )


@post(
    BASE + "/versions/{number:int}/restore",
    name="submissions:api_restore",
    cache_control=PRIVATE,
    status_code=200,
)
async def api_restore_version(
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    number: FromPath[int],
    data: JSONBody[SubmitRequest | None] = None,
) -> Response[Any]:
    """Make a new version with exactly the answers and files of version `number`."""
    try:
        await versions.restore_version(
            db, actor, team_id, round_id, number, now, base_version=data.base_version if data else None
        )
    except VersionConflict as exc:
        return _refused(exc)
    return await _current(db, actor, team_id, round_id, now)


@post(
    BASE + "/files/{field_key:str}",
    name="submissions:api_upload",
    cache_control=PRIVATE,
    request_max_body_size=None,
)
async def api_upload_file(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    field_key: FromPath[str],
) -> Response[Any]:
    """Upload the file of a file question (multipart/form-data, the file in the first part with a file name)."""
    body = uploads.IncomingBody.of(request.headers, request.stream())
    settings = get_context(request.scope).settings
    await uploads.upload_file(db, actor, settings, team_id, round_id, field_key, now, body)
    return await _current(db, actor, team_id, round_id, now, status_code=201)


ROUTES = [
    api_list_submissions,
    api_show_submission,
    api_save_submission,
    api_submit,
    api_withdraw,
    api_list_versions,
    api_show_version,
    api_restore_version,
    api_upload_file,
]
