"""Pages and API of teams (submission_controllers)."""

from __future__ import annotations

ROUTES: list[object] = []
