"""Pages of offerings: a challenge's data (`/challenges/{slug}/data`), a dataset's offerings for its stewards
(`/datasets/{slug}/offerings`), and the two sides' actions on one offering. A refused form comes back in
the page it was posted from, with its values and messages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.pages import PAGE, Failed, Form, failed_form, state_of, text, texts
from app.data_sharing import datasets, offering_views, offerings
from app.data_sharing.models import FIVE_SAFES
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.markdown import render as markdown
from app.web import flash, redirect, render


def _helpers() -> dict[str, Any]:
    return {
        "markdown": markdown,
        "sensitivity_label": datasets.sensitivity_label,
        "access_mode_label": datasets.access_mode_label,
        "safes": [(safe, offerings.safe_label(safe), _(offerings.SAFE_HINTS[safe])) for safe in FIVE_SAFES],
        "is_available": offerings.is_available,
    }


async def challenge_data_page(
    request: Request[Any, Any, Any], db: AsyncSession, actor: Actor, slug: str, failed: Failed | None = None
) -> Response[str]:
    data = await offering_views.challenge_data(db, actor, slug)
    context = {"data": data, "challenge": data.challenge, "state": state_of(failed), **_helpers()}
    return render(
        request, "data_sharing/challenge_data.html", context, status_code=failed.status if failed else 200
    )


async def dataset_offerings_page(
    request: Request[Any, Any, Any], db: AsyncSession, actor: Actor, slug: str, failed: Failed | None = None
) -> Response[str]:
    page = await offering_views.dataset_offerings(db, actor, slug)
    context = {"page": page, "dataset": page.dataset, "state": state_of(failed), **_helpers()}
    return render(
        request, "data_sharing/offerings.html", context, status_code=failed.status if failed else 200
    )


@get("/challenges/{slug:str}/data", name="offerings:challenge", **PAGE)
async def show_challenge_data(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    return await challenge_data_page(request, db, actor, slug)


@post("/challenges/{slug:str}/data/ask", name="offerings:ask_from_challenge", **PAGE)
async def ask_from_challenge(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, "dataset", "from_round")
    try:
        scope = await offerings.ask(db, actor, values["dataset"], slug, values["from_round"], now)
    except (InvalidInput, Conflict) as exc:
        return await challenge_data_page(request, db, actor, slug, failed_form("ask", values, exc))
    flash(
        request,
        "success",
        _("You asked for %(dataset)s. Its stewards were told.", dataset=scope.dataset.title),
    )
    return redirect(request, f"/challenges/{slug}/data")


@get("/datasets/{slug:str}/offerings", name="offerings:dataset", **PAGE)
async def show_dataset_offerings(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    return await dataset_offerings_page(request, db, actor, slug)


@post("/datasets/{slug:str}/offerings", name="offerings:offer", **PAGE)
async def offer(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, "challenge", "from_round", *FIVE_SAFES)
    try:
        scope = await offerings.offer(db, actor, slug, values["challenge"], values["from_round"], values, now)
    except (InvalidInput, Conflict) as exc:
        return await dataset_offerings_page(request, db, actor, slug, failed_form("offer", values, exc))
    flash(
        request,
        "success",
        _(
            "%(dataset)s is offered to %(challenge)s. Its founders were told.",
            dataset=scope.dataset.title,
            challenge=scope.challenge.title,
        ),
    )
    return redirect(request, f"/datasets/{slug}/offerings")


async def _refused(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    offering_id: uuid.UUID,
    back: str,
    failed: Failed,
) -> Response[str]:
    await db.rollback()
    scope = await offerings.load(db, actor, offering_id)
    if back == "dataset" and scope.is_steward:
        return await dataset_offerings_page(request, db, actor, scope.dataset.slug, failed)
    return await challenge_data_page(request, db, actor, scope.challenge.slug, failed)


def _back(request: Request[Any, Any, Any], scope: offerings.Scope, back: str, message: str) -> Response[Any]:
    flash(request, "success", message)
    if back == "dataset" and scope.is_steward:
        return redirect(request, f"/datasets/{scope.dataset.slug}/offerings#offering-{scope.offering.id}")
    return redirect(request, f"/challenges/{scope.challenge.slug}/data")


@post("/offerings/{offering_id:uuid}/agree", name="offerings:agree", **PAGE)
async def agree(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    offering_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = texts(data, *FIVE_SAFES)
    given = {safe: value for safe, value in values.items() if safe in data}
    back = text(data, "back")
    try:
        scope = await offerings.agree(db, actor, offering_id, given, now)
    except (InvalidInput, Conflict) as exc:
        return await _refused(
            request, db, actor, offering_id, back, failed_form("offering", values, exc, key=offering_id)
        )
    message = _(
        "%(dataset)s is now available to %(challenge)s.",
        dataset=scope.dataset.title,
        challenge=scope.challenge.title,
    )
    if not offerings.is_available(scope.offering):
        message = _("You agreed. The other side is asked to agree too.")
    return _back(request, scope, back, message)


@post("/offerings/{offering_id:uuid}/five-safes", name="offerings:five_safes", **PAGE)
async def save_five_safes(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    offering_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = texts(data, *FIVE_SAFES)
    try:
        scope = await offerings.save_five_safes(db, actor, offering_id, values)
    except InvalidInput as exc:
        return await _refused(
            request, db, actor, offering_id, "dataset", failed_form("offering", values, exc, key=offering_id)
        )
    return _back(request, scope, "dataset", _("The Five Safes are saved."))


@post("/offerings/{offering_id:uuid}/withdraw", name="offerings:withdraw", **PAGE)
async def withdraw(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    offering_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    back = text(data, "back")
    try:
        scope = await offerings.withdraw(db, actor, offering_id, now)
    except Conflict as exc:
        return await _refused(
            request, db, actor, offering_id, back, failed_form("offering", {}, exc, key=offering_id)
        )
    return _back(request, scope, back, _("The offering is withdrawn. The other side was told."))


ROUTES: list[Any] = [
    show_challenge_data,
    ask_from_challenge,
    show_dataset_offerings,
    offer,
    agree,
    save_five_safes,
    withdraw,
]
