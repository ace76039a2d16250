"""Pages and API of teams (team_controllers)."""

from __future__ import annotations

ROUTES: list[object] = []
