"""Fixtures of the webhook tests: a real HTTP receiver, and settings that let deliveries reach it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.webhooks.support import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def open_settings(settings: Any) -> Any:
    """Settings of a closed network: http and private addresses allowed (the receiver is on 127.0.0.1)."""
    return settings.replace(webhook_allow_http=True, webhook_allow_private_networks=True)
