"""Grants, the access rule at every request, signed download links, the access log, the team's and the steward's boards."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
