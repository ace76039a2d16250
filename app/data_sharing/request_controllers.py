"""Access requests: drafting, naming members, accepting the agreement, submitting; the stewards' decisions; the history."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
