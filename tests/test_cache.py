"""The answer cache (astroquery_fink.cache): damaged entries, concurrent writers, nothing unreadable kept."""
import http.server
import multiprocessing
import pickle
import threading

import pytest
import requests
from astroquery import cache_conf
from astroquery.exceptions import TableParseError

from astroquery_fink import FinkClass
from astroquery_fink.cache import read_entry, write_entry

from .recorded import assert_same_table

ID = 313761043604045880
COLUMNS = ["r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux"]
FP = "/api/v1/fp"


@pytest.fixture
def fink(replica_client):
    return replica_client


def query(fink, fmt="votable"):
    return fink.query_forced_photometry(ID, columns=COLUMNS, output_format=fmt, cache=True)


def sent(replica):
    return sum(entry["path"] == FP for entry in replica.requests)


def entries(fink):
    return sorted(fink.cache_location.glob("*.pickle"))


def leftovers(fink):
    return sorted(path.name for path in fink.cache_location.iterdir() if path.suffix != ".pickle")


def a_response(content, status=200):
    response = requests.Response()
    response._content, response.status_code, response.url = content, status, "http://fink.example.org/api/v1/fp"
    return response


# --- a damaged entry is removed and fetched again -----------------------------------------------------------

DAMAGES = {
    "cut in half": lambda good: good[:len(good) // 2],
    "last byte missing": lambda good: good[:-1],
    "garbage": lambda good: b"\x80\x04\x95 not a pickle at all \xff" * 100,
    "empty file": lambda good: b"",
    "another object": lambda good: pickle.dumps({"status_code": 200}),
    "a response without its body": lambda good: pickle.dumps(requests.Response()),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_entry_is_fetched_again_and_replaced(replica, fink, damage):
    expected = query(fink)
    (entry,) = entries(fink)
    entry.write_bytes(DAMAGES[damage](entry.read_bytes()))
    assert_same_table(query(fink), expected)
    assert sent(replica) == 2
    # the entry was written again, whole: the next call is served by the cache
    assert read_entry(entry).status_code == 200
    assert_same_table(query(fink), expected)
    assert sent(replica) == 2
    assert leftovers(fink) == []


def test_damaged_entry_is_logged(replica, fink, caplog):
    query(fink)
    (entry,) = entries(fink)
    entry.write_bytes(b"garbage")
    query(fink)
    assert "Removed the unreadable cache entry" in caplog.text


def test_unwritable_entry_does_not_fail_the_call(replica, fink, caplog):
    expected = query(fink)
    (entry,) = entries(fink)
    # a directory where the entry should be: it can be neither read nor replaced
    entry.unlink()
    entry.mkdir()
    (entry / "keep").write_bytes(b"")
    assert_same_table(query(fink), expected)
    assert "Could not cache the answer" in caplog.text
    assert leftovers(fink) == []


def test_expired_entry_is_fetched_again(replica, fink):
    query(fink)
    with cache_conf.set_temp("cache_timeout", 0):
        query(fink)
    assert sent(replica) == 2
    query(fink)  # the default, no timeout: the fresh entry is used
    assert sent(replica) == 2


def test_cache_false_neither_reads_nor_writes(replica, fink):
    query(fink)
    (entry,) = entries(fink)
    entry.write_bytes(b"garbage")
    fink.query_forced_photometry(ID, columns=COLUMNS, cache=False)
    assert sent(replica) == 2
    assert entry.read_bytes() == b"garbage"


def test_clear_cache_removes_partial_files(fink):
    fink.cache_location.mkdir(parents=True, exist_ok=True)
    (fink.cache_location / "abc.pickle").write_bytes(b"")
    (fink.cache_location / ".abc.x1y2.part").write_bytes(b"half")
    fink.clear_cache()
    assert list(fink.cache_location.iterdir()) == []


# --- nothing unreadable is cached ---------------------------------------------------------------------------

def test_malformed_answer_is_not_cached(replica, fink):
    replica.inject("malformed_votable", times=1)
    with pytest.raises(TableParseError):
        query(fink)
    assert entries(fink) == []
    assert len(query(fink)) > 0
    assert sent(replica) == 2


def test_error_answers_are_never_written(tmp_path, monkeypatch):
    client = FinkClass(server="http://fink.example.org")
    client.cache_location = tmp_path
    for status in (400, 404, 500, 503):
        monkeypatch.setattr(requests.Session, "request", lambda *args, status=status, **kwargs:
                            a_response(b"error page", status))
        response = client._request("POST", client.server + FP, json={"status": status}, cache=True)
        assert response.status_code == status
        assert client._last_query is not None  # still named, for the caller to evict
    assert list(tmp_path.iterdir()) == []


class _DuplicateColumns(http.server.BaseHTTPRequestHandler):
    """Answers every POST with a CSV table whose header names one column twice."""

    body = b"r:diaObjectId,r:psfFlux,r:psfFlux\n313761043604045880,1.5,2.5\n"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def duplicate_columns_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DuplicateColumns)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_answer_with_duplicate_column_names_is_not_cached(duplicate_columns_server, tmp_path):
    client = FinkClass(server=duplicate_columns_server)
    client.cache_location = tmp_path
    with pytest.raises((ValueError, TableParseError), match="[Dd]uplicate"):
        client.query_forced_photometry(ID, output_format="csv", cache=True)
    assert list(tmp_path.glob("*.pickle")) == []


# --- concurrent writers and readers, in separate processes ------------------------------------------------

SIZE = 1 << 20  # 1 MiB bodies: a write takes many system calls, a reader can meet it half done


def _write_and_read(path, index, rounds, start):
    """Write this process's answer and read the entry back, ``rounds`` times; return what was wrong."""
    mine = a_response(bytes([index]) * SIZE)
    start.wait()
    problems = []
    for _ in range(rounds):
        write_entry(mine, path)
        response = read_entry(path)  # never missing: a rename replaces the entry without removing it
        if response is None:
            problems.append("no entry")
        elif len(response.content) != SIZE or len(set(response.content)) != 1:
            problems.append(f"partial entry of {len(response.content)} bytes")
    return problems


def test_concurrent_writers_never_leave_a_partial_entry(tmp_path):
    path = tmp_path / "entry.pickle"
    processes = 4
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(processes) as pool:
        start = manager.Barrier(processes)
        results = [pool.apply_async(_write_and_read, (path, index, 40, start)) for index in range(processes)]
        problems = [problem for result in results for problem in result.get(timeout=300)]
    assert problems == []
    assert len(read_entry(path).content) == SIZE
    assert [entry.name for entry in tmp_path.iterdir()] == ["entry.pickle"]


def _call_in_rounds(url, cache_dirs, calls, start):
    """In each of ``cache_dirs`` (empty), after all processes are ready, make ``calls`` cached calls."""
    failures = []
    for cache_dir in cache_dirs:
        fink = FinkClass(server=url)
        fink.cache_location = cache_dir
        start.wait()
        for _ in range(calls):
            try:
                # every column: an answer of about 0.5 MB, long enough to write that readers meet it unfinished
                if len(fink.query_forced_photometry(ID, cache=True)) == 0:
                    failures.append("empty table")
            except Exception as error:
                failures.append(f"{type(error).__name__}: {error}")
    return failures


def test_processes_sharing_an_empty_cache_never_crash(replica, tmp_path):
    processes, rounds = 4, 6
    cache_dirs = [tmp_path / f"round{index}" for index in range(rounds)]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(processes) as pool:
        start = manager.Barrier(processes)
        results = [pool.apply_async(_call_in_rounds, (replica.url, cache_dirs, 3, start)) for _ in range(processes)]
        failures = [failure for result in results for failure in result.get(timeout=300)]
    assert failures == []
    # all calls of a round ask the same: one entry each, whole
    assert all(read_entry(entry).status_code == 200 for directory in cache_dirs for entry in directory.iterdir())
