"""A worker's view kept up with changes made by other processes that share its catalog: another API worker's
upload or delete, an `auditqa ingest` run. A worker reloads after its own jobs; it learns of the others' from the
catalog's generation, read at most once per AUDITQA_VIEW_CHECK_INTERVAL_S by a request (one small SQLite read)."""

import logging
import threading
import time

from service.answering.qa import QAService

log = logging.getLogger(__name__)


class ViewFreshness:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._next_check = 0.0
        self._reloading = threading.Lock()

    def check(self, qa: QAService) -> None:
        """If the catalog moved past the view, a background thread reloads it; requests go on with the current view
        meanwhile (a consistent one), so no request waits for a reload."""
        now = time.monotonic()
        if now < self._next_check or qa.retriever.catalog is None:
            return
        self._next_check = now + self.interval_s
        try:
            changed = qa.retriever.catalog.generation != qa.retriever.view.generation
        except Exception:  # noqa: BLE001 - an unreadable catalog is reported by /healthz and the query itself
            log.exception("reading the catalog generation failed")
            return
        if changed and self._reloading.acquire(blocking=False):
            threading.Thread(target=self._reload, args=(qa,), name="view-reload", daemon=True).start()

    def _reload(self, qa: QAService) -> None:
        try:
            qa.reload(if_changed=True)
        except Exception:  # noqa: BLE001 - the current view stays; the next check tries again
            log.exception("reloading the view after another process's change failed")
        finally:
            self._reloading.release()
