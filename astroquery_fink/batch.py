"""Splitting long id lists into requests, running them with bounded concurrency, merging the answers."""
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
from astropy.table import Table, vstack
from astropy.utils.console import ProgressBar

from . import conf

__all__ = ["IdAnswers", "fetch_ids", "chunked", "fetch_chunks", "merge_tables"]


@dataclass
class IdAnswers:
    """What the requests of one id query gave: the merged table, and the requests that failed."""

    table: Table
    #: ``(ids, exception)`` for each request that still failed after its retries
    failures: list = field(default_factory=list)
    #: how many requests the ids were sent as
    requests: int = 1

    @property
    def failed_ids(self):
        return [identifier for chunk, _ in self.failures for identifier in chunk]


def fetch_ids(fetch, client, payload, *, verbose=True, on_error="raise"):
    """
    Send an id query as requests of at most ``conf.max_ids_per_request`` ids, ``conf.max_workers``
    at a time, and merge the answers into one table.

    No row is lost or doubled: each id is in exactly one request, rows of ids that were not
    asked for (the server matches ids as prefixes) are dropped, and the ids of requests that
    failed are returned with their errors (a single request that fails raises its error when
    ``on_error="raise"``).

    Parameters
    ----------
    fetch : callable
        ``fetch(client, payload) -> Table`` sends one request; the table's ``meta`` holds
        ``transport`` and ``url``.
    client : `~astroquery_fink.FinkClass`
        Sends the requests when they go one after the other; worker threads use copies of it.
    payload : dict
        The whole query, every id in ``diaObjectId``.

    Returns
    -------
    `IdAnswers`
    """
    ids = payload["diaObjectId"].split(",")
    chunks = chunked(ids, int(conf.max_ids_per_request))
    workers = WorkerClients(lambda: worker_client(client))
    single = len(chunks) == 1 or int(conf.max_workers) <= 1

    def fetch_chunk(chunk):
        return fetch(client if single else workers.get(), {**payload, "diaObjectId": ",".join(chunk)})

    answers, failures = fetch_chunks(fetch_chunk, chunks, max_workers=int(conf.max_workers), progress=verbose)
    if failures and len(chunks) == 1 and on_error == "raise":
        raise failures[0][1]
    answers = [answer for answer in answers if answer is not None]
    table = _only_requested_objects(merge_tables(answers), ids)
    # the format actually used (CSV where the server failed to write the one asked for)
    table.meta["transport"] = ",".join(dict.fromkeys(answer.meta["transport"] for answer in answers)) or \
        payload["output-format"]
    if answers:
        table.meta["url"] = answers[0].meta["url"]
    return IdAnswers(table, failures, len(chunks))


def worker_client(client):
    """A client with the settings of ``client``, for one worker thread of a split query."""
    clone = type(client)(server=client._server, timeout=client._timeout)
    clone.cache_location = client.cache_location
    clone._sleep = client._sleep
    return clone


def _only_requested_objects(table, ids):
    """Drop rows of objects that were not asked for: the server matches ids as row-key prefixes."""
    if "r:diaObjectId" not in table.colnames or not len(table):
        return table
    keep = np.isin(np.ma.filled(table["r:diaObjectId"], -1), np.array([int(i) for i in ids], dtype=np.int64))
    return table if keep.all() else table[keep]


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
