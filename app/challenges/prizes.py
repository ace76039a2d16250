"""Prizes and registration questions of a challenge: ordered lists founders add to, edit, reorder and trim.

A registration question keeps its key for life (answers are stored under it), and a new question
never reuses an old key, so answers given to a removed question never show under another one.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from litestar.exceptions import ClientException, NotFoundException
from sqlalchemy import delete, select

from app.challenges.inputs import prefixed, prize_input, question_input
from app.challenges.models import Challenge, Prize
from app.challenges.services import authorized
from app.platform.errors import InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

T = TypeVar("T")
PRIZES_MAX = 30
QUESTIONS_MAX = 30


def moved(items: Sequence[T], index: int, direction: str) -> list[T]:
    """`items` with the one at `index` moved one place up or down (unchanged at either end)."""
    if direction not in ("up", "down"):
        raise ClientException(detail=_("Choose to move it up or down."))
    order = list(items)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
    return order


# --- prizes --------------------------------------------------------------------------------------------


async def _prizes(session: AsyncSession, challenge: Challenge) -> list[Prize]:
    return list(
        await session.scalars(
            select(Prize).where(Prize.challenge_id == challenge.id).order_by(Prize.position, Prize.id)
        )
    )


async def add_prize(session: AsyncSession, actor: Actor, slug: str, values: dict[str, Any]) -> Prize:
    """Append a prize (title, description, reward) after the existing ones."""
    challenge = (await authorized(session, actor, slug, "challenge:edit", lock=True)).challenge
    data = prize_input(values)
    existing = await _prizes(session, challenge)
    if len(existing) >= PRIZES_MAX:
        raise InvalidInput({"title": _("A challenge has at most %(num)s prizes.", num=PRIZES_MAX)})
    prize = Prize(challenge_id=challenge.id, position=len(existing) + 1, **data)
    session.add(prize)
    await session.flush()
    return prize


async def update_prize(
    session: AsyncSession, actor: Actor, slug: str, prize_id: uuid.UUID, values: dict[str, Any]
) -> Prize:
    """Change a prize's title, description and reward."""
    challenge = (await authorized(session, actor, slug, "challenge:edit", lock=True)).challenge
    prize = _find(await _prizes(session, challenge), prize_id)
    for name, value in prize_input(values).items():
        setattr(prize, name, value)
    await session.flush()
    return prize


async def remove_prize(session: AsyncSession, actor: Actor, slug: str, prize_id: uuid.UUID) -> None:
    """Delete a prize; the following ones move up."""
    challenge = (await authorized(session, actor, slug, "challenge:edit", lock=True)).challenge
    items = await _prizes(session, challenge)
    prize = _find(items, prize_id)
    await session.delete(prize)
    _renumber([item for item in items if item.id != prize_id])
    await session.flush()


async def move_prize(
    session: AsyncSession, actor: Actor, slug: str, prize_id: uuid.UUID, direction: str
) -> None:
    """Move a prize one place up or down in the list."""
    challenge = (await authorized(session, actor, slug, "challenge:edit", lock=True)).challenge
    items = await _prizes(session, challenge)
    _renumber(moved(items, items.index(_find(items, prize_id)), direction))
    await session.flush()


async def replace_prizes(session: AsyncSession, challenge: Challenge, items: list[dict[str, Any]]) -> None:
    """The API's whole-list form: the prizes become exactly `items`, in that order."""
    errors: dict[str, str] = {}
    checked = []
    for index, item in enumerate(items):
        try:
            checked.append(prize_input(item))
        except InvalidInput as exc:
            errors |= prefixed(exc.errors, f"prizes[{index}]")
    if len(items) > PRIZES_MAX:
        errors["prizes"] = _("A challenge has at most %(num)s prizes.", num=PRIZES_MAX)
    if errors:
        raise InvalidInput(errors)
    await session.execute(delete(Prize).where(Prize.challenge_id == challenge.id))
    session.add_all(Prize(challenge_id=challenge.id, position=n, **data) for n, data in enumerate(checked, 1))
    await session.flush()


def _find(items: Sequence[Any], item_id: Any) -> Any:
    for item in items:
        if item.id == item_id:
            return item
    raise NotFoundException()


def _renumber(items: Sequence[Prize]) -> None:
    for position, item in enumerate(items, 1):
        item.position = position


# --- registration questions ----------------------------------------------------------------------------


def new_key() -> str:
    return "q-" + secrets.token_hex(4)


async def add_question(
    session: AsyncSession, actor: Actor, slug: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Append a question (label, required) asked at registration, with a fresh key."""
    challenge = (await authorized(session, actor, slug, "challenge:edit", lock=True)).challenge
    data = question_input(values)
    if len(challenge.registration_questions) >= QUESTIONS_MAX:
        raise InvalidInput({"label": _("Ask at most %(num)s questions.", num=QUESTIONS_MAX)})
    question = {"key": new_key(), **data}
    challenge.registration_questions = [*challenge.registration_questions, question]
    await session.flush()
    return question


async def update_question(
    session: AsyncSession, actor: Actor, slug: str, key: str, values: dict[str, Any]
) -> None:
    """Change a question's wording or whether it must be answered; its key stays."""
    challenge = (await authorized(session, actor, slug, "challenge:edit", lock=True)).challenge
    index = _question_index(challenge, key)
    questions = list(challenge.registration_questions)
    questions[index] = {"key": key, **question_input(values)}
    challenge.registration_questions = questions
    await session.flush()


async def remove_question(session: AsyncSession, actor: Actor, slug: str, key: str) -> None:
    """Stop asking a question; answers already given stay in their registrations, under the old key."""
    challenge = (await authorized(session, actor, slug, "challenge:edit", lock=True)).challenge
    _question_index(challenge, key)
    challenge.registration_questions = [q for q in challenge.registration_questions if q.get("key") != key]
    await session.flush()


async def move_question(session: AsyncSession, actor: Actor, slug: str, key: str, direction: str) -> None:
    """Move a question one place up or down."""
    challenge = (await authorized(session, actor, slug, "challenge:edit", lock=True)).challenge
    index = _question_index(challenge, key)
    challenge.registration_questions = moved(challenge.registration_questions, index, direction)
    await session.flush()


def replace_questions(challenge: Challenge, items: list[dict[str, Any]]) -> None:
    """The API's whole-list form: an item naming an existing key keeps it; others get new keys."""
    known = {question.get("key") for question in challenge.registration_questions}
    errors: dict[str, str] = {}
    questions = []
    for index, item in enumerate(items):
        try:
            data = question_input(item)
        except InvalidInput as exc:
            errors |= prefixed(exc.errors, f"registration_questions[{index}]")
            continue
        key = item.get("key")
        questions.append({"key": key if key in known else new_key(), **data})
    if len(items) > QUESTIONS_MAX:
        errors["registration_questions"] = _("Ask at most %(num)s questions.", num=QUESTIONS_MAX)
    if errors:
        raise InvalidInput(errors)
    challenge.registration_questions = questions


def _question_index(challenge: Challenge, key: str) -> int:
    for index, question in enumerate(challenge.registration_questions):
        if question.get("key") == key:
            return index
    raise NotFoundException()
