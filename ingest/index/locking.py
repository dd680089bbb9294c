"""An advisory lock (`flock`) on a file beside what it guards, for processes that share AUDITQA_HOME."""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_lock(path: Path, exclusive: bool) -> Iterator[None]:
    """Held on `<path>.lock` (created if missing) until the block ends; shared or exclusive."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield  # closing the file releases the lock
