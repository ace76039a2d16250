"""Throttling of sign-in, password reset and other guessable actions, with counters in Redis.

Counters live in Redis so that every web process sees the same numbers (Litestar's default store
is per process). Each attempt takes a slot in a fixed window, per account and per client address,
atomically in one Lua call, before the password is even checked: concurrent guesses cannot slip
past the limit. A successful sign-in gives its slots back. When Redis is unreachable the limiter
fails open and logs a warning: pages keep serving, which matters more than throttling for a while.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

if TYPE_CHECKING:
    from litestar import Request

    from app.settings import Settings

log = logging.getLogger("tremplin.ratelimit")

# Takes one slot in every counter; the window starts with the first slot and is never extended.
_TAKE = """
local highest, wait = 0, 0
for _, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  if count > highest then highest = count end
  if count > tonumber(ARGV[2]) then
    local ttl = redis.call('PTTL', key)
    if ttl > wait then wait = ttl end
  end
end
return {highest, wait}
"""

# Gives a slot back, never creating a counter: DECR on an expired key would make one that never expires.
_GIVE_BACK = """
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0
"""


class RateLimited(Exception):
    """Too many attempts: the caller answers 429 and says when to try again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True, slots=True)
class RateLimiter:
    redis: Any
    prefix: str
    limit: int
    window_seconds: int

    @classmethod
    def of(cls, request: Request[Any, Any, Any]) -> RateLimiter:
        settings: Settings = request.app.state.settings
        return cls(
            redis=request.app.state.services.arq,
            prefix=settings.redis_prefix,
            limit=settings.login_rate_limit,
            window_seconds=settings.login_rate_window_seconds,
        )

    def keys(self, action: str, *, account: str | None = None, ip: str | None = None) -> list[str]:
        # Hashed so that Redis holds no e-mail addresses.
        parts = [("account", account), ("ip", ip)]
        return [
            f"{self.prefix}:ratelimit:{action}:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"
            for kind, value in parts
            if value
        ]

    async def hit(self, action: str, *, account: str | None = None, ip: str | None = None) -> None:
        """Count one attempt; raise RateLimited when the account or the address is over the limit."""
        keys = self.keys(action, account=account, ip=ip)
        try:
            highest, wait_ms = await self.redis.eval(
                _TAKE, len(keys), *keys, self.window_seconds * 1000, self.limit
            )
        except (RedisError, OSError) as exc:
            log.warning("rate limiter unavailable, letting %s through: %s", action, exc)
            return
        if int(highest) > self.limit:
            raise RateLimited(max(1, math.ceil(int(wait_ms) / 1000)))

    async def forgive(self, action: str, *, account: str | None = None, ip: str | None = None) -> None:
        """After a success: the account starts afresh and the address gets its slot back."""
        try:
            if account:
                await self.redis.delete(*self.keys(action, account=account))
            if ip:
                await self.redis.eval(_GIVE_BACK, 1, *self.keys(action, ip=ip))
        except (RedisError, OSError) as exc:
            log.warning("rate limiter unavailable: %s", exc)
