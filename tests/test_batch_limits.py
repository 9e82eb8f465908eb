"""Failed batches: split down to the failing ids within a bound, linear bookkeeping, Ctrl-C stops at once.

Driven by the session's replica over loopback HTTP; every count comes from its request log.
"""
import math
import threading
import warnings

import numpy as np
import pytest
from astroquery.exceptions import NoResultsWarning

from astroquery_fink import batch, conf, query
from astroquery_fink.batch import FUTILE_SPLITS, IdAnswers, split_budget
from astroquery_fink.exceptions import BatchInterrupted, IncompleteResultError, IncompleteResultWarning
from astroquery_fink.results import report_failures
from astroquery_fink.testing import BIG_FP_OBJECT_ID, REAL_OBJECT_IDS

REAL = [i for i in REAL_OBJECT_IDS if i != BIG_FP_OBJECT_ID][:7]
# 100 ids: the real objects first, then ids the replica has no rows for
HUNDRED = REAL + [str(300_000_000_000_000_000 + k) for k in range(100 - len(REAL))]
FP = "/api/v1/fp"


@pytest.fixture(autouse=True)
def settings():
    with conf.set_temp("max_retries", 0), conf.set_temp("timeout", 30), conf.set_temp("max_ids_per_request", 100), \
            conf.set_temp("max_workers", 2):
        yield


@pytest.fixture
def fink(replica_client):
    return replica_client


def fp(client, ids, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoResultsWarning)
        return client.query_forced_photometry(ids, columns="r:diaObjectId,r:psfFlux", output_format="csv",
                                              verbose=False, **kwargs)


def sent(replica):
    return [entry for entry in replica.requests if entry["path"] == FP]


def ids_in(table):
    return {str(i) for i in np.unique(np.asarray(table["r:diaObjectId"]))} if len(table) else set()


def wait_for_workers():
    """Join the batch's worker threads (they stop on their own once interrupted): the log is then final."""
    for thread in threading.enumerate():
        if thread.name.startswith("fink-batch-"):
            thread.join(60)


# --- splitting -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [[REAL[2]], [REAL[0], REAL[5]], [HUNDRED[-1]]])
def test_failing_ids_of_a_100_id_request_are_isolated(replica, fink, bad):
    replica.inject("500", endpoint="fp", ids=bad)
    with pytest.warns(IncompleteResultWarning, match=f"{len(bad)} of 100 ids have no rows"):
        table = fp(fink, HUNDRED, on_error="warn")
    assert table.meta["failed_ids"] == bad
    assert ids_in(table) == set(REAL) - set(bad)  # the other real objects keep their rows
    # 2 * ceil(log2(100)) = 14 requests isolate one id
    assert len(sent(replica)) <= 1 + len(bad) * 2 * math.ceil(math.log2(100))


def test_split_results_are_the_rows_of_an_unfailing_query(replica, fink):
    whole = fp(fink, HUNDRED)
    replica.inject("500", endpoint="fp", ids=[REAL[3]])
    with pytest.raises(IncompleteResultError) as raised:
        fp(fink, HUNDRED)
    partial = raised.value.table
    expected = whole[whole["r:diaObjectId"] != int(REAL[3])]
    assert raised.value.failed_ids == [REAL[3]]
    assert list(partial["r:diaObjectId"]) == list(expected["r:diaObjectId"])  # same rows, same order
    assert list(partial["r:psfFlux"]) == list(expected["r:psfFlux"])


def test_one_request_of_one_failing_id_among_two_keeps_the_other(replica, fink):
    replica.inject("500", endpoint="fp", ids=[REAL[1]])
    with pytest.raises(IncompleteResultError) as raised:
        fp(fink, REAL[:2])
    assert raised.value.failed_ids == [REAL[1]]
    assert ids_in(raised.value.table) == {REAL[0]}


def test_a_server_failing_everything_is_not_split_without_end(replica, fink):
    ids = HUNDRED
    with conf.set_temp("max_ids_per_request", 10), conf.set_temp("max_workers", 1):
        replica.inject("500", endpoint="fp")
        with pytest.warns(IncompleteResultWarning, match="100 of 100 ids"):
            table = fp(fink, ids, on_error="warn")
    assert table.meta["failed_ids"] == ids  # all of them, in the order asked
    # 10 requests, and only the first FUTILE_SPLITS of them split (within their budget)
    assert len(sent(replica)) <= 10 + FUTILE_SPLITS * split_budget(10)


def test_failures_that_say_nothing_of_the_ids_are_not_split(replica, fink):
    replica.inject("503", endpoint="fp", ids=[REAL[2]])
    with pytest.warns(IncompleteResultWarning):
        table = fp(fink, HUNDRED, on_error="warn")
    assert table.meta["failed_ids"] == HUNDRED
    assert len(sent(replica)) == 1


def test_split_budget():
    assert [split_budget(n) for n in (1, 2, 3, 100)] == [0, 4, 8, 28]


# --- linear bookkeeping ----------------------------------------------------------------------------------------


class CountingId(str):
    """An id that counts how often it is hashed or compared: sets rebuilt per id would show as n**2."""

    calls = 0

    def __hash__(self):
        CountingId.calls += 1
        return str.__hash__(self)

    def __eq__(self, other):
        CountingId.calls += 1
        return str.__eq__(self, other)


@pytest.mark.parametrize("count", [1_000, 20_000])
def test_failed_id_bookkeeping_is_linear(count):
    ids = [CountingId(str(10**17 + k)) for k in range(count)]
    chunks = batch.chunked(ids, 100)
    results = []
    for chunk in chunks:
        result = batch._ChunkResult()
        result.failed.append((chunk, RuntimeError("down")))
        results.append(result)
    CountingId.calls = 0
    answers = batch._gather(results, chunks, ids, {"output-format": "csv"})
    failed = answers.failed_ids
    table = answers.table
    table.meta["query"] = {"diaObjectId": ",".join(ids)}
    with pytest.warns(IncompleteResultWarning, match=f"{count} of {count} ids"):
        report_failures(table, "fp", answers, "warn")
    assert failed == ids and answers.unfetched_ids == []
    assert CountingId.calls <= 4 * count


# --- Ctrl-C ----------------------------------------------------------------------------------------------------


@pytest.fixture
def interrupt_at(monkeypatch):
    """``interrupt_at(n)``: the n-th request of the query raises KeyboardInterrupt (in whichever thread sends it)."""

    def arm(n):
        calls = {"n": 0}
        lock = threading.Lock()
        real = query.fetch_table

        def fetch_table(*args, **kwargs):
            with lock:
                calls["n"] += 1
                mine = calls["n"]
            if mine == n:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        monkeypatch.setattr(query, "fetch_table", fetch_table)
    return arm


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_in_a_worker_stops_the_batch(replica, fink, interrupt_at, workers):
    interrupt_at(3)
    with conf.set_temp("max_ids_per_request", 1), conf.set_temp("max_workers", workers):
        with pytest.raises(KeyboardInterrupt) as raised:
            fp(fink, REAL)
    wait_for_workers()
    # two requests answered, the third interrupted; a second worker finishes at most the one it had begun
    assert len(sent(replica)) <= 2 + (workers - 1)
    interrupted = raised.value
    assert isinstance(interrupted, BatchInterrupted)
    fetched = ids_in(interrupted.table)
    assert fetched | set(interrupted.unfetched_ids) == set(REAL) and not fetched & set(interrupted.unfetched_ids)
    assert interrupted.table["r:psfFlux"].unit == "nJy"  # a finished table, as a full result would be


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_in_the_progress_bar_stops_the_batch(replica, fink, monkeypatch, workers):
    steps = {"n": 0}

    def step(self):
        steps["n"] += 1
        if steps["n"] == 2:
            # workers take ids without waiting for the progress bar: on a loaded machine more than
            # two may have gone out already; what matters is what is sent after this point
            steps["sent_at_interrupt"] = len(sent(replica))
            raise KeyboardInterrupt

    monkeypatch.setattr(batch._Progress, "step", step)
    with conf.set_temp("max_ids_per_request", 1), conf.set_temp("max_workers", workers):
        with pytest.raises(BatchInterrupted) as raised:
            fp(fink, REAL)
    wait_for_workers()
    # after the interruption, at most the ids each worker had already taken are sent
    assert len(sent(replica)) <= steps["sent_at_interrupt"] + workers
    assert len(raised.value.unfetched_ids) >= len(REAL) - len(sent(replica))


def test_interrupted_answers_keep_every_id_once():
    answers = IdAnswers(table=None, failures=[(["1", "2"], RuntimeError())], unfetched_ids=["3"])
    assert BatchInterrupted(answers).unfetched_ids == ["1", "2", "3"]
    assert BatchInterrupted().unfetched_ids == []
