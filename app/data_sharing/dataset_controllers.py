"""Pages of datasets: the catalogue, registering a dataset, its page (details, stewards, agreement versions)
and the stewards' forms. A refused form comes back with its values and messages (422)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges.pages import PAGE, Failed, Form, failed_form, state_of, text, texts
from app.challenges.services import organizations_of
from app.data_sharing import agreements, dataset_files, datasets, offering_views, offerings
from app.data_sharing.audit_controllers import ROUTES as AUDIT_ROUTES
from app.data_sharing.dataset_api import ROUTES as API_ROUTES
from app.data_sharing.models import ACCESS_MODES, SENSITIVITIES
from app.data_sharing.offering_controllers import ROUTES as OFFERING_ROUTES
from app.platform.context import get_context
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.platform.markdown import render as markdown
from app.teams.submission_controllers import file_size
from app.teams.uploads import IncomingBody
from app.web import flash, redirect, render

Short = Annotated[str, Parameter(max_length=200)]
CREATE_FIELDS = ("organization", "agreement", *datasets.DETAIL_FIELDS)


def _helpers() -> dict[str, Any]:
    return {
        "markdown": markdown,
        "sensitivity_label": datasets.sensitivity_label,
        "access_mode_label": datasets.access_mode_label,
        "sensitivities": [(value, datasets.sensitivity_label(value)) for value in SENSITIVITIES],
        "access_modes": [(value, datasets.access_mode_label(value)) for value in ACCESS_MODES],
    }


@get("/datasets", name="datasets:catalogue", **PAGE)
async def show_catalogue(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    sensitivity: Short = "",
    q: Short = "",
) -> Response[str]:
    errors: dict[str, str] = {}
    try:
        entries = await datasets.catalogue(db, actor, sensitivity=sensitivity, query=q)
    except InvalidInput as exc:
        errors = exc.errors
        entries = await datasets.catalogue(db, actor, query=q)
    context = {
        "entries": entries,
        "values": {"sensitivity": sensitivity, "q": q},
        "errors": errors,
        **_helpers(),
    }
    return render(
        request, "data_sharing/catalogue.html", context, block="results", status_code=422 if errors else 200
    )


async def _new_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response[str]:
    context = {
        "values": values,
        "errors": errors,
        "organizations": await organizations_of(db, actor),
        **_helpers(),
    }
    status = 422 if errors else 200
    return render(
        request,
        "data_sharing/new.html",
        context,
        block="dataset_form" if errors else None,
        status_code=status,
    )


@get("/datasets/new", name="datasets:new", **PAGE)
async def new_dataset(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor]
) -> Response[str]:
    return await _new_page(
        request, db, actor, {"sensitivity": "sensitive", "access_mode": "files", "max_grant_days": "90"}, {}
    )


@post("/datasets", name="datasets:create", **PAGE)
async def create_dataset(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    data: Form,
) -> Response[Any]:
    values = texts(data, *CREATE_FIELDS)
    try:
        dataset = await datasets.create_dataset(db, actor, values)
    except InvalidInput as exc:
        return await _new_page(request, db, actor, values, exc.errors)
    flash(request, "success", _("The dataset is registered. You are its steward."))
    return redirect(request, f"/datasets/{dataset.slug}")


async def dataset_page_response(
    request: Request[Any, Any, Any], db: AsyncSession, actor: Actor, slug: str, failed: Failed | None = None
) -> Response[str]:
    page = await datasets.dataset_page(db, actor, slug)
    founded = await offering_views.founded_challenges(db, actor, page.dataset.id)
    context = {
        "page": page,
        "dataset": page.dataset,
        "founded": founded,
        "state": state_of(failed),
        **_helpers(),
    }
    return render(request, "data_sharing/show.html", context, status_code=failed.status if failed else 200)


@get("/datasets/{slug:str}", name="datasets:show", **PAGE)
async def show_dataset(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    return await dataset_page_response(request, db, actor, slug)


async def _edit_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response[str]:
    dataset, _relations = await datasets.load_dataset(db, actor, slug, "dataset:manage")
    current = {name: getattr(dataset, name) for name in datasets.DETAIL_FIELDS}
    context = {"dataset": dataset, "values": values or current, "errors": errors or {}, **_helpers()}
    return render(
        request,
        "data_sharing/edit.html",
        context,
        block="dataset_form" if errors else None,
        status_code=422 if errors else 200,
    )


@get("/datasets/{slug:str}/edit", name="datasets:edit", **PAGE)
async def edit_dataset(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    return await _edit_page(request, db, actor, slug)


@post("/datasets/{slug:str}/edit", name="datasets:update", **PAGE)
async def update_dataset(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, *datasets.DETAIL_FIELDS)
    try:
        await datasets.update_dataset(db, actor, slug, values)
    except InvalidInput as exc:
        return await _edit_page(request, db, actor, slug, values, exc.errors)
    flash(request, "success", _("The dataset's details are saved."))
    return redirect(request, f"/datasets/{slug}")


@post("/datasets/{slug:str}/stewards", name="datasets:add_steward", **PAGE)
async def add_steward(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    raw = text(data, "user")
    try:
        user_id = uuid.UUID(raw) if raw else None
    except ValueError:
        user_id = None
    try:
        member = await agreements.add_steward(db, actor, slug, user_id)
    except InvalidInput as exc:
        return await dataset_page_response(
            request, db, actor, slug, failed_form("steward", {"user": raw}, exc)
        )
    flash(request, "success", _("%(name)s is now a steward of this dataset.", name=member.name))
    return redirect(request, f"/datasets/{slug}#stewards")


@post("/datasets/{slug:str}/stewards/{user_id:uuid}/remove", name="datasets:remove_steward", **PAGE)
async def remove_steward(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    user_id: FromPath[uuid.UUID],
) -> Response[Any]:
    try:
        user = await agreements.remove_steward(db, actor, slug, user_id)
    except Conflict as exc:
        return await dataset_page_response(request, db, actor, slug, failed_form("steward", {}, exc))
    flash(request, "success", _("%(name)s is no longer a steward of this dataset.", name=user.name))
    if user.id == actor.id:
        return redirect(request, f"/datasets/{slug}")
    return redirect(request, f"/datasets/{slug}#stewards")


@post("/datasets/{slug:str}/agreement", name="datasets:new_agreement", **PAGE)
async def new_agreement(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, "agreement")
    try:
        version = await agreements.publish_agreement(db, actor, slug, values["agreement"])
    except InvalidInput as exc:
        return await dataset_page_response(request, db, actor, slug, failed_form("agreement", values, exc))
    flash(
        request,
        "success",
        _(
            "Version %(num)s of the agreement is in force. Every grantee must accept it before their next access.",
            num=version.version,
        ),
    )
    return redirect(request, f"/datasets/{slug}#agreement")


@post("/datasets/{slug:str}/ask", name="offerings:ask_from_dataset", **PAGE)
async def ask_for_dataset(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    """A founder asks for the dataset for one of their challenges, from the dataset's page."""
    values = texts(data, "challenge", "from_round")
    try:
        if not values["challenge"]:
            raise InvalidInput({"challenge": _("Choose one of your challenges.")})
        scope = await offerings.ask(db, actor, slug, values["challenge"], values["from_round"], now)
    except (InvalidInput, Conflict) as exc:
        return await dataset_page_response(request, db, actor, slug, failed_form("ask", values, exc))
    flash(
        request,
        "success",
        _("You asked for %(dataset)s. Its stewards were told.", dataset=scope.dataset.title),
    )
    return redirect(request, f"/challenges/{scope.challenge.slug}/data")


# --- files ---------------------------------------------------------------------------------------------


async def _files_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    problem: str = "",
    status: int = 200,
) -> Response[str]:
    dataset, files = await dataset_files.files_of(db, actor, slug)
    context = {
        "dataset": dataset,
        "files": files,
        "problem": problem,
        "file_size": file_size,
        "max_mb": dataset_files.MAX_FILE_MB,
    }
    return render(request, "data_sharing/files.html", context, status_code=status)


@get("/datasets/{slug:str}/files", name="datasets:files", **PAGE)
async def show_files(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    return await _files_page(request, db, actor, slug)


@post("/datasets/{slug:str}/files", name="datasets:upload", request_max_body_size=None, **PAGE)
async def upload_file(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[Any]:
    """Upload a file (multipart; the CSRF token in the header or the `_csrf` query parameter)."""
    body = IncomingBody.of(request.headers, request.stream())
    try:
        row = await dataset_files.upload(db, actor, get_context(request.scope).settings, slug, body)
    except ClientException as exc:
        if exc.status_code in (401, 403, 404):
            raise
        await db.rollback()
        return await _files_page(request, db, actor, slug, str(exc.detail), exc.status_code)
    flash(request, "success", _("%(name)s is uploaded.", name=row.name))
    return redirect(request, f"/datasets/{slug}/files")


@post("/datasets/{slug:str}/files/{file_id:uuid}/remove", name="datasets:remove_file", **PAGE)
async def remove_file(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    now: NamedDependency[dt.datetime],
    slug: FromPath[str],
    file_id: FromPath[uuid.UUID],
) -> Response[Any]:
    row = await dataset_files.remove(db, actor, slug, file_id, now)
    flash(request, "success", _("%(name)s is removed from the dataset.", name=row.name))
    return redirect(request, f"/datasets/{slug}/files")


ROUTES: list[Any] = [
    *AUDIT_ROUTES,
    *OFFERING_ROUTES,
    *API_ROUTES,
    ask_for_dataset,
    show_files,
    upload_file,
    remove_file,
    show_catalogue,
    new_dataset,
    create_dataset,
    show_dataset,
    edit_dataset,
    update_dataset,
    add_steward,
    remove_steward,
    new_agreement,
]
