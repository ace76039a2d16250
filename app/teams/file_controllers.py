"""Pages and API of teams (file_controllers)."""

from __future__ import annotations

ROUTES: list[object] = []
