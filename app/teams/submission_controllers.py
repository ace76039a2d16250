"""Pages of a team's submission to a round: the form with autosave, submit and withdraw, files, versions."""

from __future__ import annotations

import datetime as dt
import uuid
from http import HTTPStatus
from typing import Annotated, Any

from babel import dates
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.platform.i18n import get_locale
from app.platform.i18n import gettext as _
from app.platform.markdown import render as markdown
from app.platform.pagination import MAX_PAGE
from app.teams import submissions, uploads, versions
from app.teams.submission_api import ROUTES as API_ROUTES
from app.teams.submission_schemas import TEXT_LIMITS, action_label, answers_from_form, status_label
from app.teams.submissions import Change, VersionConflict
from app.web import flash, is_htmx, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
BASE = "/teams/{team_id:uuid}/rounds/{round_id:uuid}"
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]


def file_size(size: int) -> str:
    """A size as people read it: bytes, kB or MB, in the reader's language."""
    from babel import numbers

    for unit, factor in (("MB", 1024 * 1024), ("kB", 1024)):
        if size >= factor:
            return f"{numbers.format_decimal(round(size / factor, 1), locale=get_locale())} {unit}"
    return _("%(num)s bytes", num=size)


def _accept(field: Any) -> str:
    extensions = uploads.allowed_extensions(field)
    return ",".join(f".{extension}" for extension in extensions) + (",.jpeg" if "jpg" in extensions else "")


def _upload_limits(field: Any) -> str:
    return _(
        "Accepted: %(types)s; at most %(num)s MB.",
        types=", ".join(extension.upper() for extension in uploads.allowed_extensions(field)),
        num=field.max_size_mb or uploads.DEFAULT_MAX_MB,
    )


def _helpers() -> dict[str, Any]:
    return {
        "status_label": status_label,
        "action_label": action_label,
        "markdown": markdown,
        "file_size": file_size,
        "accept": _accept,
        "upload_limits": _upload_limits,
        "limits": TEXT_LIMITS,
    }


def _saved_message(change: Change, timezone: str) -> str:
    if not change.created:
        return _("All changes saved (version %(version)s).", version=change.version.number)
    time = dates.format_time(
        change.version.created_at, "short", tzinfo=dates.get_timezone(timezone), locale=get_locale()
    )
    return _("Saved at %(time)s (version %(version)s).", time=time, version=change.version.number)


def _base_version(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ClientException(detail=_("This form is incomplete. Reload the page and try again.")) from None


async def _page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    *,
    history_page: int = 1,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: VersionConflict | None = None,
    status_code: int = 200,
) -> Response[Any]:
    page = await versions.submission_page(db, actor, team_id, round_id, now, history_page)
    if conflict is not None:
        save_state, save_message = "conflict", _("Not saved: someone else saved meanwhile.")
    elif errors:
        save_state, save_message = "error", _("Not saved: fix the fields marked below.")
    elif page.version:
        save_state, save_message = (
            "saved",
            _("All changes saved (version %(version)s).", version=page.version),
        )
    else:
        save_state, save_message = "saved", _("Not saved yet.")
    context = {
        "page": page,
        "values": values if values is not None else page.answers,
        "errors": errors or {},
        "conflict": conflict,
        "save_state": save_state,
        "save_message": save_message,
        **_helpers(),
    }
    return render(request, "teams/submission.html", context, status_code=status_code)


def _status_block(
    request: Request[Any, Any, Any],
    state: str,
    message: str,
    *,
    change: Change | None = None,
    reload_url: str = "",
    status_code: int = 200,
) -> Response[Any]:
    """The autosave's answer: the status, and after a save the version the form now builds on."""
    context = {
        "save_state": state,
        "save_message": message,
        "change": change,
        "saved_by": _author(request),
        "reload_url": reload_url,
    }
    return render(request, "teams/submission_saved.html", context, status_code=status_code)


def _refusal_text(exc: ClientException) -> str:
    if isinstance(exc, InvalidInput):
        return _("Not saved: %(problems)s", problems=" ".join(exc.errors.values()))
    if exc.detail == HTTPStatus(exc.status_code).phrase:
        # A refusal without a reason of its own (the team or question is gone, the person left the team).
        if exc.status_code == 404:
            return _("This page does not exist, or you are not allowed to see it.")
        return _("You are not allowed to do this.")
    return str(exc.detail)


@get(BASE, name="submissions:show", **PAGE)
async def show_submission(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    page: PageNumber = 1,
) -> Response[Any]:
    return await _page(request, db, actor, now, team_id, round_id, history_page=page)


@post(BASE + "/save", name="submissions:save", **PAGE)
async def save_submission(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The explicit "Save draft" (a page) and the autosave (htmx: a status block, 4xx with the reason)."""
    form = await request.form()
    answers = answers_from_form(form.multi_items())
    path = f"/teams/{team_id}/rounds/{round_id}"
    try:
        change = await submissions.save_draft(
            db,
            actor,
            team_id,
            round_id,
            now,
            base_version=_base_version(form.get("base_version")),
            answers=answers,
        )
    except ClientException as exc:
        if is_htmx(request):
            state = "conflict" if isinstance(exc, VersionConflict) else "error"
            reload_url = path if isinstance(exc, VersionConflict) else ""
            return _status_block(
                request, state, _refusal_text(exc), reload_url=reload_url, status_code=exc.status_code
            )
        if isinstance(exc, (InvalidInput, VersionConflict)):
            errors = exc.errors if isinstance(exc, InvalidInput) else None
            conflict = exc if isinstance(exc, VersionConflict) else None
            return await _page(
                request, db, actor, now, team_id, round_id,
                values=answers, errors=errors, conflict=conflict, status_code=exc.status_code,
            )  # fmt: skip
        raise
    timezone = change.scope.challenge.timezone
    if is_htmx(request):
        return _status_block(request, "saved", _saved_message(change, timezone), change=change)
    flash(request, "success", _saved_message(change, timezone))
    return redirect(request, path)


@post(BASE + "/submit", name="submissions:submit", **PAGE)
async def submit_submission(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The form's "Submit" button: saves what the form holds and submits it, in one version."""
    form = await request.form()
    answers = answers_from_form(form.multi_items())
    settings = get_context(request.scope).settings
    try:
        change = await submissions.submit(
            db,
            actor,
            team_id,
            round_id,
            now,
            settings=settings,
            base_version=_base_version(form.get("base_version")),
            answers=answers,
        )
    except (InvalidInput, VersionConflict) as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else None
        conflict = exc if isinstance(exc, VersionConflict) else None
        return await _page(
            request, db, actor, now, team_id, round_id,
            values=answers, errors=errors, conflict=conflict, status_code=exc.status_code,
        )  # fmt: skip
    flash(
        request,
        "success",
        _(
            "Submitted: version %(version)s. Every member of the team gets a receipt.",
            version=change.version.number,
        ),
    )
    return redirect(request, f"/teams/{team_id}/rounds/{round_id}")


@post(BASE + "/withdraw", name="submissions:withdraw", **PAGE)
async def withdraw_submission(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await submissions.withdraw(db, actor, team_id, round_id, now)
    flash(request, "success", _("The submission is withdrawn. You can submit again until the deadline."))
    return redirect(request, f"/teams/{team_id}/rounds/{round_id}")


@post(BASE + "/files/{field_key:str}", name="submissions:upload", request_max_body_size=None, **PAGE)
async def upload_submission_file(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    field_key: FromPath[str],
) -> Response[Any]:
    """Upload a file question's file (multipart; the CSRF token in the header or the `_csrf` query parameter)."""
    body = uploads.IncomingBody.of(request.headers, request.stream())
    settings = get_context(request.scope).settings
    path = f"/teams/{team_id}/rounds/{round_id}"
    try:
        change = await uploads.upload_file(db, actor, settings, team_id, round_id, field_key, now, body)
    except ClientException as exc:
        if exc.status_code in (403, 404) and not is_htmx(request):
            raise
        return await _refused_upload(request, db, actor, now, team_id, round_id, field_key, exc)
    if is_htmx(request):
        return _uploaded_block(request, change, field_key)
    assert change.file is not None
    flash(
        request,
        "success",
        _(
            "%(name)s is uploaded (version %(version)s).",
            name=change.file.original_name,
            version=change.version.number,
        ),
    )
    return redirect(request, path)


def _author(request: Request[Any, Any, Any]) -> str | None:
    """Who made the version a change created: the person asking."""
    actor = get_context(request.scope).actor
    return actor.name if actor is not None else None


def _file_context(field: Any, stored: Any, error: str = "", **extra: Any) -> dict[str, Any]:
    return {"field": field, "stored": stored, "error": error, "change": None, **_helpers(), **extra}


def _uploaded_block(request: Request[Any, Any, Any], change: Change, field_key: str) -> Response[Any]:
    """After an htmx upload: the file question with its new file, the save status and the new base version."""
    context = _file_context(
        change.scope.field(field_key),
        change.file,
        change=change,
        saved_by=_author(request),
        save_state="saved",
        save_message=_saved_message(change, change.scope.challenge.timezone),
    )
    return render(request, "teams/submission_file.html", context)


async def _refused_upload(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    team_id: uuid.UUID,
    round_id: uuid.UUID,
    field_key: str,
    error: ClientException,
) -> Response[Any]:
    """A refused upload: the reason beside the file question, in the htmx swap or on the whole page."""
    if not is_htmx(request):
        errors = {f"answers.{field_key}": str(error.detail)}
        return await _page(
            request, db, actor, now, team_id, round_id, errors=errors, status_code=error.status_code
        )
    try:
        page = await versions.submission_page(db, actor, team_id, round_id, now)
    except ClientException:
        page = None
    field = page.scope.field(field_key) if page is not None else None
    if page is None or field is None:
        # No file question to redraw: the reason goes where the save status shows.
        response = _status_block(request, "error", _refusal_text(error), status_code=error.status_code)
        response.headers.update({"hx-retarget": "#save-status", "hx-reswap": "outerHTML"})
        return response
    context = _file_context(field, page.files.get(field_key), str(error.detail))
    return render(request, "teams/submission_file.html", context, status_code=error.status_code)


@get(BASE + "/versions/{number:int}", name="submissions:show_version", **PAGE)
async def show_version(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    number: FromPath[int],
) -> Response[Any]:
    detail = await versions.show_version(db, actor, team_id, round_id, number, now)
    context = {"detail": detail, "fields": detail.fields, "can_restore": detail.can_restore, **_helpers()}
    return render(request, "teams/submission_version.html", context)


@post(BASE + "/versions/{number:int}/restore", name="submissions:restore", **PAGE)
async def restore_version(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    team_id: FromPath[uuid.UUID],
    round_id: FromPath[uuid.UUID],
    number: FromPath[int],
) -> Response[Any]:
    form = await request.form()
    base = form.get("base_version")
    change = await versions.restore_version(
        db, actor, team_id, round_id, number, now, base_version=_base_version(base) if base else None
    )
    flash(
        request,
        "success",
        _(
            "Version %(number)s is restored as version %(version)s.",
            number=number,
            version=change.version.number,
        ),
    )
    return redirect(request, f"/teams/{team_id}/rounds/{round_id}")


PAGE_ROUTES = [
    show_submission,
    save_submission,
    submit_submission,
    withdraw_submission,
    upload_submission_file,
    show_version,
    restore_version,
]
ROUTES: list[object] = [*PAGE_ROUTES, *API_ROUTES]
