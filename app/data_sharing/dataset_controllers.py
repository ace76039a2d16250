"""Datasets, their agreement versions, files and stewards; the catalogue; offerings to challenges."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
