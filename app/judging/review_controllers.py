"""Judges' queue and the review page: scoring with autosave, finalizing."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
