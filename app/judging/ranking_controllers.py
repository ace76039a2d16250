"""Rankings, agreement, score distributions, judge completion and exports (founders)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
