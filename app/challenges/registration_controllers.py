"""Pages of registration: registering, one's own registration, the founders' review and the invitation link."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges import invitation_links, registration_review, registrations
from app.challenges.models import REGISTRATION_STATUSES
from app.challenges.registration_api import ROUTES as API_ROUTES
from app.challenges.registration_schemas import status_label
from app.organizations.choices import country_name, kind_label
from app.platform.context import get_context
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.markdown import render as markdown
from app.platform.pagination import MAX_PAGE
from app.web import flash, form_fields, is_htmx, redirect, render

PAGE: dict[str, Any] = {"include_in_schema": False}
PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
StatusFilter = Annotated[str, Parameter(pattern=r"^(|pending|approved|rejected|withdrawn)$")]
ANSWER_PREFIX = "answer."


def _helpers() -> dict[str, Any]:
    return {
        "kind_label": kind_label,
        "country_name": country_name,
        "status_label": status_label,
        "markdown": markdown,
    }


# --- registering ----------------------------------------------------------------------------------------


async def _register_page(
    request: Request[Any, Any, Any],
    form: registrations.RegistrationForm,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    values = values or {}
    context = {
        "form": form,
        "challenge": form.visible.challenge,
        "values": values,
        "answers": _answers(values),
        "errors": errors or {},
        "refusal": form.refusal.detail if form.refusal else None,
        **_helpers(),
    }
    if form.refusal is not None and status_code == 200:
        status_code = form.refusal.status_code
    return render(request, "challenges/registration/register.html", context, status_code=status_code)


def _answers(fields: dict[str, str]) -> dict[str, str]:
    return {
        key.removeprefix(ANSWER_PREFIX): value
        for key, value in fields.items()
        if key.startswith(ANSWER_PREFIX)
    }


@get("/challenges/{slug:str}/register", name="registrations:new", **PAGE)
async def new_registration(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    form = await registrations.registration_form(db, actor, slug, now)
    if form.registration is not None and form.registration.status in registrations.ACTIVE:
        return redirect(request, f"/challenges/{slug}/registration")
    return await _register_page(request, form)


@post("/challenges/{slug:str}/register", name="registrations:create", **PAGE)
async def create_registration(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        registration = await registrations.register(
            db,
            actor,
            slug,
            now,
            organization_id=fields.get("organization"),
            accepted_version=fields.get("accept_rules_version"),
            answers=_answers(fields),
        )
    except InvalidInput as exc:
        form = await registrations.registration_form(db, actor, slug, now)
        return await _register_page(request, form, values=fields, errors=exc.errors, status_code=422)
    if registration.status == "approved":
        flash(request, "success", _("You are registered. Welcome to the challenge!"))
    else:
        flash(
            request,
            "success",
            _("Your registration is sent. The founders will review it; you will be notified."),
        )
    return redirect(request, f"/challenges/{slug}/registration")


# --- one's own registration -------------------------------------------------------------------------------


async def _own_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    now: dt.datetime,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    own = await registrations.own_registration(db, actor, slug, now)
    context = {
        "own": own,
        "challenge": own.visible.challenge,
        "registration": own.registration,
        "errors": errors or {},
        **_helpers(),
    }
    return render(request, "challenges/registration/mine.html", context, status_code=status_code)


@get("/challenges/{slug:str}/registration", name="registrations:mine", **PAGE)
async def show_own_registration(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    return await _own_page(request, db, actor, slug, now)


@post("/challenges/{slug:str}/registration/withdraw", name="registrations:withdraw", **PAGE)
async def withdraw_registration(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    await registrations.withdraw(db, actor, slug, now)
    flash(request, "success", _("Your registration is withdrawn."))
    return redirect(request, f"/challenges/{slug}/registration")


@post("/challenges/{slug:str}/registration/rules", name="registrations:accept_rules", **PAGE)
async def accept_new_rules(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    fields = await form_fields(request)
    try:
        await registrations.accept_rules(db, actor, slug, fields.get("accept_rules_version"), now)
    except InvalidInput as exc:
        return await _own_page(request, db, actor, slug, now, errors=exc.errors, status_code=422)
    flash(request, "success", _("You have accepted the current rules."))
    return redirect(request, f"/challenges/{slug}/registration")


# --- the founders' review ---------------------------------------------------------------------------------


async def _review_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    *,
    status: str = "",
    page: int = 1,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    error_for: str = "",
    status_code: int = 200,
) -> Response[Any]:
    review = await registration_review.review_registrations(db, actor, slug, status=status, page=page)
    context = {
        "review": review,
        "challenge": review.visible.challenge,
        "relations": review.visible.relations,
        "status": status,
        "params": urlencode({"status": status}) if status else "",
        "notice": notice,
        "errors": errors or {},
        "error_for": error_for,
        **_helpers(),
    }
    return render(
        request,
        "challenges/registration/review.html",
        context,
        block="registration_list",
        status_code=status_code,
    )


@get("/challenges/{slug:str}/registrations", name="registrations:review", **PAGE)
async def review_registrations(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    status: StatusFilter = "",
    page: PageNumber = 1,
) -> Response[Any]:
    return await _review_page(request, db, actor, slug, status=status, page=page)


async def _decide(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    now: dt.datetime,
    slug: str,
    items: list[tuple[Any, Any, Any]],
    error_for: str,
    status: str,
) -> Response[Any]:
    status = status if status in REGISTRATION_STATUSES else ""
    try:
        outcomes = await registration_review.decide_registrations(db, actor, slug, items, now)
    except InvalidInput as exc:
        return await _review_page(
            request, db, actor, slug, status=status, errors=exc.errors, error_for=error_for, status_code=422
        )
    notice = registration_review.summary(outcomes)
    if is_htmx(request):
        return await _review_page(request, db, actor, slug, status=status, notice=notice)
    flash(request, "success", notice)
    query = f"?{urlencode({'status': status})}" if status else ""
    return redirect(request, f"/challenges/{slug}/registrations{query}")


@post("/challenges/{slug:str}/registrations/decisions", name="registrations:decide_many", **PAGE)
async def decide_many(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
) -> Response[Any]:
    form = await request.form()
    decision, reason = form.get("decision"), form.get("reason", "")
    items = [(value, decision, reason) for key, value in form.multi_items() if key == "ids"]
    return await _decide(request, db, actor, now, slug, items, "bulk", form.get("status", ""))


@post(
    "/challenges/{slug:str}/registrations/{registration_id:uuid}/decision",
    name="registrations:decide_one",
    **PAGE,
)
async def decide_one(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    registration_id: FromPath[uuid.UUID],
) -> Response[Any]:
    fields = await form_fields(request)
    items = [(registration_id, fields.get("decision"), fields.get("reason", ""))]
    return await _decide(request, db, actor, now, slug, items, str(registration_id), fields.get("status", ""))


# --- the invitation link ----------------------------------------------------------------------------------


@get("/challenges/{slug:str}/invitation", name="registrations:invitation_link", **PAGE)
async def show_invitation_link(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[Any]:
    visible = await invitation_links.invitation_link(db, actor, slug)
    token = visible.challenge.invitation_token
    settings = get_context(request.scope).settings
    context = {
        "challenge": visible.challenge,
        "link": settings.base_url + invitation_links.link_path(token) if token else None,
    }
    return render(request, "challenges/registration/invitation.html", context)


@post("/challenges/{slug:str}/invitation", name="registrations:rotate_invitation_link", **PAGE)
async def rotate_invitation_link(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[Any]:
    await invitation_links.rotate_invitation_link(db, actor, slug)
    flash(request, "success", _("A new invitation link is ready. Any previous link no longer works."))
    return redirect(request, f"/challenges/{slug}/invitation")


@post("/challenges/{slug:str}/invitation/disable", name="registrations:disable_invitation_link", **PAGE)
async def disable_invitation_link(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[Any]:
    await invitation_links.disable_invitation_link(db, actor, slug)
    flash(
        request, "success", _("The invitation link is turned off. People who joined through it stay invited.")
    )
    return redirect(request, f"/challenges/{slug}/invitation")


@get("/challenges/join/{token:str}", name="registrations:join_form", **PAGE)
async def join_form(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    token: FromPath[str],
) -> Response[Any]:
    """Signed out, the guard sends people to sign in and back here (login?next=)."""
    target = await invitation_links.join_target(db, actor, token)
    if target.already_visible:
        return redirect(request, f"/challenges/{target.challenge.slug}")
    return render(
        request, "challenges/registration/join.html", {"challenge": target.challenge, "token": token}
    )


@post("/challenges/join/{token:str}", name="registrations:join", **PAGE)
async def join_challenge(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    token: FromPath[str],
) -> Response[Any]:
    challenge = await invitation_links.join(db, actor, token)
    flash(request, "success", _("You are invited to %(title)s.", title=challenge.title))
    return redirect(request, f"/challenges/{challenge.slug}")


PAGE_ROUTES = [
    new_registration,
    create_registration,
    show_own_registration,
    withdraw_registration,
    accept_new_rules,
    review_registrations,
    decide_many,
    decide_one,
    show_invitation_link,
    rotate_invitation_link,
    disable_invitation_link,
    join_form,
    join_challenge,
]
ROUTES: list[object] = [*PAGE_ROUTES, *API_ROUTES]
