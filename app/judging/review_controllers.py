"""Judges' pages: the rounds they judge, their queue in a round, and the review page where each criterion
saves itself as it changes (htmx) and the review is finalized. Everything also works without JavaScript:
each criterion's form then has its own Save button and answers with a redirect back to the page."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Annotated, Any

from babel import dates
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.judging import queue as queues
from app.judging import reviews, scales, scoring
from app.judging.review_api import ROUTES as API_ROUTES
from app.platform.errors import InvalidInput
from app.platform.i18n import get_locale
from app.platform.i18n import gettext as _
from app.platform.markdown import render as markdown
from app.platform.pagination import MAX_PAGE
from app.teams.submission_controllers import file_size
from app.web import flash, form_fields, is_htmx, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
ENTRY = "/judge/entries/{submission_id:uuid}"


def entry_path(submission_id: uuid.UUID) -> str:
    return f"/judge/entries/{submission_id}"


def _helpers() -> dict[str, Any]:
    return {
        "markdown": markdown,
        "file_size": file_size,
        "number": scales.number,
        "levels": scales.levels,
        "uses_buttons": scales.uses_buttons,
        "same_level": scales.same_level,
        "review_status_label": queues.status_label,
        "comment_max": scales.COMMENT_MAX,
        "overall_comment_max": scales.OVERALL_COMMENT_MAX,
    }


@get("/judge", name="judging:my_rounds", **PAGE)
async def my_rounds(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
) -> Response[Any]:
    """Every round the person judges, across challenges, with their progress and the judging clock."""
    rounds = await queues.judged_rounds(db, actor, now)
    return render(request, "judging/my_rounds.html", {"rounds": rounds})


@get("/judge/rounds/{round_id:uuid}", name="judging:queue", **PAGE)
async def show_queue(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    round_id: FromPath[uuid.UUID],
    page: PageNumber = 1,
) -> Response[Any]:
    """One page of the judge's queue, entries still to finalize first."""
    queue = await queues.round_queue(db, actor, round_id, now, page)
    return render(request, "judging/queue.html", {"queue": queue, **_helpers()})


async def _review_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    submission_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    page = await reviews.review_page(db, actor, submission_id, now)
    context = {"page": page, "errors": errors or {}, "posted": posted or {}, **_helpers()}
    return render(request, "judging/review.html", context, block="finalize", status_code=status_code)


@get(ENTRY, name="judging:review", **PAGE)
async def show_review(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    submission_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _review_page(request, db, actor, now, submission_id)


def _saved_at(at: dt.datetime, timezone: str) -> str:
    time = dates.format_time(at, "short", tzinfo=dates.get_timezone(timezone), locale=get_locale())
    return _("Saved at %(time)s.", time=time)


def _refusal_text(exc: ClientException, key: str) -> str:
    if isinstance(exc, InvalidInput):
        return _("Not saved: %(problem)s", problem=exc.errors.get(key) or " ".join(exc.errors.values()))
    if exc.detail == HTTPStatus(exc.status_code).phrase:
        if exc.status_code == 404:
            return _("This page does not exist, or you are not allowed to see it.")
        return _("You are not allowed to do this.")
    return _("Not saved: %(problem)s", problem=exc.detail)


def _status(
    request: Request[Any, Any, Any],
    target: str,
    state: str,
    message: str,
    *,
    review_status: str = "",
    status_code: int = 200,
) -> Response[Any]:
    """The autosave's answer: the status beside what was saved, and the review's status out of band."""
    context = {
        "target": target,
        "state": state,
        "message": message,
        "review_status": review_status,
        **_helpers(),
    }
    return render(request, "judging/save_status.html", context, status_code=status_code)


def _review_status(saved: scoring.Saved) -> str:
    return "finalized" if saved.review.finalized_at else "draft"


async def _autosave(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    submission_id: uuid.UUID,
    save: Callable[[], Awaitable[scoring.Saved]],
    *,
    key: str,
    target: str,
    posted: dict[str, Any],
) -> Response[Any]:
    """Run one autosave: for htmx, the status fragment (the refusal's reason with its 4xx); without
    JavaScript, back to the page (with the message beside the field and what was typed, on 422)."""
    try:
        saved = await save()
    except ClientException as exc:
        if is_htmx(request):
            return _status(request, target, "error", _refusal_text(exc, key), status_code=exc.status_code)
        if isinstance(exc, InvalidInput):
            return await _review_page(
                request, db, actor, now, submission_id, errors=exc.errors, posted=posted, status_code=422
            )
        raise
    message = _saved_at(saved.at, saved.timezone)
    if is_htmx(request):
        return _status(request, target, "saved", message, review_status=_review_status(saved))
    flash(request, "success", message)
    return redirect(request, f"{entry_path(submission_id)}#{posted['anchor']}")


@post(ENTRY + "/scores/{criterion_id:uuid}", name="judging:save_score", **PAGE)
async def save_score(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    submission_id: FromPath[uuid.UUID],
    criterion_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """One criterion's value and comment: a status fragment for htmx, a redirect back to the page otherwise."""
    form = await form_fields(request)
    given = scoring.ScoreInput(form.get("value"), form.get("comment", ""))
    posted = {
        "criterion": criterion_id,
        "value": given.value,
        "comment": given.comment,
        "anchor": f"criterion-{criterion_id}",
    }
    return await _autosave(
        request, db, actor, now, submission_id,
        lambda: scoring.save_score(db, actor, submission_id, criterion_id, given, now),
        key=scoring.score_key(criterion_id), target=f"status-{criterion_id}", posted=posted,
    )  # fmt: skip


@post(ENTRY + "/comment", name="judging:save_comment", **PAGE)
async def save_comment(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    submission_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """The overall comment: same answers as a criterion's autosave."""
    comment = (await form_fields(request)).get("comment", "")
    return await _autosave(
        request, db, actor, now, submission_id,
        lambda: scoring.save_comment(db, actor, submission_id, comment, now),
        key="comment", target="status-comment", posted={"overall_comment": comment, "anchor": "overall-comment"},
    )  # fmt: skip


@post(ENTRY + "/finalize", name="judging:finalize", **PAGE)
async def finalize_review(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    submission_id: FromPath[uuid.UUID],
) -> Response[Any]:
    """Finalize: back to the page with a confirmation; the missing criteria listed (422) when some are."""
    try:
        saved = await scoring.finalize(db, actor, submission_id, now)
    except ClientException as exc:
        if exc.status_code in (409, 422):
            errors = exc.errors if isinstance(exc, InvalidInput) else {"finalize": str(exc.detail)}
            return await _review_page(
                request, db, actor, now, submission_id, errors=errors, status_code=exc.status_code
            )
        if is_htmx(request):
            return _status(
                request, "finalize", "error", _refusal_text(exc, "finalize"), status_code=exc.status_code
            )
        raise
    if saved.finalized_now:
        flash(request, "success", _("Your review of %(team)s is finalized.", team=saved.team_name))
    else:
        flash(request, "info", _("This review was already finalized."))
    return redirect(request, entry_path(submission_id))


ROUTES: list[Any] = [
    my_rounds,
    show_queue,
    show_review,
    save_score,
    save_comment,
    finalize_review,
    *API_ROUTES,
]
