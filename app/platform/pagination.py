"""One page of a list: its rows, where it sits, and the two queries (rows, total) that fill it."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import func, select

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
# Deeper pages are refused: an OFFSET of millions costs the database more than anyone reads.
MAX_PAGE = 10_000


@dataclasses.dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


async def paginate(
    session: AsyncSession, statement: Select[*tuple[Any, ...]], number: int, size: int
) -> Page[Any]:
    """Run an ordered statement for page `number` (from 1) plus one count: two queries, whatever the size."""
    number = min(max(number, 1), MAX_PAGE)
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = (await session.execute(statement.limit(size).offset((number - 1) * size))).all()
    return Page(items=rows, number=number, size=size, total=total)
