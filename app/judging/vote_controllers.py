"""The public vote page of a round: its entries, the person's one vote, and the tally when it may be seen."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.judging import votes
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.teams.schemas import parse_id
from app.web import flash, form_fields, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
BASE = "/challenges/{slug:str}/rounds/{round_id:uuid}/vote"


async def _page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    round_id: uuid.UUID,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    booth = await votes.vote_booth(db, actor, round_id, now, slug=slug)
    context = {"booth": booth, "challenge": booth.ctx.challenge, "round": booth.ctx.round, "error": error}
    return render(request, "judging/vote.html", context, status_code=status_code)


@get(BASE, name="votes:show", **PAGE)
async def show_vote(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    return await _page(request, db, actor, now, slug, round_id)


@post(BASE, name="votes:cast", **PAGE)
async def cast_vote(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    chosen = parse_id((await form_fields(request)).get("submission_id"))
    try:
        candidate = await votes.cast_vote(
            db, actor, round_id, chosen if isinstance(chosen, uuid.UUID) else None, now, slug=slug
        )
    except (Conflict, InvalidInput, PermissionDeniedException) as exc:
        message = " ".join(exc.errors.values()) if isinstance(exc, InvalidInput) else str(exc.detail)
        return await _page(
            request, db, actor, now, slug, round_id, error=message, status_code=exc.status_code
        )
    flash(request, "success", _("Your vote for %(team)s is recorded. Thank you!", team=candidate.team_name))
    return redirect(request, f"/challenges/{slug}/rounds/{round_id}/vote")


ROUTES = [show_vote, cast_vote]
