"""Requests per minute per caller: an in-memory token bucket per key (per client address without one)."""

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

# Buckets kept; beyond this the least recently used go (a forgotten bucket starts full again), so a flood of
# client addresses cannot grow the table without bound.
MAX_BUCKETS = 10_000


class RateLimitedError(Exception):
    """A caller has used up its requests for now."""

    def __init__(self, per_minute: int, retry_after_s: int) -> None:
        super().__init__(f"För många anrop: högst {per_minute} per minut. Försök igen om {retry_after_s} s.")
        self.retry_after_s = retry_after_s


class RateLimiter:
    """Each bucket holds up to `per_minute` tokens and refills at `per_minute` per minute; a request takes one."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_buckets: int = MAX_BUCKETS) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.max_buckets = max_buckets
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # bucket -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, bucket: str) -> None:
        """Takes a token from `bucket`, or raises RateLimitedError saying when the next one is due."""
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.pop(bucket, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - at) * rate)
            if tokens < 1:
                self._buckets[bucket] = (tokens, now)
                raise RateLimitedError(self.per_minute, max(1, math.ceil((1 - tokens) / rate)))
            self._buckets[bucket] = (tokens - 1, now)
            while len(self._buckets) > self.max_buckets:
                self._buckets.popitem(last=False)
