"""Admission control for queries: at most AUDITQA_MAX_CONCURRENT_QUERIES searches and answers are computed at once.

A query beyond that waits up to AUDITQA_QUERY_QUEUE_TIMEOUT_S for a slot and is then refused (503 with Retry-After),
so that under a burst the ones admitted finish in their usual time instead of all of them slowing down together.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class QueryOverloadError(Exception):
    """Every query slot stayed busy for the whole wait."""


class QueryGate:
    def __init__(self, slots: int, wait_s: float) -> None:
        self.slots = slots
        self.wait_s = wait_s
        self._free = threading.BoundedSemaphore(slots)

    @contextmanager
    def admit(self) -> Iterator[None]:
        if not self._free.acquire(timeout=self.wait_s):
            raise QueryOverloadError(
                f"Tjänsten besvarar redan {self.slots} frågor samtidigt, vilket är gränsen (inställningen "
                f"AUDITQA_MAX_CONCURRENT_QUERIES); ingen plats blev ledig inom {self.wait_s:g} s. Försök igen om en stund."
            )
        try:
            yield
        finally:
            self._free.release()
