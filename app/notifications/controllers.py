"""Pages and API of notifications."""

from __future__ import annotations

ROUTES: list[object] = []
