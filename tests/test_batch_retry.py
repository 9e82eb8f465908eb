"""Offline tests of retries and of split id queries: nothing lost, nothing doubled, failures reported."""
import json
import threading

import numpy as np
import pytest
import requests
from astroquery.exceptions import InvalidQueryError, NoResultsWarning, RemoteServiceError, TableParseError
from astroquery.exceptions import TimeoutError as AstroqueryTimeoutError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astroquery_fink import FinkClass, conf
from astroquery_fink.exceptions import IncompleteResultError, IncompleteResultWarning
from astroquery_fink.retry import RetryPolicy, retry_after_seconds

BASE_ID = 313761043604045880


def answer(status=200, body=b"[]", headers=None, content_type="application/json", url="https://fink.test/api/v1/fp"):
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers.update(headers or {})
    response.headers["Content-Type"] = content_type
    response.url = url
    response.request = requests.Request("POST", url, json={}).prepare()
    return response


def rows_for(ids):
    """The JSON answer of /api/v1/fp for ``ids``: three measurements per id, newest first."""
    rows = []
    for identifier in ids:
        for k in range(3):
            rows.append({"r:diaObjectId": int(identifier), "r:diaForcedSourceId": int(identifier) * 10 + k,
                         "r:midpointMjdTai": 61000.0 + (int(identifier) % 997) + k / 10, "r:psfFlux": 10.0 + k})
    rows.sort(key=lambda row: -row["r:midpointMjdTai"])
    return json.dumps(rows).encode()


class ScriptedServer:
    """The network at `requests.Session.request`, answering with a function of the posted body."""

    def __init__(self, respond):
        self.respond = respond
        self.bodies = []
        self.lock = threading.Lock()

    def request(self, method, url, **kwargs):
        body = kwargs.get("json")
        with self.lock:
            self.bodies.append(body)
            attempt = len(self.bodies)
        return self.respond(body, attempt)


@pytest.fixture
def scripted(monkeypatch):
    def install(respond):
        fake = ScriptedServer(respond)
        monkeypatch.setattr(requests.Session, "request", fake.request)
        return fake
    return install


def ids_of(body):
    return body["diaObjectId"].split(",")


# --- retries ---------------------------------------------------------------------------------------


def test_503_then_success_is_retried(scripted, client):
    fake = scripted(lambda body, n: answer(503) if n == 1 else answer(body=rows_for(ids_of(body))))
    table = client.query_forced_photometry(BASE_ID, output_format="json")
    assert len(table) == 3
    assert len(fake.bodies) == 2
    assert len(client.slept) == 1 and 0 <= client.slept[0] <= conf.retry_backoff


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retry_after_seconds_honoured(scripted, client, status):
    busy = answer(status, headers={"Retry-After": "7"})
    scripted(lambda body, n: busy if n < 3 else answer(body=rows_for([BASE_ID])))
    client.query_forced_photometry(BASE_ID, output_format="json")
    assert client.slept == [7.0, 7.0]


def test_retry_after_http_date():
    response = answer(503, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"})
    from email.utils import parsedate_to_datetime
    now = parsedate_to_datetime("Wed, 21 Oct 2026 07:27:30 GMT").timestamp()
    assert retry_after_seconds(response, now=now) == pytest.approx(30)
    assert retry_after_seconds(answer(503, headers={"Retry-After": "soon"})) is None


def test_backoff_grows_exponentially_with_jitter():
    policy = RetryPolicy(backoff=2.0, random=lambda: 0.5)
    assert [policy.delay(attempt) for attempt in range(4)] == [1.0, 2.0, 4.0, 8.0]


@pytest.mark.parametrize("status", [400, 404, 415, 500])
def test_other_failures_not_retried(scripted, client, status):
    fake = scripted(lambda body, n: answer(status, body=b'{"message": "no"}'))
    with pytest.raises((InvalidQueryError, RemoteServiceError)):
        client.query_forced_photometry(BASE_ID, output_format="json")
    assert len(fake.bodies) == 1
    assert client.slept == []


def test_connection_errors_retried(scripted, client):
    def respond(body, n):
        if n <= 2:
            raise requests.ConnectionError("reset by peer")
        return answer(body=rows_for(ids_of(body)))
    fake = scripted(respond)
    assert len(client.query_forced_photometry(BASE_ID, output_format="json")) == 3
    assert len(fake.bodies) == 3


def test_cut_answers_retried_then_reported(scripted, client):
    def respond(body, n):
        raise requests.exceptions.ChunkedEncodingError("connection closed before the announced length")
    fake = scripted(respond)
    with conf.set_temp("max_retries", 2):
        with pytest.raises(RemoteServiceError, match="cut short"):
            client.query_forced_photometry(BASE_ID, output_format="json")
    assert len(fake.bodies) == 3


def test_timeouts_give_up_after_max_retries(scripted, client):
    def respond(body, n):
        raise requests.ReadTimeout("slow")
    fake = scripted(respond)
    with conf.set_temp("max_retries", 3):
        with pytest.raises(AstroqueryTimeoutError, match="did not answer"):
            client.query_forced_photometry(BASE_ID, output_format="json")
    assert len(fake.bodies) == 4
    assert len(client.slept) == 3


def test_retries_switched_off(scripted, client):
    fake = scripted(lambda body, n: answer(503, body=b"busy", content_type="text/html"))
    with conf.set_temp("max_retries", 0):
        with pytest.raises(RemoteServiceError, match="HTTP 503"):
            client.query_forced_photometry(BASE_ID, output_format="json")
    assert len(fake.bodies) == 1


def test_waiting_budget_caps_retries(scripted, client):
    fake = scripted(lambda body, n: answer(503, headers={"Retry-After": "50"}))
    with conf.set_temp("retry_max_wait", 120):
        with pytest.raises(RemoteServiceError, match="HTTP 503"):
            client.query_forced_photometry(BASE_ID, output_format="json")
    assert client.slept == [50.0, 50.0]  # a third wait would pass 120 s
    assert len(fake.bodies) == 3


def test_transient_failure_not_cached(scripted, client):
    fake = scripted(lambda body, n: answer(503) if n == 1 else answer(body=rows_for(ids_of(body))))
    client.query_forced_photometry(BASE_ID, output_format="json", cache=True)
    client.query_forced_photometry(BASE_ID, output_format="json", cache=True)
    assert len(fake.bodies) == 2  # the 503, the 200; the second call is served by the cache


# --- split id queries ---------------------------------------------------------------------------------


IDS = [BASE_ID + k for k in range(7)]


@pytest.fixture
def small_chunks():
    with conf.set_temp("max_ids_per_request", 3):
        yield


def test_long_id_list_split_in_order(scripted, client, small_chunks):
    fake = scripted(lambda body, n: answer(body=rows_for(ids_of(body))))
    table = client.query_forced_photometry(IDS, output_format="json")
    sent = sorted(fake.bodies, key=lambda body: ids_of(body)[0])
    assert [ids_of(body) for body in sent] == [[str(i) for i in IDS[0:3]], [str(i) for i in IDS[3:6]], [str(IDS[6])]]
    assert len(table) == 3 * len(IDS)
    assert len(set(table["r:diaForcedSourceId"])) == len(table)
    assert np.all(np.diff(table["r:midpointMjdTai"]) <= 0)  # newest first across chunks


def test_split_result_equals_one_request(scripted, client, small_chunks):
    scripted(lambda body, n: answer(body=rows_for(ids_of(body))))
    split = client.query_forced_photometry(IDS, output_format="json")
    with conf.set_temp("max_ids_per_request", 100):
        whole = client.query_forced_photometry(IDS, output_format="json")
    assert split.colnames == whole.colnames
    for name in whole.colnames:
        assert list(split[name]) == list(whole[name]), name


def test_payload_of_a_long_list_is_the_whole_query(small_chunks):
    payload = FinkClass().query_forced_photometry(IDS, get_query_payload=True)
    assert payload["diaObjectId"] == ",".join(str(i) for i in IDS)


def test_long_list_sent_as_requests_of_max_ids(scripted, client, small_chunks):
    sent = []
    scripted(lambda body, n: sent.append(ids_of(body)) or answer(body=rows_for(ids_of(body))))
    client.query_forced_photometry(IDS, output_format="json")
    assert sorted(sent) == sorted([[str(i) for i in IDS[0:3]], [str(i) for i in IDS[3:6]], [str(IDS[6])]])


@pytest.mark.parametrize("workers", [1, 3])
def test_failed_chunk_reported_with_partial_table(scripted, client, small_chunks, workers):
    bad = str(IDS[4])
    scripted(lambda body, n: answer(500, body=b'{"message": "Internal Server Error"}')
             if bad in ids_of(body) else answer(body=rows_for(ids_of(body))))
    with conf.set_temp("max_workers", workers):
        with pytest.raises(IncompleteResultError, match="1 of 7 ids .*split.*4 more requests") as error:
            client.query_forced_photometry(IDS, output_format="json")
    # the request of IDS[3:6] was halved until IDS[4] was alone: the others' rows are there
    assert error.value.failed_ids == [bad]
    assert set(error.value.table["r:diaObjectId"]) == set(IDS) - {IDS[4]}
    assert error.value.table["r:psfFlux"].unit is not None


def test_failed_chunk_warns_on_request(scripted, client, small_chunks):
    scripted(lambda body, n: answer(504) if str(IDS[0]) in ids_of(body) else answer(body=rows_for(ids_of(body))))
    with conf.set_temp("max_retries", 1):
        with pytest.warns(IncompleteResultWarning, match=str(IDS[0])):
            table = client.query_forced_photometry(IDS, output_format="json", on_error="warn")
    assert table.meta["failed_ids"] == [str(i) for i in IDS[:3]]
    assert set(table["r:diaObjectId"]) == set(IDS[3:])


def test_warnings_of_a_split_query_point_at_the_callers_line(scripted, client, small_chunks):
    scripted(lambda body, n: answer(504) if str(IDS[0]) in ids_of(body) else answer(body=b"[]"))
    with conf.set_temp("max_retries", 0), conf.set_temp("max_workers", 3):
        with pytest.warns((IncompleteResultWarning, NoResultsWarning)) as record:
            client.query_forced_photometry(IDS, output_format="json", on_error="warn")
    assert {item.category for item in record} == {IncompleteResultWarning, NoResultsWarning}
    assert all(item.filename == __file__ for item in record)


def test_single_request_failure_keeps_its_own_error(scripted, client):
    scripted(lambda body, n: answer(500, body=b'{"message": "Internal Server Error"}'))
    with pytest.raises(RemoteServiceError, match="HTTP 500") as error:
        client.query_forced_photometry(BASE_ID, output_format="json")
    assert not isinstance(error.value, IncompleteResultError)


def test_bad_on_error_refused(scripted, client):
    fake = scripted(lambda body, n: answer())
    with pytest.raises(InvalidQueryError, match="on_error"):
        client.query_forced_photometry(BASE_ID, on_error="ignore")
    assert fake.bodies == []


def test_rows_of_other_objects_dropped(scripted, client):
    # The server matches an id as a row-key prefix: make it answer rows of an extra object too.
    scripted(lambda body, n: answer(body=rows_for(ids_of(body) + [str(BASE_ID + 1000)])))
    table = client.query_forced_photometry(BASE_ID, output_format="json")
    assert set(table["r:diaObjectId"]) == {BASE_ID}


def test_progress_bar_silent_when_not_a_terminal(scripted, client, small_chunks, capsys):
    scripted(lambda body, n: answer(body=rows_for(ids_of(body))))
    client.query_forced_photometry(IDS, output_format="json")
    assert capsys.readouterr().err == ""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(1, 4), workers=st.integers(1, 3),
       faults=st.lists(st.sampled_from(["ok", "500", "503", "reset", "timeout", "bad json"]), min_size=1, max_size=12))
def test_no_id_lost_or_doubled_whatever_fails(scripted, client, size, workers, faults):
    """Rows returned + ids reported failed = every id asked, for any pattern of faults."""
    ids = IDS[:len(faults)] + IDS[:1]  # a duplicate too
    fault_of = {str(identifier): fault for identifier, fault in zip(IDS, faults, strict=False)}

    def respond(body, n):
        kinds = {fault_of[i] for i in ids_of(body)}
        if "reset" in kinds:
            raise requests.ConnectionError("reset")
        if "timeout" in kinds:
            raise requests.ReadTimeout("slow")
        if "500" in kinds:
            return answer(500, body=b'{"message": "Internal Server Error"}')
        if "503" in kinds:
            return answer(503, body=b"busy", content_type="text/html")
        if "bad json" in kinds:
            return answer(body=b'[{"r:diaObjectId": 1')
        return answer(body=rows_for(ids_of(body)))

    scripted(respond)
    asked = {str(i) for i in ids}
    with conf.set_temp("max_ids_per_request", size), conf.set_temp("max_workers", workers), \
            conf.set_temp("max_retries", 1):
        try:
            with warnings_ignored():
                table = client.query_forced_photometry(ids, output_format="json")
            failed = []
        except IncompleteResultError as error:
            table, failed = error.table, error.failed_ids
        except (RemoteServiceError, AstroqueryTimeoutError, TableParseError) as error:  # one request: its own error
            assert len(asked) <= size, error
            table, failed = None, sorted(asked)
    returned = set() if table is None or not len(table) else {str(i) for i in table["r:diaObjectId"]}
    assert returned | set(failed) == asked
    assert not returned & set(failed)
    assert len(failed) == len(set(failed))
    if table is not None and len(table):
        assert len(set(table["r:diaForcedSourceId"])) == len(table)
        assert len(table) == 3 * len(returned)


class warnings_ignored:
    """Silence NoResultsWarning inside the property test (an all-failed split gives an empty table)."""

    def __enter__(self):
        import warnings
        self._context = warnings.catch_warnings()
        self._context.__enter__()
        warnings.simplefilter("ignore", NoResultsWarning)

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


def test_progress_bar_drawn_on_a_terminal(scripted, client, small_chunks, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    scripted(lambda body, n: answer(body=rows_for(ids_of(body))))
    client.query_forced_photometry(IDS, output_format="json")
    drawn = terminal.getvalue()
    assert "3 /  3  (100.00%)" in drawn  # three requests of at most 3 ids for 7 ids
    terminal.seek(0)
    terminal.truncate()
    client.query_forced_photometry(IDS, output_format="json", verbose=False)
    assert terminal.getvalue() == ""
