"""Pages and API of challenges (registration_controllers)."""

from __future__ import annotations

ROUTES: list[object] = []
