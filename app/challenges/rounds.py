"""The rounds of a challenge, in order, and deadline extensions (its own milestones are details: services).

Times arrive in the challenge's time zone (forms) or with their offset (API) and are stored in UTC.
Once a challenge is published, a closing time (registration close, a round's deadline) only moves
through `extend_deadline`: later, never before the request's arrival time, and everyone registered
is told. Rounds are removed and reordered only while the challenge is a draft.
"""

from __future__ import annotations

import datetime as dt
import types
import uuid
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotFoundException

from app.challenges import completeness
from app.challenges.inputs import Errors, instant, round_input
from app.challenges.models import Challenge, Round
from app.challenges.prizes import moved
from app.challenges.queries import Visible
from app.challenges.services import authorized, organizer_count, use_extend
from app.platform import audit
from app.platform.errors import Conflict, InvalidInput
from app.platform.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor

ROUNDS_MAX = 10


async def _require_complete(session: AsyncSession, challenge: Any, rounds: list[Any]) -> None:
    if challenge.published_at is not None:
        completeness.require_still_complete(challenge, rounds, await organizer_count(session, challenge.id))


# --- rounds -----------------------------------------------------------------------------------------------


def find_round(visible: Visible, round_id: uuid.UUID) -> Round:
    for round_ in visible.rounds:
        if round_.id == round_id:
            return round_
    raise NotFoundException()


def _round_states(rounds: list[Round], replaced: Round | None = None, **changes: Any) -> list[Any]:
    return [
        completeness.proposed(r, completeness.ROUND_ATTRIBUTES, **(changes if r is replaced else {}))
        for r in rounds
    ]


async def add_round(session: AsyncSession, actor: Actor, slug: str, values: dict[str, Any]) -> Round:
    """Append a round after the existing ones."""
    visible = await authorized(session, actor, slug, "challenge:edit", lock=True)
    challenge = visible.challenge
    data = round_input(values, challenge.timezone)
    if len(visible.rounds) >= ROUNDS_MAX:
        raise InvalidInput({"name": _("A challenge has at most %(num)s rounds.", num=ROUNDS_MAX)})
    position = max((r.position for r in visible.rounds), default=0) + 1
    new = types.SimpleNamespace(id=None, position=position, **data)
    await _require_complete(session, challenge, [*_round_states(visible.rounds), new])
    round_ = Round(challenge_id=challenge.id, position=position, **data)
    session.add(round_)
    await session.flush()
    return round_


async def update_round(
    session: AsyncSession,
    actor: Actor,
    slug: str,
    round_id: uuid.UUID,
    values: dict[str, Any],
    *,
    partial: bool = False,
) -> Round:
    """Change a round's details; after publishing its deadline moves only through `extend_deadline`."""
    visible = await authorized(session, actor, slug, "challenge:edit", lock=True)
    challenge = visible.challenge
    round_ = find_round(visible, round_id)
    merged = values if not partial else {"opens_at": round_.opens_at, "deadline": round_.deadline, **values}
    data = round_input(merged, challenge.timezone, partial=partial)
    changes = {name: value for name, value in data.items() if getattr(round_, name) != value}
    if challenge.published_at is not None and "deadline" in changes:
        raise InvalidInput({"deadline": use_extend()})
    await _require_complete(session, challenge, _round_states(visible.rounds, round_, **changes))
    for name, value in changes.items():
        setattr(round_, name, value)
    await session.flush()
    return round_


def _require_draft(challenge: Challenge) -> None:
    if challenge.published_at is not None:
        raise Conflict(_("The rounds of a published challenge can no longer be removed or reordered."))


async def remove_round(session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID) -> None:
    """Delete a round of a draft, with its form; the following rounds move up."""
    visible = await authorized(session, actor, slug, "challenge:edit", lock=True)
    _require_draft(visible.challenge)
    round_ = find_round(visible, round_id)
    await session.delete(round_)
    await session.flush()
    await _renumber(session, [r for r in visible.rounds if r.id != round_id])


async def move_round(
    session: AsyncSession, actor: Actor, slug: str, round_id: uuid.UUID, direction: str
) -> None:
    """Move a round of a draft one place earlier or later; positions stay 1, 2, 3..."""
    visible = await authorized(session, actor, slug, "challenge:edit", lock=True)
    _require_draft(visible.challenge)
    index = visible.rounds.index(find_round(visible, round_id))
    await _renumber(session, moved(visible.rounds, index, direction))


async def _renumber(session: AsyncSession, rounds: list[Round]) -> None:
    # (challenge, position) is unique and checked row by row: park every round on a negative
    # position first, so no intermediate state collides.
    for round_ in rounds:
        round_.position = -round_.position
    await session.flush()
    for position, round_ in enumerate(rounds, 1):
        round_.position = position
    await session.flush()


# --- extending a deadline --------------------------------------------------------------------------------


async def extend_deadline(
    session: AsyncSession, actor: Actor, slug: str, target: str, until: Any, now: dt.datetime
) -> tuple[str, dt.datetime | None, dt.datetime]:
    """Move registration's close (`target` "registration") or a round's deadline (a round id) later.

    Never before `now` (the request's arrival) nor before its current value; the challenge must stay
    consistent; audited; every registered person (pending or approved) is notified.
    Returns what moved: its label, the old and the new time.
    """
    from app.challenges.announcements import notify_registered

    visible = await authorized(session, actor, slug, "challenge:extend_deadline", lock=True)
    challenge = visible.challenge
    if challenge.published_at is None:
        raise Conflict(_("This challenge is not published yet: change its dates directly."))
    round_ = None if target == "registration" else find_round(visible, _round_id(target))
    current = challenge.registration_closes_at if round_ is None else round_.deadline
    new = _later_time(until, challenge.timezone, current, now)
    if round_ is None:
        state = completeness.proposed(
            challenge, completeness.CHALLENGE_ATTRIBUTES, registration_closes_at=new
        )
        await _require_complete(session, state, visible.rounds)
        challenge.registration_closes_at = new
    else:
        await _require_complete(session, challenge, _round_states(visible.rounds, round_, deadline=new))
        round_.deadline = new
    await session.flush()
    label = "registration" if round_ is None else round_.name
    await audit.record(
        session,
        actor,
        "challenge:extend_deadline",
        "challenge",
        challenge.id,
        {
            "target": label,
            "round_id": str(round_.id) if round_ else None,
            "from": current.isoformat() if current else None,
            "to": new.isoformat(),
        },
    )
    await notify_registered(
        session, challenge, "deadline_extended", _extension_params(challenge, round_, new)
    )
    return label, current, new


def _round_id(target: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(target))
    except ValueError:
        raise InvalidInput({"target": _("Choose a deadline from the list.")}) from None


def _later_time(value: Any, timezone: str, current: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    errors = Errors()
    new = instant(errors, "until", value, timezone, required=True)
    errors.raise_any()
    assert new is not None
    if new < now:
        raise InvalidInput({"until": _("Choose a time that is not already past.")})
    if current is not None and new < current:
        raise InvalidInput({"until": _("A deadline cannot be shortened once the challenge is published.")})
    if current is not None and new == current:
        raise InvalidInput({"until": _("This is already the deadline: choose a later time.")})
    return new


def _extension_params(challenge: Challenge, round_: Round | None, new: dt.datetime) -> dict[str, Any]:
    from app.platform.i18n import format_datetime, in_locale

    milestone: dict[str, str] | str
    when: dict[str, str] = {}
    labels: dict[str, str] = {}
    for locale in ("en", "fr"):
        with in_locale(locale):
            when[locale] = f"{format_datetime(new, challenge.timezone)} ({challenge.timezone})"
            labels[locale] = _("registration")
    milestone = labels if round_ is None else round_.name
    return {"challenge": challenge.title, "milestone": milestone, "until": when}
