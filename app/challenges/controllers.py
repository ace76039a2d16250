"""Pages of one challenge: creating a draft, its page (and preview), editing, publishing, extending a
deadline, announcements, its calendar file, and the founders' dashboard.

Editing happens on one page of several forms; a refused form comes back with its values and
messages (422) while the others show the saved state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app import authz
from app.accounts.sessions import Actor
from app.challenges import announcements, dashboard, ical, rounds, services
from app.challenges.api import ROUTES as API_ROUTES
from app.challenges.audit_controllers import ROUTES as AUDIT_ROUTES
from app.challenges.completeness import Incomplete
from app.challenges.editor_controllers import ROUTES as EDITOR_ROUTES
from app.challenges.editor_controllers import editor_page
from app.challenges.inputs import DETAIL_FIELDS, TIMELINE_FIELDS
from app.challenges.pages import (
    PAGE,
    PUBLIC_PAGE,
    Failed,
    Form,
    back_to,
    choice_lists,
    failed_form,
    helpers,
    many,
    text,
    texts,
)
from app.challenges.program_controllers import ROUTES as PROGRAM_ROUTES
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.web import flash, redirect, render

LIST_FIELDS = ("allowed_kinds", "allowed_countries")


# --- creating a draft ---------------------------------------------------------------------------------


async def _new_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response[str]:
    context = {
        "values": values,
        "errors": errors,
        "organizations": await services.organizations_of(db, actor),
        "programs": await services.program_choices(db),
    }
    block = "challenge_form" if errors else None
    return render(request, "challenges/new.html", context, block=block, status_code=status_code)


@get("/challenges/new", name="challenges:new", **PAGE)
async def new_challenge(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor]
) -> Response[str]:
    return await _new_page(request, db, actor, {}, {})


@post("/challenges", name="challenges:create", **PAGE)
async def create_challenge(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    data: Form,
) -> Response[Any]:
    values = texts(data, "title", "summary", "program")
    chosen = many(data, "organizations")
    try:
        challenge = await services.create_challenge(db, actor, values, chosen)
    except InvalidInput as exc:
        return await _new_page(request, db, actor, {**values, "organizations": chosen}, exc.errors, 422)
    flash(request, "success", _("Your draft has been created. Complete it, then publish it."))
    return redirect(request, f"/challenges/{challenge.slug}/edit")


# --- the challenge's page --------------------------------------------------------------------------------


async def _challenge_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor | None,
    slug: str,
    now: dt.datetime,
    failed: Failed | None = None,
    status_code: int = 200,
) -> Response[str]:
    page = await services.challenge_page(db, actor, slug, now)
    context = {
        "page": page,
        "my_team_id": page.my_team_id,
        "challenge": page.challenge,
        "now": now,
        "tz": page.challenge.timezone,
        "founder": authz.can(actor, "challenge:edit", page.relations),
        "may_review": authz.can(actor, "challenge:view_registrations", page.relations),
        "registered": "registrant" in page.relations,
        "announce": failed or Failed("announce", {}),
        "vote_rounds": page.vote_round_ids,
        **helpers(),
    }
    return render(
        request,
        "challenges/show.html",
        context,
        block="announcement_form" if failed else None,
        status_code=status_code,
        private=page.challenge.published_at is None or page.challenge.visibility != "public",
    )


@get("/challenges/{slug:str}", name="challenges:show", **PUBLIC_PAGE)
async def show_challenge(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    slug: FromPath[str],
    now: NamedDependency[dt.datetime],
) -> Response[str]:
    """Public for a published public challenge; its founders see a draft here as a preview."""
    return await _challenge_page(request, db, actor, slug, now)


@get("/challenges/{slug:str}/calendar.ics", name="challenges:calendar", **PUBLIC_PAGE)
async def challenge_calendar(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    slug: FromPath[str],
    now: NamedDependency[dt.datetime],
) -> Response[str]:
    page = await services.challenge_page(db, actor, slug, now)
    body = ical.calendar(
        page.challenge, page.rounds, base_url=get_context(request.scope).settings.base_url, now=now
    )
    listed = "listed" in page.relations
    headers = {
        "content-disposition": f'attachment; filename="{page.challenge.slug}.ics"',
        "cache-control": "public, max-age=300" if listed and actor is None else "no-store",
    }
    return Response(body, media_type="text/calendar", headers=headers)


@post("/challenges/{slug:str}/announcements", name="challenges:announce", **PAGE)
async def announce(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
    now: NamedDependency[dt.datetime],
) -> Response[Any]:
    values = texts(data, "title", "body")
    try:
        await announcements.post_announcement(db, actor, slug, values, now)
    except InvalidInput as exc:
        failed = Failed("announce", values, exc.errors)
        return await _challenge_page(request, db, actor, slug, now, failed, 422)
    flash(
        request,
        "success",
        _("Your announcement has been published and everyone registered has been notified."),
    )
    return back_to(request, f"/challenges/{slug}", "announcements")


# --- editing ------------------------------------------------------------------------------------------------


@get("/challenges/{slug:str}/edit", name="challenges:edit", **PAGE)
async def edit_challenge(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    return await editor_page(request, db, actor, slug)


def _details(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = texts(
        data, *(name for name in DETAIL_FIELDS if name not in LIST_FIELDS), "program"
    )
    values.update({name: many(data, name) for name in LIST_FIELDS})
    if "slug" in data:
        values["slug"] = text(data, "slug")
    return values


@post("/challenges/{slug:str}/edit", name="challenges:update", **PAGE)
async def update_challenge(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = _details(data)
    try:
        challenge = await services.update_challenge(db, actor, slug, values)
    except (InvalidInput, Incomplete) as exc:
        return await editor_page(request, db, actor, slug, failed_form("details", values, exc))
    flash(request, "success", _("The details have been saved."))
    return redirect(request, f"/challenges/{challenge.slug}/edit")


@post("/challenges/{slug:str}/timeline", name="challenges:update_timeline", **PAGE)
async def update_timeline(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    # A published challenge's registration close is not in the form: it moves only by extension.
    values = {name: text(data, name) for name in TIMELINE_FIELDS if name in data}
    try:
        await services.update_challenge(db, actor, slug, values)
    except (InvalidInput, Incomplete) as exc:
        return await editor_page(request, db, actor, slug, failed_form("timeline", values, exc))
    flash(request, "success", _("The timeline has been saved."))
    return back_to(request, f"/challenges/{slug}/edit", "timeline")


@post("/challenges/{slug:str}/organizers", name="challenges:add_organizer", **PAGE)
async def add_organizer(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, "organization")
    try:
        organization = await services.add_organizer(db, actor, slug, values["organization"])
    except InvalidInput as exc:
        return await editor_page(request, db, actor, slug, failed_form("organizer", values, exc))
    flash(request, "success", _("%(name)s now co-organizes this challenge.", name=organization.name))
    return back_to(request, f"/challenges/{slug}/edit", "organizers")


@post("/challenges/{slug:str}/publish", name="challenges:publish", **PAGE)
async def publish_challenge(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    now: NamedDependency[dt.datetime],
) -> Response[Any]:
    try:
        await services.publish_challenge(db, actor, slug, now)
    except (Incomplete, Conflict) as exc:
        return await editor_page(request, db, actor, slug, failed_form("publish", {}, exc))
    flash(request, "success", _("The challenge is published."))
    return redirect(request, f"/challenges/{slug}")


@post("/challenges/{slug:str}/extend", name="challenges:extend", **PAGE)
async def extend_deadline(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
    now: NamedDependency[dt.datetime],
) -> Response[Any]:
    values = texts(data, "target", "until")
    try:
        await rounds.extend_deadline(db, actor, slug, values["target"], values["until"], now)
    except (InvalidInput, Incomplete, Conflict) as exc:
        return await editor_page(request, db, actor, slug, failed_form("extend", values, exc))
    flash(request, "success", _("The deadline has been extended and everyone registered has been notified."))
    return back_to(request, f"/challenges/{slug}/edit", "extend")


# --- the founders' dashboard ------------------------------------------------------------------------------


@get("/founder", name="founder:dashboard", **PAGE)
async def founder_dashboard(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
) -> Response[str]:
    groups = await dashboard.founder_dashboard(db, actor, now)
    return render(
        request, "challenges/dashboard.html", {"groups": groups, "now": now, **helpers(), **choice_lists()}
    )


PAGE_ROUTES = [
    new_challenge,
    create_challenge,
    show_challenge,
    challenge_calendar,
    announce,
    edit_challenge,
    update_challenge,
    update_timeline,
    add_organizer,
    publish_challenge,
    extend_deadline,
    founder_dashboard,
]
ROUTES = [*PAGE_ROUTES, *PROGRAM_ROUTES, *EDITOR_ROUTES, *API_ROUTES, *AUDIT_ROUTES]
