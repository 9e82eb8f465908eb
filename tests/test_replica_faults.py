"""The replica's fault injection, request log, extra objects and command line, over real HTTP (no client code)."""
import io
import json
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import numpy as np
import pytest
import requests
from astropy.io import votable

from astroquery_fink.testing import REAL_OBJECT_IDS, FinkReplica, create_app, extra_object_ids, generate_dataset
from astroquery_fink.testing.dataset import TABLES, default_dataset
from astroquery_fink.testing.extra import add_extra_objects

from .replica_http import HTML, INTERNAL, first_row_has_null_boolean

ID = "313761043604045880"
OTHER = "314003014107006318"
FP = "/api/v1/fp"
CORS = "Access-Control-Allow-Origin"


@pytest.fixture
def url(replica):
    return replica.url


def post(url, path=FP, timeout=10, **payload):
    payload.setdefault("diaObjectId", ID)
    payload.setdefault("output-format", "json")
    return requests.post(url + path, json=payload, timeout=timeout)


def raw_post(url, path=FP, payload=None):
    """POST over a bare socket; returns (status line, headers, body bytes received until the peer closed)."""
    parts = urlsplit(url)
    body = json.dumps(payload or {"diaObjectId": ID, "output-format": "json"}).encode()
    request = (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, data = received.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    return status, headers, data


def statuses(replica):
    return [entry["status"] for entry in replica.requests]


def wait_until(condition, deadline=30):
    """Poll ``condition`` until it holds; the deadline only keeps a broken replica from hanging the run."""
    end = time.monotonic() + deadline
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)
    return condition()


# --- each fault on the wire ------------------------------------------------------------------------------


def test_500_is_the_answer_of_a_crashing_route(replica, url):
    # a JSON number as diaObjectId makes the server's code raise (no type validation): the genuine crash
    crash = requests.post(url + FP, json={"diaObjectId": 5})
    replica.inject("500")
    injected = post(url)
    assert (injected.status_code, injected.content) == (500, INTERNAL)
    drop = ("Date", "Content-Length")
    assert {k: v for k, v in injected.headers.items() if k not in drop} == {
        k: v for k, v in crash.headers.items() if k not in drop}
    assert injected.headers[CORS] == "*"


def test_400_is_a_python_dict_refusal(replica, url):
    replica.inject("400")
    response = post(url)
    assert (response.status_code, response.headers["Content-Type"]) == (400, HTML)
    assert response.text.startswith("{'status': 'error', 'text': ")


@pytest.mark.parametrize(("status", "reason"), [(429, "Too Many Requests"), (502, "Bad Gateway"),
                                                (503, "Service Temporarily Unavailable"), (504, "Gateway Time-out")])
def test_front_end_errors(replica, url, status, reason):
    replica.inject(str(status))
    response = post(url)
    assert (response.status_code, response.reason) == (status, reason)
    assert response.headers["Content-Type"] == "text/html"
    assert f"<title>{status} {reason}</title>".encode() in response.content
    assert b"<center>nginx</center>" in response.content and b"\r\n" in response.content
    # the front end answered, not the app: no CORS headers, no Retry-After unless asked
    assert CORS not in response.headers and "Retry-After" not in response.headers


@pytest.mark.parametrize(("retry_after", "header"), [(7, "7"), (2.0, "2"), (1.5, "1.5"),
                                                     ("Wed, 21 Oct 2026 07:28:00 GMT",
                                                      "Wed, 21 Oct 2026 07:28:00 GMT")])
def test_retry_after_header(replica, url, retry_after, header):
    replica.inject("503", retry_after=retry_after)
    assert post(url).headers["Retry-After"] == header


def test_slow_answer_times_out_then_is_released(replica, url):
    fault = replica.inject("slow")  # no delay: held until the fault is removed
    with pytest.raises(requests.ReadTimeout):  # the client's socket timeout ends the wait, not an answer
        post(url, timeout=0.2)
    # the server got the request and still holds it, unanswered
    assert wait_until(lambda: statuses(replica) == [None])
    assert fault.hits == 1
    fault.remove()
    # the held request now answers its (gone) client
    assert wait_until(lambda: statuses(replica) == [200])


def test_slow_answer_with_delay(replica, url):
    # a delay longer than any test run: the request is held (no answer) until the fault goes
    fault = replica.inject("slow", delay=3600)
    with pytest.raises(requests.ReadTimeout):
        post(url, timeout=0.2)
    assert wait_until(lambda: statuses(replica) == [None])
    fault.remove()
    assert wait_until(lambda: statuses(replica) == [200])
    # a short delay ends by itself, with the normal answer
    replica.clear_requests()
    replica.inject("slow", delay=0.05)
    assert post(url).status_code == 200
    assert [(entry["status"], entry["fault"]) for entry in replica.requests] == [(200, "slow")]


def test_delay_holds_any_fault(replica, url):
    fault = replica.inject("504", delay=3600)
    with pytest.raises(requests.ReadTimeout):
        post(url, timeout=0.2)
    # held first, unanswered...
    assert wait_until(lambda: [(entry["status"], entry["fault"]) for entry in replica.requests] == [(None, "504")])
    fault.remove()
    # ...then the fault's own answer once released
    assert wait_until(lambda: statuses(replica) == [504])
    replica.inject("504", delay=0.05)
    assert post(url).status_code == 504


def test_held_request_does_not_block_stop():
    replica = FinkReplica()
    url = replica.start()
    replica.inject("slow")
    outcome = []

    def ask():
        try:
            outcome.append(post(url, timeout=3600).status_code)  # no client timeout will end it
        except requests.RequestException as error:
            outcome.append(type(error))

    asker = threading.Thread(target=ask)
    asker.start()
    assert wait_until(lambda: replica.requests)  # the request is held by the server
    stopper = threading.Thread(target=replica.stop)
    stopper.start()
    stopper.join(60)  # a bound for a broken stop(), not a speed requirement
    assert not stopper.is_alive(), "stop() waits for the held request"
    asker.join(60)
    # stop() released the held request, which got the normal answer
    assert outcome == [200] and not asker.is_alive()


def test_truncated_announces_full_length_then_closes(replica, url):
    full = post(url).content
    replica.inject("truncated")
    status, headers, body = raw_post(url)
    assert status == "HTTP/1.1 200 OK"
    assert int(headers["content-length"]) == len(full)
    assert body == full[: len(full) // 2]
    replica.inject("truncated")
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        post(url)


def test_truncated_with_matching_length(replica, url):
    full = post(url, **{"output-format": "votable"}).content
    replica.inject("truncated", variant="length")
    response = post(url, **{"output-format": "votable"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/xml"
    assert int(response.headers["Content-Length"]) == len(response.content) == len(full) // 2
    assert response.content == full[: len(full) // 2]


def test_malformed_votable(replica, url):
    replica.inject("malformed_votable")
    response = post(url, **{"output-format": "votable"})
    assert (response.status_code, response.headers["Content-Type"]) == (200, "text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    with pytest.raises(Exception, match="mismatched tag"):
        votable.parse(io.BytesIO(response.content), verify="ignore")


def test_malformed_json(replica, url):
    replica.inject("malformed_json")
    response = post(url)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "application/json")
    with pytest.raises(ValueError):
        response.json()


def test_reset_sends_no_answer(replica, url):
    replica.inject("reset")
    with pytest.raises(ConnectionResetError):
        raw_post(url)  # a RST, not a FIN: recv fails instead of returning the end of the stream
    with pytest.raises(requests.ConnectionError):
        post(url)
    assert [(entry["status"], entry["fault"]) for entry in replica.requests] == [(None, "reset")] * 2


def test_votable_null_string_500_on_pandas3_replica(replica, url):
    fault = replica.inject("votable_null_string_500", times=1)
    # an object whose full VOTable the pandas-3 replica writes (its newest alert has an isDipole value)
    writable = "170261592629837872"
    # a full JSON read and a VOTable of chosen columns do not meet the condition: not counted
    assert post(url, "/api/v1/sources", diaObjectId=writable).status_code == 200
    assert post(url, "/api/v1/sources", diaObjectId=writable, columns="r:band,r:psfFlux",
                **{"output-format": "votable"}).status_code == 200
    assert fault.hits == 0
    crash = post(url, "/api/v1/sources", diaObjectId=writable, **{"output-format": "votable"})
    assert (crash.status_code, crash.content, crash.headers["Content-Type"]) == (500, INTERNAL, "application/json")
    # times=1 spent
    assert post(url, "/api/v1/sources", diaObjectId=writable, **{"output-format": "votable"}).status_code == 200
    assert [entry["fault"] for entry in replica.requests] == [None, None, "votable_null_string_500", None]


# --- matching, counting, removing ------------------------------------------------------------------------


def test_times_counts_matching_requests(replica, url):
    fault = replica.inject("503", times=2)
    assert [post(url).status_code for _ in range(3)] == [503, 503, 200]
    assert (fault.hits, fault.remaining, fault.active) == (2, 0, False)


def test_ids_match_any_id_of_the_request(replica, url):
    replica.inject("500", ids=[int(ID)])
    assert post(url, diaObjectId=OTHER).status_code == 200
    assert post(url, diaObjectId=f"{OTHER}, {ID}").status_code == 500
    assert requests.get(url + FP, params={"diaObjectId": ID}).status_code == 500  # query string too
    assert post(url, diaObjectId=ID[:-1]).status_code == 200  # whole ids, not prefixes


def test_endpoint_matches_short_names_and_paths(replica, url):
    replica.inject("502", endpoint="objects")
    replica.inject("504", endpoint=["/api/v1/sources", "api/v1/conesearch"])
    assert post(url).status_code == 200
    assert post(url, "/api/v1/objects").status_code == 502
    assert post(url, "/api/v1/sources").status_code == 504
    assert requests.post(url + "/api/v1/conesearch", json={"ra": 0, "dec": 0, "radius": 1}).status_code == 504


def test_first_matching_fault_applies(replica, url):
    replica.inject("502", ids=[ID], times=1)
    replica.inject("503")
    assert [post(url).status_code for _ in range(2)] == [502, 503]


def test_clear_faults_and_remove(replica, url):
    with replica.inject("502"):
        assert post(url).status_code == 502
    assert post(url).status_code == 200
    replica.inject("503")
    replica.inject("504", endpoint="objects")
    assert len(replica.faults) == 2
    replica.clear_faults()
    assert replica.faults == [] and post(url).status_code == 200


@pytest.mark.parametrize(("fault", "options", "message"), [
    ("418", {}, "unknown fault"),
    ("500", {"retry_after": 5}, "retry_after"),
    ("503", {"retry_after": -1}, "retry_after"),
    ("503", {"times": -1}, "times"),
    ("slow", {"delay": "1"}, "delay"),
    ("truncated", {"variant": "half"}, "variant"),
    ("reset", {"variant": "close"}, "variant"),
    ("503", {"ids": []}, "ids"),
    ("503", {"endpoint": ""}, "endpoint"),
])
def test_bad_injections_refused(replica, fault, options, message):
    with pytest.raises(ValueError, match=message):
        replica.inject(fault, **options)


# --- request log -----------------------------------------------------------------------------------------


def test_request_log(replica, url):
    before = time.time()
    post(url, columns="r:psfFlux")
    requests.get(url + "/api/v1/objects", params={"diaObjectId": OTHER})
    requests.post(url + FP, data=b"not json", headers={"Content-Type": "application/json"})
    first, second, third = replica.requests
    assert first == {"method": "POST", "path": FP, "status": 200, "fault": None, "time": first["time"],
                     "payload": {"diaObjectId": ID, "output-format": "json", "columns": "r:psfFlux"}}
    assert (second["method"], second["path"], second["payload"]) == ("GET", "/api/v1/objects", {"diaObjectId": OTHER})
    assert (third["status"], third["payload"]) == (400, None)
    assert before <= first["time"] <= second["time"] <= third["time"] <= time.time()
    replica.clear_requests()
    assert replica.requests == []


def test_request_log_is_bounded():
    replica = FinkReplica(request_log_size=2)
    with replica as url:
        for object_id in REAL_OBJECT_IDS[:3]:
            post(url, diaObjectId=object_id)
    assert [entry["payload"]["diaObjectId"] for entry in replica.requests] == list(REAL_OBJECT_IDS[1:3])


def test_answers_unchanged_without_faults(replica, url):
    """Over HTTP through the fault middleware, byte for byte what the bare app answers."""
    app = create_app().test_client()
    cases = [("/api/v1/fp", {"diaObjectId": ID, "output-format": "parquet"}),
             ("/api/v1/sources", {"diaObjectId": f"{ID},{OTHER}", "output-format": "votable", "columns": "r:band"}),
             ("/api/v1/objects", {"diaObjectId": OTHER, "output-format": "csv"}),
             ("/api/v1/fp", {"output-format": "json"})]
    for path, payload in cases:
        over_http = requests.post(url + path, json=payload)
        direct = app.post(path, json=payload)
        assert (over_http.status_code, over_http.content) == (direct.status_code, direct.data)
        assert over_http.headers["Content-Type"] == direct.headers["Content-Type"]


# --- extra objects ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scaled():
    replica = FinkReplica(extra_objects=300, extra_fp_rows=7)
    with replica as url:
        yield replica, url


def test_extra_object_ids(scaled):
    replica, _ = scaled
    ids = replica.dataset.extra_object_ids
    assert ids == tuple(extra_object_ids(300))
    assert len(set(ids)) == 300 and all(len(i) == 18 and i.isdigit() for i in ids)
    assert len({i[-3:] for i in ids}) == 300  # salts spread over the row-key space
    assert not set(ids) & {str(i) for i in default_dataset().tables[TABLES["objects"]]["r:diaObjectId"]}


def test_extra_objects_served(scaled):
    replica, url = scaled
    some = list(replica.dataset.extra_object_ids[::60])
    fp = post(url, diaObjectId=",".join(some)).json()
    assert len(fp) == 7 * len(some)
    assert {str(row["r:diaObjectId"]) for row in fp} == set(some)
    sources = post(url, "/api/v1/sources", diaObjectId=",".join(some)).json()
    objects = post(url, "/api/v1/objects", diaObjectId=",".join(some)).json()
    per_object = {i: sum(str(row["r:diaObjectId"]) == i for row in sources) for i in some}
    assert all(1 <= n <= 5 for n in per_object.values())
    for row in objects:
        identifier = str(row["r:diaObjectId"])
        assert row["r:nDiaSources"] == per_object[identifier]
        assert sum(row[f"r:{b}_psfFluxNdata"] for b in "ugrizy") == per_object[identifier]
        assert row["r:salt"] == identifier[-3:]
    # full reads in every format; a VOTable fails where the first row has a null boolean, as on the server
    for path in ("/api/v1/sources", "/api/v1/objects", FP):
        rows = post(url, path, diaObjectId=",".join(some)).json()
        expected = 500 if first_row_has_null_boolean(rows) else 200
        assert post(url, path, diaObjectId=",".join(some), **{"output-format": "votable"}).status_code == expected
        for fmt in ("parquet", "csv"):
            assert post(url, path, diaObjectId=",".join(some), **{"output-format": fmt}).status_code == 200


def test_base_objects_unchanged_by_extras(scaled):
    _, url = scaled
    plain = create_app().test_client()
    for path in ("/api/v1/sources", "/api/v1/objects", FP):
        payload = {"diaObjectId": ID, "output-format": "json"}
        assert requests.post(url + path, json=payload).content == plain.post(path, json=payload).data


def test_extra_objects_deterministic_and_prefix_stable():
    base = default_dataset()
    small = add_extra_objects(base, 10, 4)
    large = add_extra_objects(base, 1500, 4)  # past one generation block
    again = add_extra_objects(base, 1500, 4)
    for name in (TABLES["sources"], TABLES["objects"], TABLES["fp"]):
        assert large.tables[name].equals(again.tables[name])
        rows = small.tables[name].index.difference(base.tables[name].index)
        assert small.tables[name].loc[rows].equals(large.tables[name].loc[rows])
    more = add_extra_objects(small, 5, 4)  # numbered on from the dataset's own extras
    assert more.extra_object_ids == tuple(extra_object_ids(15))


def test_generate_dataset_and_create_app_take_extras():
    dataset = generate_dataset(extra_objects=3, extra_fp_rows=2)
    assert dataset.extra_object_ids == tuple(extra_object_ids(3))
    client = create_app(extra_objects=3, extra_fp_rows=2).test_client()
    rows = client.post(FP, json={"diaObjectId": dataset.extra_object_ids[1]}).get_json()
    assert len(rows) == 2


def test_extra_objects_without_fp_rows():
    dataset = add_extra_objects(default_dataset(), 4, 0)
    fp, base = dataset.tables[TABLES["fp"]], default_dataset().tables[TABLES["fp"]]
    assert len(fp) == len(base)
    assert len(dataset.tables[TABLES["objects"]]) == len(default_dataset().tables[TABLES["objects"]]) + 4


@pytest.mark.parametrize(("count", "rows"), [(-1, 20), (1.5, 20), (10, -3), (2_000_000, 1)])
def test_bad_extra_counts_refused(count, rows):
    with pytest.raises(ValueError, match="extra_"):
        add_extra_objects(default_dataset(), count, rows)


def test_five_thousand_extra_objects():
    # how long the generation takes is for benchmarks/, not for a unit test on a loaded machine
    replica = FinkReplica(extra_objects=5000, extra_fp_rows=20)
    with replica as url:
        last = replica.dataset.extra_object_ids[-1]
        assert len(post(url, diaObjectId=last).json()) == 20
    table = replica.dataset.tables[TABLES["fp"]]
    assert len(table) == len(default_dataset().tables[TABLES["fp"]]) + 5000 * 20


# --- command line ----------------------------------------------------------------------------------------


def test_command_line_serves_until_killed():
    command = [sys.executable, "-m", "astroquery_fink.testing", "--port", "0", "--extra-objects", "50",
               "--extra-fp-rows", "3", "--nlimit", "none", "--pandas-major", "2"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        watchdog = threading.Timer(60, process.kill)  # never hang the test run on a stuck child
        watchdog.start()
        try:
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:"), process.stderr.read()
            rows = post(url, diaObjectId=extra_object_ids(50)[-1]).json()
            assert len(rows) == 3
            # pandas-2 flavour: the VOTable of a full sources read fails (text columns null in every row)
            assert post(url, "/api/v1/sources", **{"output-format": "votable"}).status_code == 500
            process.terminate()
            assert process.wait(10) == 0
            assert "replica" in process.stderr.read()
        finally:
            watchdog.cancel()
            process.kill()


@pytest.mark.parametrize("argument", [["--nlimit", "many"], ["--extra-objects", "-2"]])
def test_command_line_refuses_bad_arguments(argument):
    result = subprocess.run([sys.executable, "-m", "astroquery_fink.testing", *argument], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert "error" in result.stderr


def test_extra_object_dates_consistent(scaled):
    replica, _ = scaled
    objects = replica.dataset.tables[TABLES["objects"]]
    extra = objects[objects["r:diaObjectId"].astype(str).isin(replica.dataset.extra_object_ids)]
    assert np.all(extra["f:firstDiaSourceMjdTaiFink"] <= extra["r:lastDiaSourceMjdTai"])
