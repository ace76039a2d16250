"""Pages and API of organizations."""

from __future__ import annotations

ROUTES: list[object] = []
