"""Tremplin: open-innovation challenges with governed data sharing."""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """Lets `litestar` (the CLI) find the factory, which lives in app.main; importing `app` does nothing."""
    from app.main import create_app as factory

    return factory(*args, **kwargs)
