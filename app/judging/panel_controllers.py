"""Panels: judge invitations, conflicts of interest, assignment (founders and judges)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
