"""The cyclic garbage collector during the server's start-up.

Start-up creates about 300,000 long-lived objects that the collector tracks (modules, classes, the view of every
chunk) and frees almost nothing: the collector's passes over them found nothing to free and cost about half a second
of a 5 s start at 1,000 reports (docs/scale.md). So it is off while the service is built. `auditqa serve` also turns
it off for its imports (`pause_for_start_up`), and at the end of its start-up what was built is frozen: kept out of
every later pass, so that a collection during a request scans the request's objects, not the view. Frozen objects
are still freed when nothing refers to them (a view replaced by a reload is: its objects hold no cycles); only
cyclic garbage made while the collector was off stays, a few thousand objects once.

Only a process that asked for it is frozen: a test session builds an app per test, and freezing one would keep every
earlier test's cyclic garbage for the rest of the session.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_frozen_after_start_up = False


def pause_for_start_up() -> None:
    """Collector off until `building` ends, which then freezes what start-up made (the serving process's choice)."""
    global _frozen_after_start_up
    _frozen_after_start_up = True
    gc.disable()


@contextmanager
def building() -> Iterator[None]:
    """No collection while the service is built. After it the collector is as it was, or, in a process that paused it
    for its start-up, on, with everything made so far frozen; whether building succeeded or not."""
    global _frozen_after_start_up
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _frozen_after_start_up:
            _frozen_after_start_up = False
            gc.freeze()
            gc.enable()
        elif enabled:
            gc.enable()
