"""Adaptive concurrency: fewer requests in flight after a 429, slowly more again while none come."""

from __future__ import annotations

import math
import time


class AdaptiveLimit:
    """A concurrency limit between 1 and `ceiling`: ×`decrease` on a 429 (at most once per `cooldown_s`, so
    one wave of 429s counts once), +1 after `limit` successes in a row — the shape inspect_ai and TCP use."""

    def __init__(self, ceiling: int, decrease: float = 0.8, cooldown_s: float = 0.5) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self.decrease = decrease
        self.cooldown_s = cooldown_s
        self.rate_limits = 0
        self.lowest = self.limit
        self._streak = 0
        self._last_cut = -math.inf

    def on_rate_limit(self, retry_after_s: float | None = None) -> None:
        """A 429 was seen (the SDK retries the request itself, after Retry-After)."""
        self.rate_limits += 1
        self._streak = 0
        moment = time.monotonic()
        if moment - self._last_cut >= self.cooldown_s:
            self.limit = max(1, math.floor(self.limit * self.decrease))
            self.lowest = min(self.lowest, self.limit)
            self._last_cut = moment

    def on_success(self) -> None:
        """A request completed without a fault."""
        self._streak += 1
        if self.limit < self.ceiling and self._streak >= self.limit:
            self.limit += 1
            self._streak = 0
