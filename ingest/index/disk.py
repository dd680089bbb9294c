"""A full disk, named as such wherever it surfaces: an OSError with ENOSPC, or SQLite's own "disk is full"."""

import errno
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


@contextmanager
def naming_disk_full(home: Path) -> Iterator[None]:
    """Re-raise a full disk met inside as DiskFullError; anything else passes unchanged."""
    try:
        yield
    except DiskFullError:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise DiskFullError(
                f"Disken är full där indexet ligger ('{home}'); frigör utrymme och försök igen. Det som var inläst innan finns kvar."
            ) from exc
        raise
