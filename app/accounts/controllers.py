"""Pages and API of accounts."""

from __future__ import annotations

ROUTES: list[object] = []
