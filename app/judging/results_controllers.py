"""Shortlist, prizes and results, team feedback and the public vote."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
