"""The submission form of a round: its fields, added, edited, reordered, and removed or retired.

Once the challenge is published, teams may have answered a field: removing it then retires it
(retired_at) instead of deleting it, so the answers already given stay readable with their
question, and its kind no longer changes (an answer to a file field must not become a choice).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException

from app.challenges.inputs import field_input
from app.challenges.models import Challenge, Round, RoundField
from app.challenges.prizes import moved
from app.challenges.queries import Visible
from app.challenges.rounds import find_round
from app.challenges.services import authorized, round_fields
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

FIELDS_MAX = 40


async def _editable_round(
    session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID
) -> tuple[Visible, Round]:
    visible = await authorized(session, actor, slug, "challenge:edit", lock=True)
    return visible, find_round(visible, round_id)


async def _active(session: AsyncSession, round_id: uuid.UUID) -> list[RoundField]:
    fields = (await round_fields(session, [round_id]))[round_id]
    return [field for field in fields if field.retired_at is None]


def _field(fields: list[RoundField], field_id: uuid.UUID) -> RoundField:
    for field in fields:
        if field.id == field_id:
            return field
    raise NotFoundException()


async def add_field(
    session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID, values: dict[str, Any]
) -> RoundField:
    """Append a question to the round's form, with a key of its own (answers are stored under it)."""
    _visible, round_ = await _editable_round(session, actor, slug, round_id)
    data = field_input(values)
    active = await _active(session, round_.id)
    if len(active) >= FIELDS_MAX:
        raise InvalidInput({"label": _("A form has at most %(num)s fields.", num=FIELDS_MAX)})
    position = max((field.position for field in active), default=0) + 1
    field = RoundField(round_id=round_.id, key="f-" + secrets.token_hex(4), position=position, **data)
    session.add(field)
    await session.flush()
    return field


async def update_field(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    field_id: uuid.UUID,
    values: dict[str, Any],
) -> RoundField:
    """Edit a field's wording and options; after publishing its kind stays what it was."""
    visible, round_ = await _editable_round(session, actor, slug, round_id)
    field = _field(await _active(session, round_.id), field_id)
    published = visible.challenge.published_at is not None
    data = field_input(values, kind=field.kind if published else None)
    for name, value in data.items():
        setattr(field, name, value)
    await session.flush()
    return field


async def remove_field(
    session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID, field_id: uuid.UUID, now: dt.datetime
) -> bool:
    """Delete a field of a draft; retire it once published (answers stay readable). True if retired."""
    visible, round_ = await _editable_round(session, actor, slug, round_id)
    fields = (await round_fields(session, [round_.id]))[round_.id]
    field = _field(fields, field_id)
    if field.retired_at is not None:
        raise Conflict(_("This field is already retired."))
    if visible.challenge.published_at is None:
        await session.delete(field)
    else:
        field.retired_at = now
    await session.flush()
    return field.retired_at is not None


async def move_field(
    session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID, field_id: uuid.UUID, direction: str
) -> None:
    """Move a field one place up or down among those still asked."""
    _visible, round_ = await _editable_round(session, actor, slug, round_id)
    active = await _active(session, round_.id)
    index = active.index(_field(active, field_id))
    for position, field in enumerate(moved(active, index, direction), 1):
        field.position = position
    await session.flush()


@dataclasses.dataclass(frozen=True, slots=True)
class RoundEditor:
    """A round with its whole form (retired fields included), for the founders' round page."""

    challenge: Challenge
    round: Round
    fields: list[RoundField]
    relations: set[str]


async def round_editor(session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID) -> RoundEditor:
    """The round with its whole form, for its founders."""
    visible = await authorized(session, actor, slug, "challenge:edit")
    round_ = find_round(visible, round_id)
    fields = (await round_fields(session, [round_.id]))[round_.id]
    return RoundEditor(visible.challenge, round_, fields, visible.relations)
