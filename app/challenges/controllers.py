"""Pages and API of challenges (controllers)."""

from __future__ import annotations

ROUTES: list[object] = []
