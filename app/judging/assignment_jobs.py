"""The arq job that assigns judges to the entries of a large round, reporting its progress."""

from __future__ import annotations

from typing import Any

JOBS: dict[str, Any] = {}
