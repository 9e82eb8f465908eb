"""Splitting long id lists into requests, running them with bounded concurrency, merging the answers."""
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed

from astropy.table import Table, vstack
from astropy.utils.console import ProgressBar

__all__ = ["chunked", "fetch_chunks", "merge_tables"]


def chunked(ids, size):
    """Split ``ids`` into consecutive lists of at most ``size`` items (order kept)."""
    size = max(1, int(size))
    return [ids[start:start + size] for start in range(0, len(ids), size)]


class _Progress:
    """astropy's console bar on stderr for work of several requests; silent when not a terminal."""

    def __init__(self, total, enabled):
        self._bar = ProgressBar(total, file=sys.stderr) if enabled and total > 1 else None

    def step(self):
        if self._bar is not None:
            self._bar.update()

    def close(self):
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def fetch_chunks(fetch, chunks, *, max_workers, progress):
    """
    Run ``fetch(chunk)`` for every chunk, at most ``max_workers`` at a time.

    Parameters
    ----------
    fetch : callable
        ``fetch(chunk) -> result``; may raise.
    chunks : list of list of str
    max_workers : int
        Requests in flight at once; 1 runs them one after the other in this thread.
    progress : bool
        Show a progress bar (only drawn for several chunks on a terminal).

    Returns
    -------
    results : list
        The result of each chunk, in chunk order, `None` where it failed.
    errors : list
        ``(chunk, exception)`` for every chunk that failed, in chunk order.
    """
    results = [None] * len(chunks)
    failed = {}
    bar = _Progress(len(chunks), progress)
    try:
        if max_workers <= 1 or len(chunks) == 1:
            for index, chunk in enumerate(chunks):
                try:
                    results[index] = fetch(chunk)
                except Exception as error:  # kept and reported with its ids: nothing is dropped silently
                    failed[index] = error
                bar.step()
        else:
            with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fink") as pool:
                futures = {pool.submit(fetch, chunk): index for index, chunk in enumerate(chunks)}
                for future in as_completed(futures):
                    index = futures[future]
                    try:
                        results[index] = future.result()
                    except Exception as error:
                        failed[index] = error
                    bar.step()
    finally:
        bar.close()
    return results, [(chunks[index], failed[index]) for index in sorted(failed)]


def merge_tables(tables):
    """
    Stack the tables of several requests into one, in request order.

    The rows are put in the documented order afterwards, by `astroquery_fink.order.order_rows`.
    """
    tables = [table for table in tables if table is not None and len(table.colnames)]
    if not tables:
        return Table()
    return tables[0] if len(tables) == 1 else vstack(tables, join_type="outer", metadata_conflicts="silent")


class WorkerClients:
    """One client per worker thread: `BaseQuery` keeps per-request state (``_last_query``)."""

    def __init__(self, make_client):
        self._make_client = make_client
        self._local = threading.local()

    def get(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._make_client()
        return client
