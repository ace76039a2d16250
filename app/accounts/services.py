"""Business verbs of accounts: sign up, verify, sign in, passwords, profile, API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update

from app.accounts.models import User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.accounts.sessions import Actor


async def set_locale(session: AsyncSession, actor: Actor, locale: str) -> None:
    """Remember the language a signed-in person chose."""
    await session.execute(update(User).where(User.id == actor.id).values(locale=locale))
