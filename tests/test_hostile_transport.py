"""
The transport against hostile or broken servers: loopback servers started here misbehave on purpose.

Each case checks what the user sees (the exception and its words) and how many requests the
server got; none checks how fast the client is.
"""
import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import urllib3
from astroquery.exceptions import InvalidQueryError, RemoteServiceError, TableParseError
from astroquery.exceptions import TimeoutError as AstroqueryTimeoutError

from astroquery_fink import FinkClass, conf, transport
from astroquery_fink.exceptions import InvalidServerError, ResponseTooLargeError
from astroquery_fink.retry import unreachable

BLOCKS = json.dumps({"r": "Rubin fields", "f": "Fink fields"}).encode()
ID = 313761043604045880
HOLD = 20  # seconds a misbehaving handler keeps going at most, should the client not stop it


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.log.append((self.command, self.path))
        try:
            self.server.behave(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # the client hung up: what a bounded client does

    do_GET = do_POST = _handle


class Hostile:
    """A loopback HTTP server whose every answer is ``behave(handler)``; ``log`` lists (method, path)."""

    def __init__(self, behave):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.behave = behave
        self.server.log = self.log = []
        self.stop = threading.Event()  # set at teardown: ends the handlers still holding a connection
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile():
    servers = []

    def start(behave):
        servers.append(Hostile(behave))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


@pytest.fixture
def client_of(tmp_path):
    def make(server, timeout=None):
        client = FinkClass(server=server.url if isinstance(server, Hostile) else server, timeout=timeout)
        client.cache_location = tmp_path / "cache"
        client.slept = []
        client._sleep = client.slept.append  # retries record their waits instead of sleeping
        return client
    return make


def answer(handler, body=BLOCKS, status=200, headers=()):
    handler.send_response(status)
    for name, value in dict({"Content-Type": "application/json", "Content-Length": str(len(body))},
                            **dict(headers)).items():
        if value is not None:
            handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def hold(server, step, pause=0.05):
    """Call ``step()`` every ``pause`` s until the test ends (at most HOLD s)."""
    end = time.monotonic() + HOLD
    while not server.stop.is_set() and time.monotonic() < end:
        step()
        server.stop.wait(pause)


# --- deadlines ------------------------------------------------------------------------------


def test_trickled_body_ends_at_the_timeout(hostile, client_of):
    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        hold(server, lambda: (handler.wfile.write(b"abc"), handler.wfile.flush()))
    server = hostile(trickle)
    client = client_of(server, timeout=0.5)
    with conf.set_temp("max_retries", 1):
        with pytest.raises(AstroqueryTimeoutError, match=r"did not answer /api/v1/blocks within 0\.5 s \(the last "
                           r"attempt stopped after 0\.\d s; 2 attempts in") as raised:
            client.list_blocks(cache=False)
    assert isinstance(raised.value.__cause__, transport.AnswerTimeout)
    assert server.log == [("GET", "/api/v1/blocks")] * 2  # a timeout is retried once here
    assert len(client.slept) == 1


def test_trickled_headers_end_at_the_timeout(hostile, client_of):
    def trickle(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        hold(server, lambda: (handler.wfile.write(b"X"), handler.wfile.flush()))
    server = hostile(trickle)
    with conf.set_temp("max_retries", 0):
        with pytest.raises(AstroqueryTimeoutError, match=r"within 0\.4 s"):
            client_of(server, timeout=0.4).list_blocks(cache=False)
    assert len(server.log) == 1


def test_silent_server_message_states_elapsed_time(hostile, client_of):
    server = hostile(lambda handler: server.stop.wait(HOLD))
    with conf.set_temp("max_retries", 2):
        with pytest.raises(AstroqueryTimeoutError, match=r"within 0\.3 s .*3 attempts in \d+\.\d s"):
            client_of(server, timeout=0.3).list_blocks(cache=False)
    assert len(server.log) == 3


def test_max_total_time_bounds_the_call_with_its_retries(hostile, client_of):
    server = hostile(lambda handler: server.stop.wait(HOLD))
    client = client_of(server, timeout=0.3)
    with conf.set_temp("max_retries", 50), conf.set_temp("max_total_time", 0.8), conf.set_temp("retry_backoff", 0.01):
        with pytest.raises(AstroqueryTimeoutError, match=r"gave up after \d+\.\d s of its 0\.8 s limit "
                           r"\(conf\.max_total_time\), with no time left for another attempt \(\d attempts in"):
            client.list_blocks(cache=False)
    assert 1 <= len(server.log) < 51  # the retries were cut short by the call's limit


def test_max_total_time_covers_every_request_of_a_split_id_list(hostile, client_of):
    server = hostile(lambda handler: server.stop.wait(HOLD))
    client = client_of(server, timeout=0.3)
    ids = list(range(ID, ID + 40))
    with conf.set_temp("max_retries", 50), conf.set_temp("max_total_time", 0.8), conf.set_temp("retry_backoff", 0.01), \
            conf.set_temp("max_ids_per_request", 2), conf.set_temp("max_workers", 2):
        with pytest.raises(RemoteServiceError) as raised:
            client.query_object(ids, output_format="json", verbose=False)
    assert "conf.max_total_time" in str(raised.value) or any(
        "conf.max_total_time" in str(error) for _, error in getattr(raised.value, "errors", []))
    assert len(server.log) < 20  # most of the 20 requests were never sent: the call's time was spent


def test_wait_in_retry_never_passes_the_call_deadline(hostile, client_of):
    server = hostile(lambda handler: answer(handler, b"busy", status=503, headers={"Retry-After": "3600"}))
    client = client_of(server)
    with conf.set_temp("max_total_time", 60), conf.set_temp("retry_max_wait", 10_000):
        with pytest.raises(RemoteServiceError, match="HTTP 503"):
            client.list_blocks(cache=False)
    assert client.slept == [] and len(server.log) == 1


# --- sizes ----------------------------------------------------------------------------------


def test_endless_body_is_refused_at_the_limit(hostile, client_of):
    def endless(handler):
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        hold(server, lambda: handler.wfile.write(b"x" * 65536), pause=0)
    server = hostile(endless)
    with conf.set_temp("max_response_bytes", 2**20):
        with pytest.raises(ResponseTooLargeError, match=r"over 1048576 bytes \(conf\.max_response_bytes\)") as raised:
            client_of(server).list_blocks(cache=False)
    assert isinstance(raised.value, TableParseError) and raised.value.setting == "max_response_bytes"
    assert len(server.log) == 1  # not retried


def test_huge_content_length_is_refused_before_reading(hostile, client_of):
    def huge(handler):
        answer(handler, b"x" * 1000, headers={"Content-Length": str(64 * 2**30)})
        server.stop.wait(HOLD)
    server = hostile(huge)
    with pytest.raises(ResponseTooLargeError, match=f"Content-Length {64 * 2**30} bytes"):
        client_of(server).list_blocks(cache=False)
    assert len(server.log) == 1


@pytest.fixture(scope="module")
def bomb():
    return gzip.compress(b"\0" * (64 * 2**20), compresslevel=9)  # 64 MiB in about 64 KB


def test_gzip_bomb_is_refused_by_its_ratio(hostile, client_of, bomb):
    server = hostile(lambda handler: answer(handler, bomb, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(ResponseTooLargeError, match=r"inflated to \d+, over conf\.max_compression_ratio = 100"):
        client_of(server).list_blocks(cache=False)
    assert len(server.log) == 1


def test_decompressed_size_is_limited(hostile, client_of, bomb):
    server = hostile(lambda handler: answer(handler, bomb, headers={"Content-Encoding": "gzip"}))
    with conf.set_temp("max_compression_ratio", 1e9), conf.set_temp("max_response_bytes", 4 * 2**20):
        with pytest.raises(ResponseTooLargeError, match=r"over 4194304 bytes"):
            client_of(server).list_blocks(cache=False)


def test_compressed_answer_within_limits_is_read(hostile, client_of):
    body = gzip.compress(BLOCKS)
    server = hostile(lambda handler: answer(handler, body, headers={"Content-Encoding": "gzip"}))
    assert sorted(client_of(server).list_blocks(cache=False)["block"]) == ["f", "r"]


def test_refused_answer_is_not_cached(hostile, client_of):
    big = json.dumps({f"block{i}": "x" * 100 for i in range(100)}).encode()
    server = hostile(lambda handler: answer(handler, big))
    client = client_of(server)
    with conf.set_temp("max_response_bytes", 1000):
        with pytest.raises(ResponseTooLargeError):
            client.list_blocks(cache=True)
    assert list(client.cache_location.glob("*.pickle")) == []
    assert len(client.list_blocks(cache=True)) == 100
    assert len(client.list_blocks(cache=True)) == 100  # now from the cache
    assert len(server.log) == 2


# --- transport failures ---------------------------------------------------------------------


def test_bad_gzip_names_the_server(hostile, client_of):
    server = hostile(lambda handler: answer(handler, b"this is not gzip", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(RemoteServiceError, match=f"answer of {server.url}/api/v1/blocks could not be decompressed"):
        client_of(server).list_blocks(cache=False)


def test_cut_answer_is_retried_then_reported(hostile, client_of):
    server = hostile(lambda handler: answer(handler, b"{", headers={"Content-Length": "1000"}))
    with conf.set_temp("max_retries", 2):
        with pytest.raises(RemoteServiceError, match=f"answer of {server.url}/api/v1/blocks was cut short"):
            client_of(server).list_blocks(cache=False)
    assert len(server.log) == 3


def test_redirect_to_another_origin_is_not_followed(hostile, client_of):
    other = hostile(lambda handler: answer(handler))
    server = hostile(lambda handler: answer(handler, b"", status=307, headers={"Location": other.url + handler.path}))
    with pytest.raises(RemoteServiceError, match=f"Fink API at {server.url} answered with a redirect: .*another "
                       "origin or scheme: not followed"):
        client_of(server).query_object(ID, output_format="json")
    assert len(server.log) == 1 and other.log == []  # the query never reached the other server


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x", "https://{host}/api/v1/blocks"])
def test_redirect_to_another_scheme_is_not_followed(hostile, client_of, location):
    server = hostile(lambda handler: answer(handler, b"", status=302, headers={
        "Location": location.format(host=server.url.removeprefix("http://"))}))
    with pytest.raises(RemoteServiceError, match="not followed"):
        client_of(server).list_blocks(cache=False)
    assert len(server.log) == 1


def test_redirect_within_the_origin_is_followed(hostile, client_of):
    def behave(handler):
        if handler.path == "/api/v1/blocks":
            answer(handler, b"", status=307, headers={"Location": "/moved/blocks"})
        else:
            answer(handler)
    server = hostile(behave)
    assert len(client_of(server).list_blocks(cache=False)) == 2
    assert server.log == [("GET", "/api/v1/blocks"), ("GET", "/moved/blocks")]


def test_redirect_loop_names_the_server(hostile, client_of):
    server = hostile(lambda handler: answer(handler, b"", status=302, headers={"Location": handler.path}))
    with pytest.raises(RemoteServiceError, match=f"Fink API at {server.url} redirected .* more than "
                       f"{transport.MAX_REDIRECTS} times"):
        client_of(server).list_blocks(cache=False)
    assert len(server.log) == transport.MAX_REDIRECTS + 1


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_fails_fast_with_one_retry(client_of):
    url = f"http://127.0.0.1:{_closed_port()}"
    client = client_of(url)
    with conf.set_temp("max_retries", 5):
        with pytest.raises(RemoteServiceError, match=rf"cannot reach {url}: .*[Rr]efused.*"
                           r"\(2 attempts in"):
            client.list_blocks(cache=False)
    assert len(client.slept) == 1


def test_unreachable_covers_refused_connections_and_unknown_hosts():
    pool = urllib3.HTTPConnectionPool("fink.invalid")
    for cause in (urllib3.exceptions.NewConnectionError(None, "refused"),
                  urllib3.exceptions.NameResolutionError("fink.invalid", None, OSError("unknown"))):
        assert unreachable(requests.ConnectionError(urllib3.exceptions.MaxRetryError(pool, "/", cause)))
    assert not unreachable(requests.ConnectionError("reset by peer"))
    assert not unreachable(requests.ConnectTimeout("slow"))


@pytest.mark.parametrize("server", ["api.lsst.fink-portal.org", "localhost:5000", "file:///tmp/x", "https://",
                                    "http://host:port", "https://api.lsst.fink-portal.org?x=1", "http://a b"])
def test_server_setting_is_checked_when_used(hostile, server):
    with conf.set_temp("server", server):
        with pytest.raises(InvalidServerError, match="is not an http.s. URL") as raised:
            FinkClass().list_blocks(cache=False)
    assert isinstance(raised.value, InvalidQueryError) and isinstance(raised.value, ValueError)


def test_guarded_session_keeps_the_cache_working(hostile, client_of):
    server = hostile(lambda handler: answer(handler))
    client = client_of(server)
    first = client.list_blocks(cache=True)
    again = client.list_blocks(cache=True)
    assert list(first["block"]) == list(again["block"]) and len(server.log) == 1


# --- a CSV answer whose end only the closed connection marks ---------------------------------------------------


CSV_ROWS = b"r:diaObjectId,r:midpointMjdTai,r:psfFlux\n313761043604045880,61229.0,1.5\n313761043604045880,61228.0,2.5\n"


def _csv(handler, *, length):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/csv")
    if length:
        handler.send_header("Content-Length", str(len(CSV_ROWS)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(CSV_ROWS)
    handler.close_connection = True


def test_csv_without_length_framing_is_reported(hostile, client_of):
    from astroquery_fink.limits import UnverifiedAnswerWarning

    server = hostile(lambda handler: _csv(handler, length=False))
    with pytest.warns(UnverifiedAnswerWarning):
        table = client_of(server).query_forced_photometry(ID, output_format="csv")
    assert len(table) == 2


def test_csv_with_a_length_is_not_reported(hostile, client_of):
    server = hostile(lambda handler: _csv(handler, length=True))
    table = client_of(server).query_forced_photometry(ID, output_format="csv")  # any warning is an error here
    assert len(table) == 2
