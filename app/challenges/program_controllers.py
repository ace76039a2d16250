"""Pages of programs: the list, one program with its challenges, creating and editing."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges import programs
from app.challenges.pages import PAGE, PUBLIC_PAGE, Form, choice_lists, helpers, many, texts
from app.challenges.services import organizations_of
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _
from app.platform.pagination import MAX_PAGE
from app.web import flash, redirect, render

PageNumber = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]


def _values(program: Any) -> dict[str, Any]:
    return {name: getattr(program, name) or "" for name in programs.PROGRAM_FIELDS}


@get("/programs", name="programs:list", **PUBLIC_PAGE)
async def list_programs(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    page: PageNumber = 1,
) -> Response[str]:
    result = await programs.list_programs(db, actor, page)
    return render(request, "programs/list.html", {"page": result, **helpers()}, private=False)


@get("/programs/new", name="programs:new", **PAGE)
async def new_program(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], actor: NamedDependency[Actor]
) -> Response[str]:
    context = {
        "values": {},
        "errors": {},
        "organizations": await organizations_of(db, actor),
        **choice_lists(),
    }
    return render(request, "programs/new.html", context)


@post("/programs", name="programs:create", **PAGE)
async def create_program(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    data: Form,
) -> Response[Any]:
    values = texts(data, *programs.PROGRAM_FIELDS)
    chosen = many(data, "organizations")
    try:
        program = await programs.create_program(db, actor, values, chosen)
    except InvalidInput as exc:
        context = {
            "values": {**values, "organizations": chosen},
            "errors": exc.errors,
            "organizations": await organizations_of(db, actor),
            **choice_lists(),
        }
        return render(request, "programs/new.html", context, block="program_form", status_code=422)
    flash(request, "success", _("The program “%(title)s” has been created.", title=program.title))
    return redirect(request, f"/programs/{program.slug}")


@get("/programs/{slug:str}", name="programs:show", **PUBLIC_PAGE)
async def show_program(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor | None],
    slug: FromPath[str],
) -> Response[str]:
    page = await programs.program_page(db, actor, slug)
    return render(
        request, "programs/show.html", {"page": page, "program": page.program, **helpers()}, private=False
    )


@get("/programs/{slug:str}/edit", name="programs:edit", **PAGE)
async def edit_program(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
) -> Response[str]:
    page, addable = await programs.program_editor(db, actor, slug)
    context = {
        "page": page,
        "program": page.program,
        "values": _values(page.program),
        "errors": {},
        "addable": addable,
    }
    return render(request, "programs/edit.html", {**context, **choice_lists(), **helpers()})


@post("/programs/{slug:str}/edit", name="programs:update", **PAGE)
async def update_program(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, *programs.PROGRAM_FIELDS)
    added = many(data, "organizations")
    try:
        program = await programs.update_program(db, actor, slug, values, added)
    except InvalidInput as exc:
        page, addable = await programs.program_editor(db, actor, slug)
        context = {
            "page": page,
            "program": page.program,
            "values": {**values, "organizations": added},
            "errors": exc.errors,
            "addable": addable,
        }
        return render(
            request,
            "programs/edit.html",
            {**context, **choice_lists(), **helpers()},
            block="program_form",
            status_code=422,
        )
    flash(request, "success", _("The program has been saved."))
    return redirect(request, f"/programs/{program.slug}")


ROUTES = [list_programs, new_program, create_program, show_program, edit_program, update_program]
