"""The arq job that writes a round's scores, ranking or feedback as CSV or xlsx, reporting its progress."""

from __future__ import annotations

from typing import Any

JOBS: dict[str, Any] = {}
