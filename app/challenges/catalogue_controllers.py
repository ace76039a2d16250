"""Pages and API of challenges (catalogue_controllers)."""

from __future__ import annotations

ROUTES: list[object] = []
