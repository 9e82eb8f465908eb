"""The real client against the replica's injected faults over loopback HTTP: retries, give-ups, no lost rows."""
import time
import warnings
from email.utils import formatdate
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
import requests
from astroquery.exceptions import InvalidQueryError, NoResultsWarning, RemoteServiceError, TableParseError
from astroquery.exceptions import TimeoutError as AstroqueryTimeoutError

from astroquery_fink import FinkClass, conf, retry
from astroquery_fink.exceptions import IncompleteResultError, IncompleteResultWarning
from astroquery_fink.testing import BIG_FP_OBJECT_ID, REAL_OBJECT_IDS

ID = "313761043604045880"
# seven objects with forced photometry, none at the server's row limit (which would warn)
IDS = [i for i in REAL_OBJECT_IDS if i != BIG_FP_OBJECT_ID][:7]
COLUMNS = ["r:diaObjectId", "r:diaForcedSourceId", "r:midpointMjdTai", "r:band", "r:psfFlux"]
FP = "/api/v1/fp"


@pytest.fixture(autouse=True)
def quick_retries():
    """Short waits and few attempts: the replica answers at once, the tests stay fast."""
    with conf.set_temp("retry_backoff", 0.01), conf.set_temp("max_retries", 3), conf.set_temp("timeout", 10), \
            conf.set_temp("retry_max_wait", 120), conf.set_temp("max_ids_per_request", 100), \
            conf.set_temp("max_workers", 2):
        yield


@pytest.fixture
def fink(replica_client):
    return replica_client


@pytest.fixture(scope="module")
def reference(fink_replica):
    """``reference(fmt, ids)``: what `query` returns when nothing fails (json rounds floats to 10 decimals)."""
    client = FinkClass(server=fink_replica)
    # asked before any test arms a fault (fixture setup), never from inside a test
    known = {(fmt, ids): query(client, list(ids) if isinstance(ids, tuple) else ids, fmt)
             for fmt in ("votable", "json", "parquet", "csv") for ids in (ID, tuple(IDS))}

    def expected(fmt="parquet", ids=ID):
        return known[fmt, tuple(ids) if isinstance(ids, list) else ids]

    return expected


def assert_same_table(table, expected):
    assert table.colnames == expected.colnames
    assert len(table) == len(expected)
    for name in expected.colnames:
        assert np.array_equal(np.ma.getmaskarray(table[name]), np.ma.getmaskarray(expected[name])), name
        assert np.array_equal(np.ma.filled(table[name]), np.ma.filled(expected[name])), name


def sent(replica, path=FP):
    """(status, fault, ids) of every request to ``path``, in arrival order."""
    return [(entry["status"], entry["fault"], entry["payload"]["diaObjectId"].split(","))
            for entry in replica.requests if entry["path"] == path]


def query(fink, ids=ID, fmt="parquet", **options):
    return fink.query_forced_photometry(ids, columns=COLUMNS, output_format=fmt, **options)


# --- transient failures: retried, then the whole answer -----------------------------------------------------


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_transient_failures_retried(replica, fink, reference, status):
    replica.inject(str(status), endpoint="fp", times=2)
    assert_same_table(query(fink), reference())
    assert [(s, f) for s, f, _ in sent(replica)] == [(status, str(status))] * 2 + [(200, None)]
    assert len(fink.slept) == 2
    assert all(0 <= wait <= 0.01 * 2**attempt for attempt, wait in enumerate(fink.slept))


def test_retry_after_seconds_honoured(replica, fink, reference):
    replica.inject("503", times=2, retry_after=7)
    assert_same_table(query(fink), reference())
    assert fink.slept == [7.0, 7.0]


def test_retry_after_http_date_honoured(replica, fink):
    now = 1_800_000_000  # the client's clock, fixed: the wait does not depend on how long the query took
    replica.inject("429", times=1, retry_after=formatdate(now + 30, usegmt=True))
    with mock.patch.object(retry, "time", SimpleNamespace(time=lambda: now)):
        query(fink)
    assert fink.slept == [30.0]


def test_persistent_503_gives_up_after_max_retries(replica, fink):
    replica.inject("503")
    with conf.set_temp("max_retries", 2):
        with pytest.raises(RemoteServiceError, match="HTTP 503"):
            query(fink)
    assert len(sent(replica)) == 3
    assert len(fink.slept) == 2


def test_reset_retried(replica, fink, reference):
    replica.inject("reset", times=2)
    assert_same_table(query(fink), reference())
    assert [(s, f) for s, f, _ in sent(replica)] == [(None, "reset"), (None, "reset"), (200, None)]


def test_persistent_reset_gives_up(replica, fink):
    replica.inject("reset")
    with conf.set_temp("max_retries", 1):
        with pytest.raises(RemoteServiceError, match="reset"):
            query(fink)
    assert len(sent(replica)) == 2


@pytest.mark.parametrize("fmt", ["votable", "json", "parquet", "csv"])
def test_cut_short_answer_retried(replica, fink, reference, fmt):
    replica.inject("truncated", times=1)  # full Content-Length announced, connection closed half way
    assert_same_table(query(fink, fmt=fmt), reference(fmt))
    assert [(s, f) for s, f, _ in sent(replica)] == [(200, "truncated"), (200, None)]


# --- failures that asking again does not cure: not retried ---------------------------------------------------


def formats_sent(replica, path=FP):
    return [entry["payload"]["output-format"] for entry in replica.requests if entry["path"] == path]


def test_server_crash_asked_again_once_in_csv(replica, fink):
    replica.inject("500")
    with pytest.raises(RemoteServiceError, match=r"HTTP 500.*Internal Server Error.*CSV failed too \(HTTP 500\)"):
        query(fink)
    assert formats_sent(replica) == ["parquet", "csv"] and fink.slept == []


def test_server_crash_in_csv_not_retried(replica, fink):
    replica.inject("500")
    with pytest.raises(RemoteServiceError, match="HTTP 500.*Internal Server Error"):
        query(fink, fmt="csv")
    assert formats_sent(replica) == ["csv"] and fink.slept == []


def test_refused_query_not_retried(replica, fink):
    replica.inject("400")
    with pytest.raises(InvalidQueryError, match="HTTP 400.*refuses"):
        query(fink)
    assert len(sent(replica)) == 1 and fink.slept == []


def test_slow_answer_times_out(replica, fink):
    replica.inject("slow")  # held until the test's fixture removes the fault
    with conf.set_temp("max_retries", 1), conf.set_temp("timeout", 1), \
            mock.patch.object(fink, "_request", wraps=fink._request) as request:
        with pytest.raises(AstroqueryTimeoutError, match="did not answer /api/v1/fp within 1 s") as raised:
            query(fink)
    # the client's own socket timeout ended each attempt: requests raised a read timeout, every
    # attempt was sent with the 1 s limit, and the replica still holds both requests unanswered
    assert isinstance(raised.value.__cause__, requests.ReadTimeout)
    assert [call.kwargs["timeout"] for call in request.call_args_list] == [1.0, 1.0]
    deadline = time.monotonic() + 30  # a poll, not a speed check: the log may lag behind the client
    while len(sent(replica)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent(replica) == [(None, "slow", [ID])] * 2  # a timeout is retried like a connection failure
    assert len(fink.slept) == 1  # one wait between the two attempts, recorded instead of slept


def test_sub_second_timeout_of_the_instance(replica):
    replica.inject("slow")
    client = FinkClass(server=replica.url, timeout=0.2)
    client._sleep = lambda seconds: None
    with conf.set_temp("max_retries", 0):
        with pytest.raises(AstroqueryTimeoutError, match="within 0.2 s"):
            query(client)


@pytest.mark.parametrize(("fault", "fmt"), [("malformed_votable", "votable"), ("malformed_json", "json")])
def test_malformed_answer_not_retried_nor_cached(replica, fink, reference, fault, fmt):
    replica.inject(fault, times=1)
    with pytest.raises(TableParseError, match=f"could not read the {fmt} answer"):
        query(fink, fmt=fmt, cache=True)
    assert len(sent(replica)) == 1
    assert not fink.cache_location.exists() or not any(fink.cache_location.iterdir())
    # the next call asks the server again instead of reading a cached broken answer
    assert_same_table(query(fink, fmt=fmt, cache=True), reference(fmt))
    assert len(sent(replica)) == 2


@pytest.mark.parametrize("fmt", ["votable", "json", "parquet"])
def test_half_document_not_retried_nor_cached(replica, fink, reference, fmt):
    replica.inject("truncated", variant="length", times=1)  # a complete HTTP message holding half a document
    with pytest.raises(TableParseError):
        query(fink, fmt=fmt, cache=True)
    assert len(sent(replica)) == 1
    assert_same_table(query(fink, fmt=fmt, cache=True), reference(fmt))
    assert len(sent(replica)) == 2


def test_half_csv_document_refused(replica, fink):
    replica.inject("truncated", variant="length", times=1)
    # this cut falls inside the last field (r:diaForcedSourceId) of a row: every row still has all its fields
    with pytest.raises(TableParseError):
        fink.query_forced_photometry(ID, columns="r:diaForcedSourceId,r:band", output_format="csv")


# --- the pandas-2 VOTable failure --------------------------------------------------------------------------------


def test_votable_crash_answered_in_csv(replica, fink, reference):
    replica.inject("votable_null_string_500", endpoint="sources")
    table = fink.query_sources(ID)
    assert formats_sent(replica, "/api/v1/sources") == ["votable", "csv"]
    assert table.meta["transport"] == "csv"
    replica.clear_faults()
    assert_same_table(table, fink.query_sources(ID, output_format="parquet"))


# --- split queries: every id in the result or in the failed list, exactly once -----------------------------------


@pytest.fixture
def split():
    with conf.set_temp("max_ids_per_request", 2), conf.set_temp("max_workers", 2):
        yield [IDS[k:k + 2] for k in range(0, len(IDS), 2)]


def rows_per_id(table):
    ids, counts = np.unique(np.asarray(table["r:diaObjectId"]).astype(str), return_counts=True)
    return dict(zip(ids.tolist(), counts.tolist(), strict=True))


def test_split_query_survives_transient_faults(replica, fink, reference, split):
    replica.inject("503", ids=[IDS[0]], times=1)
    replica.inject("reset", ids=[IDS[3]], times=1)
    replica.inject("truncated", ids=[IDS[6]], times=2)
    table = query(fink, IDS)
    assert_same_table(table, reference(ids=IDS))
    requests_sent = sent(replica)
    assert len(requests_sent) == len(split) + 4
    answered = [tuple(ids) for status, fault, ids in requests_sent if fault is None]
    assert all(status == 200 for status, fault, _ in requests_sent if fault is None)
    assert sorted(answered) == sorted(map(tuple, split))  # each id in exactly one answered request


@pytest.mark.parametrize("fault", ["500", "503", "malformed_votable"])
def test_split_query_failure_reported_with_failed_ids(replica, fink, reference, split, fault):
    replica.inject(fault, ids=[IDS[3]])
    with conf.set_temp("max_retries", 1):
        with pytest.raises(IncompleteResultError, match=f"of {len(IDS)} ids have no rows") as raised:
            query(fink, IDS, fmt="votable")
    error = raised.value
    # a 500 or an unreadable answer may come from one object: its request is split down to it;
    # a busy server (503) says nothing about the ids, the request's ids are all reported
    failed = [IDS[3]] if fault != "503" else split[1]
    assert error.failed_ids == failed
    returned = rows_per_id(error.table)
    assert set(returned) | set(error.failed_ids) == set(IDS)
    assert not set(returned) & set(error.failed_ids)
    expected = rows_per_id(reference("votable", IDS))
    assert returned == {i: n for i, n in expected.items() if i not in error.failed_ids}
    assert error.table["r:psfFlux"].unit == "nJy"
    (failed_chunk, cause), = error.errors
    assert failed_chunk == failed and isinstance(cause, RemoteServiceError | TableParseError)


def test_split_query_failure_as_warning(replica, fink, reference, split):
    replica.inject("500", ids=[IDS[0], IDS[5]])
    with pytest.warns(IncompleteResultWarning, match=f"2 of {len(IDS)} ids .*{IDS[0]}, {IDS[5]}"):
        table = query(fink, IDS, on_error="warn")
    assert table.meta["failed_ids"] == [IDS[0], IDS[5]]
    assert set(rows_per_id(table)) == set(IDS) - {IDS[0], IDS[5]}


def test_split_query_crash_answered_in_csv(replica, fink, split):
    replica.inject("votable_null_string_500", ids=[IDS[2]])
    table = fink.query_sources(IDS)
    # the request holding IDS[2] went again in CSV, the others stayed VOTable
    assert table.meta["transport"] == "votable,csv"
    replica.clear_faults()
    assert_same_table(table, fink.query_sources(IDS, output_format="parquet"))


@pytest.mark.parametrize("on_error", ["raise", "warn"])
def test_every_request_failed_is_not_no_data(replica, fink, split, on_error):
    replica.inject("500")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            query(fink, IDS, on_error=on_error)
        except IncompleteResultError as error:
            assert error.failed_ids == IDS
    assert not [w for w in caught if issubclass(w.category, NoResultsWarning)], [str(w.message) for w in caught]
