"""Founders' editing pages: the challenge's editor, its prizes, registration questions and rounds, and
each round's submission form. Each refused form comes back within its section (422)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.sessions import Actor
from app.challenges import forms, prizes, rounds, services
from app.challenges.completeness import Incomplete
from app.challenges.inputs import FIELD_FIELDS, ROUND_FIELDS, TIMELINE_FIELDS, local_input
from app.challenges.pages import (
    PAGE,
    Failed,
    Form,
    back_to,
    choice_lists,
    failed_form,
    helpers,
    many,
    state_of,
    text,
    texts,
)
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _
from app.web import flash, redirect, render

# Which section of the page (its block and element id) holds each form.
SECTIONS = {
    "details": "details",
    "timeline": "timeline",
    "organizer": "organizers",
    "prize": "prizes",
    "question": "questions",
    "round": "rounds",
    "extend": "extend",
    "publish": "publish",
    "round_details": "round_details",
    "field": "fields",
}
REFUSALS = (InvalidInput, Incomplete, Conflict)


def _detail_values(challenge: Any, programs: list[Any]) -> dict[str, Any]:
    program = next((p.slug for p in programs if p.id == challenge.program_id), "")
    return {
        "title": challenge.title,
        "slug": challenge.slug,
        "summary": challenge.summary,
        "description": challenge.description,
        "rules": challenge.rules,
        "program": program,
        "contact_email": challenge.contact_email or "",
        "visibility": challenge.visibility,
        "timezone": challenge.timezone,
        "allowed_kinds": challenge.allowed_kinds,
        "allowed_countries": challenge.allowed_countries,
        "team_min": challenge.team_min,
        "team_max": challenge.team_max,
        "approval_mode": challenge.approval_mode,
        "approval_domains": "\n".join(challenge.approval_domains),
    }


async def editor_page(
    request: Request[Any, Any, Any], db: AsyncSession, actor: Actor, slug: str, failed: Failed | None = None
) -> Response[str]:
    """The challenge's editing page; with `failed`, that form shows its refused values and messages."""
    editor = await services.challenge_editor(db, actor, slug)
    challenge = editor.challenge
    context = {
        "editor": editor,
        "challenge": challenge,
        "state": state_of(failed),
        "tz": challenge.timezone,
        "details": _detail_values(challenge, editor.programs),
        "timeline": {
            name: local_input(getattr(challenge, name), challenge.timezone) for name in TIMELINE_FIELDS
        },
        **helpers(),
        **choice_lists(challenge.timezone),
    }
    block = SECTIONS[failed.form] if failed else None
    return render(
        request, "challenges/edit.html", context, block=block, status_code=failed.status if failed else 200
    )


async def round_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    failed: Failed | None = None,
) -> Response[str]:
    editor = await forms.round_editor(db, actor, slug, round_id)
    round_ = editor.round
    tz = editor.challenge.timezone
    context = {
        "editor": editor,
        "challenge": editor.challenge,
        "round": round_,
        "tz": tz,
        "state": state_of(failed),
        "round_values": {
            "name": round_.name,
            "description": round_.description,
            "opens_at": local_input(round_.opens_at, tz),
            "deadline": local_input(round_.deadline, tz),
            "rubric_planned": round_.rubric_planned,
        },
        **helpers(),
        **choice_lists(tz),
    }
    block = SECTIONS[failed.form] if failed else None
    return render(
        request, "challenges/round.html", context, block=block, status_code=failed.status if failed else 200
    )


def _back(request: Request[Any, Any, Any], slug: str, section: str) -> Response[Any]:
    return back_to(request, f"/challenges/{slug}/edit", section)


# --- prizes -------------------------------------------------------------------------------------------------

PRIZE_FIELDS = ("title", "description", "reward")


@post("/challenges/{slug:str}/prizes", name="challenges:add_prize", **PAGE)
async def add_prize(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, *PRIZE_FIELDS)
    try:
        await prizes.add_prize(db, actor, slug, values)
    except InvalidInput as exc:
        return await editor_page(request, db, actor, slug, failed_form("prize", values, exc, key="new"))
    flash(request, "success", _("The prize has been added."))
    return _back(request, slug, "prizes")


@post("/challenges/{slug:str}/prizes/{prize_id:uuid}", name="challenges:update_prize", **PAGE)
async def update_prize(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    prize_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = texts(data, *PRIZE_FIELDS)
    try:
        await prizes.update_prize(db, actor, slug, prize_id, values)
    except InvalidInput as exc:
        return await editor_page(request, db, actor, slug, failed_form("prize", values, exc, key=prize_id))
    flash(request, "success", _("The prize has been saved."))
    return _back(request, slug, "prizes")


@post("/challenges/{slug:str}/prizes/{prize_id:uuid}/remove", name="challenges:remove_prize", **PAGE)
async def remove_prize(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    prize_id: FromPath[uuid.UUID],
) -> Response[Any]:
    await prizes.remove_prize(db, actor, slug, prize_id)
    flash(request, "success", _("The prize has been removed."))
    return _back(request, slug, "prizes")


@post("/challenges/{slug:str}/prizes/{prize_id:uuid}/move", name="challenges:move_prize", **PAGE)
async def move_prize(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    prize_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    await prizes.move_prize(db, actor, slug, prize_id, text(data, "direction"))
    return _back(request, slug, "prizes")


# --- registration questions ------------------------------------------------------------------------------------

QUESTION_FIELDS = ("label", "required")


@post("/challenges/{slug:str}/questions", name="challenges:add_question", **PAGE)
async def add_question(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, *QUESTION_FIELDS)
    try:
        await prizes.add_question(db, actor, slug, values)
    except InvalidInput as exc:
        return await editor_page(request, db, actor, slug, failed_form("question", values, exc, key="new"))
    flash(request, "success", _("The question has been added."))
    return _back(request, slug, "questions")


@post("/challenges/{slug:str}/questions/{key:str}", name="challenges:update_question", **PAGE)
async def update_question(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    key: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, *QUESTION_FIELDS)
    try:
        await prizes.update_question(db, actor, slug, key, values)
    except InvalidInput as exc:
        return await editor_page(request, db, actor, slug, failed_form("question", values, exc, key=key))
    flash(request, "success", _("The question has been saved."))
    return _back(request, slug, "questions")


@post("/challenges/{slug:str}/questions/{key:str}/remove", name="challenges:remove_question", **PAGE)
async def remove_question(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    key: FromPath[str],
) -> Response[Any]:
    await prizes.remove_question(db, actor, slug, key)
    flash(request, "success", _("The question has been removed."))
    return _back(request, slug, "questions")


@post("/challenges/{slug:str}/questions/{key:str}/move", name="challenges:move_question", **PAGE)
async def move_question(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    key: FromPath[str],
    data: Form,
) -> Response[Any]:
    await prizes.move_question(db, actor, slug, key, text(data, "direction"))
    return _back(request, slug, "questions")


# --- rounds ---------------------------------------------------------------------------------------------------


@post("/challenges/{slug:str}/rounds", name="challenges:add_round", **PAGE)
async def add_round(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    values = texts(data, *ROUND_FIELDS)
    try:
        round_ = await rounds.add_round(db, actor, slug, values)
    except REFUSALS as exc:
        return await editor_page(request, db, actor, slug, failed_form("round", values, exc, key="new"))
    flash(request, "success", _("The round has been added. Now describe what teams submit in it."))
    return redirect(request, f"/challenges/{slug}/rounds/{round_.id}")


@get("/challenges/{slug:str}/rounds/{round_id:uuid}", name="challenges:edit_round", **PAGE)
async def edit_round(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[str]:
    return await round_page(request, db, actor, slug, round_id)


@post("/challenges/{slug:str}/rounds/{round_id:uuid}", name="challenges:update_round", **PAGE)
async def update_round(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    # A published round's deadline is not in the form: it moves only through "Extend a deadline".
    values = {name: text(data, name) for name in ROUND_FIELDS if name in data or name == "rubric_planned"}
    try:
        await rounds.update_round(db, actor, slug, round_id, values, partial=True)
    except REFUSALS as exc:
        return await round_page(request, db, actor, slug, round_id, failed_form("round_details", values, exc))
    flash(request, "success", _("The round has been saved."))
    return redirect(request, f"/challenges/{slug}/rounds/{round_id}")


@post("/challenges/{slug:str}/rounds/{round_id:uuid}/remove", name="challenges:remove_round", **PAGE)
async def remove_round(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
) -> Response[Any]:
    try:
        await rounds.remove_round(db, actor, slug, round_id)
    except Conflict as exc:
        return await editor_page(request, db, actor, slug, failed_form("round", {}, exc, key="list"))
    flash(request, "success", _("The round has been removed."))
    return _back(request, slug, "rounds")


@post("/challenges/{slug:str}/rounds/{round_id:uuid}/move", name="challenges:move_round", **PAGE)
async def move_round(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    try:
        await rounds.move_round(db, actor, slug, round_id, text(data, "direction"))
    except Conflict as exc:
        return await editor_page(request, db, actor, slug, failed_form("round", {}, exc, key="list"))
    return _back(request, slug, "rounds")


# --- a round's submission form ---------------------------------------------------------------------------------


def _field_values(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = texts(data, *(name for name in FIELD_FIELDS if name != "allowed_types"))
    values["allowed_types"] = many(data, "allowed_types")
    return values


@post("/challenges/{slug:str}/rounds/{round_id:uuid}/fields", name="challenges:add_field", **PAGE)
async def add_field(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = _field_values(data)
    try:
        await forms.add_field(db, actor, slug, round_id, values)
    except InvalidInput as exc:
        return await round_page(
            request, db, actor, slug, round_id, failed_form("field", values, exc, key="new")
        )
    flash(request, "success", _("The field has been added to the form."))
    return back_to(request, f"/challenges/{slug}/rounds/{round_id}", "fields")


@post(
    "/challenges/{slug:str}/rounds/{round_id:uuid}/fields/{field_id:uuid}",
    name="challenges:update_field",
    **PAGE,
)
async def update_field(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    field_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    values = _field_values(data)
    try:
        await forms.update_field(db, actor, slug, round_id, field_id, values)
    except InvalidInput as exc:
        return await round_page(
            request, db, actor, slug, round_id, failed_form("field", values, exc, key=field_id)
        )
    flash(request, "success", _("The field has been saved."))
    return back_to(request, f"/challenges/{slug}/rounds/{round_id}", "fields")


@post(
    "/challenges/{slug:str}/rounds/{round_id:uuid}/fields/{field_id:uuid}/remove",
    name="challenges:remove_field",
    **PAGE,
)
async def remove_field(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    field_id: FromPath[uuid.UUID],
    now: NamedDependency[dt.datetime],
) -> Response[Any]:
    try:
        retired = await forms.remove_field(db, actor, slug, round_id, field_id, now)
    except Conflict as exc:
        return await round_page(request, db, actor, slug, round_id, failed_form("field", {}, exc, key="list"))
    message = (
        _("The field has been retired: answers already given stay readable.")
        if retired
        else _("The field has been removed.")
    )
    flash(request, "success", message)
    return back_to(request, f"/challenges/{slug}/rounds/{round_id}", "fields")


@post(
    "/challenges/{slug:str}/rounds/{round_id:uuid}/fields/{field_id:uuid}/move",
    name="challenges:move_field",
    **PAGE,
)
async def move_field(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    actor: NamedDependency[Actor],
    slug: FromPath[str],
    round_id: FromPath[uuid.UUID],
    field_id: FromPath[uuid.UUID],
    data: Form,
) -> Response[Any]:
    await forms.move_field(db, actor, slug, round_id, field_id, text(data, "direction"))
    return back_to(request, f"/challenges/{slug}/rounds/{round_id}", "fields")


ROUTES = [
    add_prize,
    update_prize,
    remove_prize,
    move_prize,
    add_question,
    update_question,
    remove_question,
    move_question,
    add_round,
    edit_round,
    update_round,
    remove_round,
    move_round,
    add_field,
    update_field,
    remove_field,
    move_field,
]
