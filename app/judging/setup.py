"""The founders' setup pages of a round's judging share one way in: the round from the page's URL.

A page's URL names both the challenge (slug) and the round; a round of another challenge behind a
familiar slug is a 404, like a missing one, so nobody learns that some other round exists.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException

from app.judging.rounds import RoundContext, load_round

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


async def setup_round(
    session: AsyncSession,
    actor: Actor | None,
    round_id: uuid.UUID,
    action: str,
    *,
    slug: str | None = None,
    for_update: bool = False,
) -> RoundContext:
    """load_round (404/403 by authz), plus 404 when `slug` is given and is not the round's challenge."""
    ctx = await load_round(session, actor, round_id, action, for_update=for_update)
    if slug is not None and ctx.challenge.slug != slug:
        raise NotFoundException()
    return ctx


def base_path(ctx: RoundContext) -> str:
    """Where the round's judging pages live: `/challenges/{slug}/rounds/{round_id}/judging`."""
    return f"/challenges/{ctx.challenge.slug}/rounds/{ctx.round.id}/judging"


def plain_number(value: Decimal | float) -> str:
    """A number as typed in forms and JSON keys: no trailing zeros, no exponent ("2.5", "10", "-1")."""
    number = Decimal(str(value)).normalize()
    text = format(number, "f")
    return "0" if text in ("-0", "") else text
