"""Splitting long id lists into requests, running them with bounded concurrency, merging the answers.

**Failing requests are split.** A request of several ids that fails in a way one object can
cause (HTTP 500 after the CSV fallback, or an answer that cannot be read) is halved, and the
halves that fail again are halved, until the ids that fail are alone: the other ids' rows are
kept. Each failing id costs at most ``2 * ceil(log2(n))`` more requests for a request of ``n``
ids; `split_budget` bounds the extra requests of one request, and a batch stops splitting once
`FUTILE_SPLITS` requests were split without any part answering (a server failing everything).

**Ctrl-C** (`KeyboardInterrupt`) stops the batch at once: no new request is sent, queued ones
are cancelled, and `BatchInterrupted` (a `KeyboardInterrupt`) carries what was fetched.
"""
import math
import queue
import sys
import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from astropy.table import Table, vstack
from astropy.utils.console import ProgressBar
from astroquery.exceptions import TableParseError

from . import conf
from .exceptions import BatchInterrupted

__all__ = ["IdAnswers", "BatchInterrupted", "fetch_ids", "chunked", "fetch_chunks", "merge_tables", "split_budget",
           "FUTILE_SPLITS"]

#: A batch stops splitting failed requests after this many were split without any part answering.
FUTILE_SPLITS = 2


def split_budget(size):
    """
    The most extra requests spent splitting one failed request of ``size`` ids: ``4 * ceil(log2(size))``.

    Isolating one failing id by halving takes two requests per halving, ``2 * ceil(log2(size))``
    in all: the budget isolates two failing ids of any request (28 requests for 100 ids).
    """
    return 4 * math.ceil(math.log2(size)) if size > 1 else 0


def splittable(error):
    """Whether a failure may come from one object of the request: HTTP 500, or an answer that cannot be read."""
    return isinstance(error, TableParseError) or getattr(error, "status", None) == 500


@dataclass
class IdAnswers:
    """What the requests of one id query gave: the merged table, and the requests that failed."""

    table: Table
    #: ``(ids, exception)`` for each request that still failed after its retries (and splitting)
    failures: list = field(default_factory=list)
    #: how many requests the ids were sent as (before splitting)
    requests: int = 1
    #: how many more requests splitting the failed ones took
    split_requests: int = 0
    #: the ids not asked at all (the batch was interrupted)
    unfetched_ids: list = field(default_factory=list)

    @property
    def failed_ids(self):
        """The ids of the failed requests, in request order (built in one pass)."""
        return [identifier for chunk, _ in self.failures for identifier in chunk]


@dataclass
class _ChunkResult:
    """What one request of a batch gave, filled while it runs (an interruption keeps what is there)."""

    #: ``(ids, table)`` of every part that answered (the whole request, or pieces of it)
    answered: list = field(default_factory=list)
    #: ``(ids, exception)`` of every part that failed for good
    failed: list = field(default_factory=list)
    #: requests sent while splitting
    extra: int = 0


class _Cancelled(Exception):
    """Raised in a worker before a request once the batch is interrupted."""


class _Splitter:
    """The state a batch shares across its workers: interruption, and whether splitting still helps."""

    def __init__(self):
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._futile = 0

    def check(self):
        if self.stop.is_set():
            raise _Cancelled()

    @property
    def allowed(self):
        return self._futile < FUTILE_SPLITS

    def done(self, found_any):
        if not found_any:
            with self._lock:
                self._futile += 1


def _fetch_splitting(fetch, chunk, splitter, result):
    """
    Fetch ``chunk``; if it fails in a way one id can cause, halve the failing parts until the ids are alone.

    Parts are split breadth first, within `split_budget` extra requests; fills ``result``.
    """
    splitter.check()
    try:
        result.answered.append((chunk, fetch(chunk)))
        return result
    except Exception as error:  # kept and reported with its ids: nothing is dropped silently
        first = error
    if len(chunk) == 1 or not splittable(first) or not splitter.allowed:
        result.failed.append((chunk, first))
        return result
    pending = deque([(chunk, first)])
    budget, failed = split_budget(len(chunk)), []
    while pending:
        part, error = pending.popleft()
        if len(part) == 1 or not splittable(error) or result.extra + 2 > budget or not splitter.allowed:
            failed.append((part, error))
            continue
        middle = (len(part) + 1) // 2
        for half in (part[:middle], part[middle:]):
            splitter.check()
            result.extra += 1
            try:
                result.answered.append((half, fetch(half)))
            except Exception as half_error:
                pending.append((half, half_error))
    splitter.done(found_any=bool(result.answered))
    position = {identifier: index for index, identifier in enumerate(chunk)}
    result.failed.extend(sorted(failed, key=lambda item: position[item[0][0]]))
    return result


def fetch_ids(fetch, client, payload, *, verbose=True, on_error="raise"):
    """
    Send an id query as requests of at most ``conf.max_ids_per_request`` ids, ``conf.max_workers``
    at a time, and merge the answers into one table.

    No row is lost or doubled: each id is in exactly one request, rows of ids that were not
    asked for (the server matches ids as prefixes) are dropped, and the ids of requests that
    failed are returned with their errors (a single request that fails as a whole raises its
    error when ``on_error="raise"``). A request that fails with HTTP 500 or an unreadable
    answer is split until the failing ids are alone (see the module's docstring).

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

    Raises
    ------
    BatchInterrupted
        On Ctrl-C: no further request is sent; it carries the answers so far.
    """
    ids = payload["diaObjectId"].split(",")
    chunks = chunked(ids, int(conf.max_ids_per_request))
    workers = WorkerClients(lambda: worker_client(client))
    single = len(chunks) == 1 or int(conf.max_workers) <= 1

    def fetch_part(part):
        return fetch(client if single else workers.get(), {**payload, "diaObjectId": ",".join(part)})

    splitter = _Splitter()
    try:
        results = fetch_chunks(lambda chunk, result: _fetch_splitting(fetch_part, chunk, splitter, result), chunks,
                               max_workers=int(conf.max_workers), progress=verbose, stop=splitter.stop)
    except BatchInterrupted as interrupted:
        interrupted.answers = _gather(interrupted.results, chunks, ids, payload)
        raise
    answers = _gather(results, chunks, ids, payload)
    if len(chunks) == 1 and on_error == "raise" and answers.failures and not results[0].answered:
        raise answers.failures[0][1]  # the one request failed as a whole: its own error
    return answers


def _gather(results, chunks, ids, payload):
    """Merge what the requests gave into `IdAnswers` (ids in no answer and no failure are ``unfetched_ids``)."""
    answered, failures, extra = [], [], 0
    for result in results:
        if result is None:
            continue
        answered.extend(list(result.answered))  # a snapshot: an interrupted worker may still add to it
        failures.extend(list(result.failed))
        extra += result.extra
    accounted = {identifier for part, _ in answered for identifier in part}
    accounted.update(identifier for part, _ in failures for identifier in part)
    unfetched = [identifier for identifier in ids if identifier not in accounted]
    tables = [table for _, table in answered]
    table = _only_requested_objects(merge_tables(tables), ids)
    # the format actually used (CSV where the server failed to write the one asked for)
    table.meta["transport"] = ",".join(dict.fromkeys(t.meta["transport"] for t in tables)) or \
        payload["output-format"]
    if tables:
        table.meta["url"] = tables[0].meta["url"]
    return IdAnswers(table, failures, len(chunks), extra, unfetched)


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


def fetch_chunks(fetch, chunks, *, max_workers, progress, stop=None):
    """
    Run ``fetch(chunk, result)`` for every chunk, at most ``max_workers`` at a time.

    Parameters
    ----------
    fetch : callable
        ``fetch(chunk, result)`` fills ``result`` (a `_ChunkResult`); may raise.
    chunks : list of list of str
    max_workers : int
        Requests in flight at once; 1 runs them one after the other in this thread.
    progress : bool
        Show a progress bar (only drawn for several chunks on a terminal).
    stop : `threading.Event`, optional
        Set on Ctrl-C, for ``fetch`` to send nothing more.

    Returns
    -------
    results : list of `_ChunkResult`
        One per chunk, in chunk order; an exception ``fetch`` raised is the chunk's failure.

    Raises
    ------
    BatchInterrupted
        On `KeyboardInterrupt` (in this thread, in ``fetch`` or in the progress bar): no
        further chunk is started nor request sent, running ones are not waited for; its
        ``results`` holds what every chunk had got so far.
    """
    stop = stop if stop is not None else threading.Event()
    results = [_ChunkResult() for _ in chunks]
    bar = _Progress(len(chunks), progress)
    try:
        if max_workers <= 1 or len(chunks) == 1:
            for chunk, result in zip(chunks, results, strict=True):
                _run_one(fetch, chunk, result)
                bar.step()
        else:
            _run_threads(fetch, chunks, results, min(max_workers, len(chunks)), stop, bar)
    except KeyboardInterrupt:
        stop.set()  # the workers take no further chunk and send no further request
        interrupted = BatchInterrupted()
        interrupted.results = results
        raise interrupted from None
    except BaseException:
        stop.set()
        raise
    finally:
        bar.close()
    return results


def _run_threads(fetch, chunks, results, workers, stop, bar):
    """
    Run the chunks on ``workers`` daemon threads; return when all are done.

    Daemon threads, not a `~concurrent.futures.ThreadPoolExecutor`: after Ctrl-C nothing waits
    for a request still on the wire, not even the interpreter's exit.
    """
    todo, done = queue.SimpleQueue(), queue.SimpleQueue()
    for index in range(len(chunks)):
        todo.put(index)

    def work():
        while not stop.is_set():
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            try:
                _run_one(fetch, chunks[index], results[index])
            except BaseException as error:  # a KeyboardInterrupt raised in a worker: the caller stops the batch
                done.put(error)
                return
            done.put(None)

    for number in range(workers):
        threading.Thread(target=work, name=f"fink-batch-{number}", daemon=True).start()
    for _ in chunks:
        error = done.get()
        if error is not None:
            raise error
        bar.step()


def _run_one(fetch, chunk, result):
    """Run ``fetch`` on one chunk; an `Exception` it raises is the chunk's failure (never lost)."""
    try:
        fetch(chunk, result)
    except _Cancelled:
        pass
    except Exception as error:  # not a request's failure (those are in ``result``): its ids are failed too
        accounted = {identifier for part, _ in [*result.answered, *result.failed] for identifier in part}
        remaining = [identifier for identifier in chunk if identifier not in accounted]
        if remaining:
            result.failed.append((remaining, error))
    return result


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
