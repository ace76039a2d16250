"""Rubric editor, screening and the round's judging settings (founders)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
