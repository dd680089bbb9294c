"""A full disk, named as such wherever it surfaces: an OSError with ENOSPC, or SQLite's own "disk is full"."""

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class DiskFullError(Exception):
    """The disk under AUDITQA_HOME is full; what was live before the write stays live."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether ENOSPC is anywhere in the chain of causes: Chroma and the loaders wrap what the OS said."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            return True
        if isinstance(current, sqlite3.OperationalError) and "disk is full" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


# SQLite often says "disk I/O error" where the disk is full (its journal cannot grow); with almost no space left
# under the home, that is what it means.
_NEARLY_FULL_BYTES = 1_000_000


def _io_error_on_a_full_disk(exc: BaseException, home: Path) -> bool:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if not any(isinstance(e, sqlite3.Error) and "disk i/o error" in str(e).lower() for e in chain):
        return False
    where = next((p for p in (home, *home.parents) if p.exists()), None)
    try:
        return where is not None and shutil.disk_usage(where).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def full_disk_under(exc: BaseException, home: Path) -> bool:
    """Whether `exc` is the disk under `home` being full: ENOSPC or SQLite's "disk is full" anywhere in its causes,
    or SQLite's "disk I/O error" with almost no space left there."""
    return is_disk_full(exc) or _io_error_on_a_full_disk(exc, home)


def disk_full(home: Path) -> DiskFullError:
    return DiskFullError(f"Disken är full där indexet ligger ('{home}'); frigör utrymme och försök igen. Det som var inläst innan finns kvar.")


@contextmanager
def naming_disk_full(home: Path) -> Iterator[None]:
    """Re-raise a full disk met inside as DiskFullError; anything else passes unchanged."""
    try:
        yield
    except DiskFullError:
        raise
    except Exception as exc:
        if full_disk_under(exc, home):
            raise disk_full(home) from exc
        raise
