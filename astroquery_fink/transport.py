"""
The HTTP transport under `astroquery_fink.query.exchange`: deadlines, size limits, redirects and the server URL.

`GuardedAdapter` replaces the ``requests`` adapters of a client's session (`guard`). It reads
every answer itself, in chunks, before astroquery sees (and caches) it, so that:

- one answer (connect, headers and the whole body) ends at its deadline: a watchdog timer shuts
  the connection's socket down when the time is up, whatever the server trickles;
- an answer larger than ``conf.max_response_bytes`` is refused from its ``Content-Length``
  before any byte of the body is read, or as soon as the bytes read pass the limit; a
  compressed answer that inflates beyond ``conf.max_compression_ratio`` is refused too;
- a redirect is followed only within the same origin (scheme, host and port).

A call's deadline (``conf.max_total_time``) lives in a context variable set by `call_deadline`;
`within` carries it into the worker threads of a split id list.
"""
import contextlib
import contextvars
import io
import math
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import conf
from .exceptions import InvalidServerError, ResponseTooLargeError

__all__ = ["Deadline", "call_deadline", "within", "answering", "checked_server", "guard", "GuardedAdapter",
           "AnswerTimeout", "RefusedRedirect", "MAX_REDIRECTS"]

#: Bytes asked of the socket at a time while reading an answer.
CHUNK = 1 << 16
#: Redirects followed (within the same origin) before giving up.
MAX_REDIRECTS = 5
#: Decompressed bytes read before the compression ratio is checked (small answers compress well).
RATIO_FLOOR = 1 << 20
# how often the watchdog looks again when its deadline came before the connection existed
_WATCH_POLL = 0.05

_CALL = contextvars.ContextVar("astroquery_fink_call_deadline", default=None)
_ANSWER = contextvars.ContextVar("astroquery_fink_answer_deadline", default=None)
_WATCH = contextvars.ContextVar("astroquery_fink_watch", default=None)


@dataclass
class Deadline:
    """A time limit started now: ``limit`` seconds, set by ``setting`` (named in messages)."""

    limit: float
    setting: str
    start: float = field(default_factory=time.monotonic)

    def elapsed(self):
        """Seconds since the start."""
        return time.monotonic() - self.start

    def remaining(self):
        """Seconds left (negative once expired; infinite without a limit)."""
        return self.limit - self.elapsed()

    def expired(self):
        return self.remaining() <= 0


@contextlib.contextmanager
def call_deadline():
    """The deadline of the current call: the one already in force, else a new one of ``conf.max_total_time``."""
    current = _CALL.get()
    if current is not None:
        yield current
        return
    deadline = Deadline(float(conf.max_total_time), "conf.max_total_time")
    token = _CALL.set(deadline)
    try:
        yield deadline
    finally:
        _CALL.reset(token)


def within(deadline, function):
    """``function`` run under the call deadline ``deadline``, in whichever thread calls it."""
    def run(*args, **kwargs):
        token = _CALL.set(deadline)
        try:
            return function(*args, **kwargs)
        finally:
            _CALL.reset(token)
    return run


@contextlib.contextmanager
def answering(deadline):
    """Requests sent inside get their whole answer by ``deadline`` (a `Deadline`)."""
    token = _ANSWER.set(deadline)
    try:
        yield deadline
    finally:
        _ANSWER.reset(token)


def checked_server(server):
    """``server`` if it is an http(s) URL with a host, else `~astroquery_fink.exceptions.InvalidServerError`."""
    parts = urlsplit(server)
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
        port_ok = True
    except ValueError:
        port_ok = False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok \
            or parts.query or parts.fragment or any(char.isspace() for char in server):
        raise InvalidServerError(
            f"The Fink API server {server!r} (conf.server or FinkClass(server=...)) is not an http(s) URL "
            "such as 'https://api.lsst.fink-portal.org'.")
    return server


def origin(url):
    """(scheme, host, port) of ``url``, the default port filled in; `None` when it cannot be read."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def guard(session):
    """Put `GuardedAdapter` on ``session`` for http and https (once), and bound its redirects."""
    if not isinstance(session.adapters.get("https://"), GuardedAdapter):
        session.mount("https://", GuardedAdapter())
        session.mount("http://", GuardedAdapter())
    session.max_redirects = MAX_REDIRECTS
    return session


class AnswerTimeout(requests.exceptions.ReadTimeout):
    """The whole answer did not arrive by its deadline (retried like any timeout)."""

    def __init__(self, deadline, url):
        self.deadline = deadline
        super().__init__(f"no whole answer from {url} within {deadline.limit:g} s ({deadline.setting}): "
                         f"stopped after {deadline.elapsed():.1f} s")


class RefusedRedirect(requests.RequestException):
    """The server redirected the request to another origin or scheme: not followed."""


class _Watch:
    """Shuts the connection of one answer down at its deadline, so that no blocking read outlives it."""

    def __init__(self, deadline):
        self.fired = False
        self._connection = None
        self._sock = None
        self._done = False
        self._lock = threading.Lock()
        self._timer = None
        self._arm(deadline.remaining())

    def _arm(self, delay):
        if math.isfinite(delay):
            self._timer = threading.Timer(max(delay, 0.0), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def attach(self, connection=None, sock=None):
        """Watch ``connection`` (while it sends and reads the headers) or ``sock`` (that of the body)."""
        with self._lock:
            self._connection = connection or self._connection
            self._sock = sock or self._sock

    def _fire(self):
        with self._lock:
            if self._done:
                return
            self.fired = True
            sock = self._sock or getattr(self._connection, "sock", None)
            if sock is None:  # still connecting (bounded by the connect timeout): look again soon
                self._arm(_WATCH_POLL)
                return
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes up a read blocked in another thread

    def stop(self):
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()


class _WatchedPool:
    """A connection pool that shows the connection it hands out to the watchdog of the current answer."""

    def _get_conn(self, timeout=None):
        connection = super()._get_conn(timeout)
        watch = _WATCH.get()
        if watch is not None:
            watch.attach(connection)
        return connection


class _WatchedHTTPPool(_WatchedPool, HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_WatchedPool, HTTPSConnectionPool):
    pass


def _seconds(timeout):
    """The whole-answer limit implied by a ``requests`` timeout (a number, a (connect, read) pair or None)."""
    if isinstance(timeout, tuple):
        timeout = None if None in timeout else sum(timeout)
    return math.inf if timeout is None else float(timeout)


class GuardedAdapter(HTTPAdapter):
    """
    A `requests.adapters.HTTPAdapter` that reads each answer whole, within its deadline and size limits.

    The answer's deadline is the one set by `answering`, else the request's ``timeout`` from now.
    Failures are ``requests`` exceptions (`AnswerTimeout`, `RefusedRedirect`, those of ``requests``)
    or `~astroquery_fink.exceptions.ResponseTooLargeError`; a refused answer's connection is closed.
    """

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

    def send(self, request, stream=False, timeout=None, **kwargs):
        deadline = _ANSWER.get() or Deadline(_seconds(timeout), "timeout")
        watch = _Watch(deadline)
        token = _WATCH.set(watch)
        response = None
        try:
            response = super().send(request, stream=True, timeout=timeout, **kwargs)
            watch.attach(sock=_socket_of(response.raw))
            _check_redirect(request, response)
            _read_body(response, deadline, watch)
            return response
        except requests.RequestException as error:
            if response is not None:
                response.close()
            if (watch.fired or deadline.expired()) and not isinstance(error, AnswerTimeout):
                raise AnswerTimeout(deadline, request.url) from error
            raise
        except BaseException:
            if response is not None:
                response.close()
            raise
        finally:
            _WATCH.reset(token)
            watch.stop()


def _socket_of(raw):
    """The socket a body is read from: http.client hands it to the response when the connection is to close."""
    reader = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client's buffered reader over a SocketIO
    return getattr(getattr(reader, "raw", None), "_sock", None)


def _check_redirect(request, response):
    if not response.is_redirect:
        return
    target = urljoin(request.url, response.headers["Location"])
    if origin(target) != origin(request.url):
        raise RefusedRedirect(f"{request.url} redirected to {target}, another origin or scheme: not followed "
                              "(the query is only sent to the server it was meant for)", request=request)


def _too_large(response, size, what):
    return ResponseTooLargeError(
        f"the answer of {response.url} is larger than the client accepts: {what}. Ask for less (fewer ids, "
        "columns or a smaller region), or raise the limit.", setting=size[0], limit=size[1], url=response.url)


def _read_body(response, deadline, watch):
    """Read the body of ``response`` into ``response.content``, within the deadline and the size limits."""
    max_bytes = int(conf.max_response_bytes)
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(response, ("max_response_bytes", max_bytes),
                         f"Content-Length {int(declared)} bytes, over conf.max_response_bytes = {max_bytes}")
    encoded = response.headers.get("Content-Encoding", "").strip().lower() not in ("", "identity")
    ratio = float(conf.max_compression_ratio)
    body = _body_buffer(int(declared) if declared.isdigit() and not encoded else 0)
    size = 0
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        received = response.raw.tell()
        if size > max_bytes or received > max_bytes:
            raise _too_large(response, ("max_response_bytes", max_bytes),
                             f"over {max_bytes} bytes (conf.max_response_bytes) after {max(size, received)}")
        if encoded and size > RATIO_FLOOR and size > ratio * max(received, 1):
            raise _too_large(response, ("max_compression_ratio", ratio),
                             f"{received} compressed bytes inflated to {size}, over conf.max_compression_ratio "
                             f"= {ratio:g}")
        body.write(chunk)
        if deadline.expired():
            raise AnswerTimeout(deadline, response.url)
    if watch.fired or deadline.expired():  # the watchdog may have cut a body without a length short
        raise AnswerTimeout(deadline, response.url)
    body.truncate(size)  # the room reserved from a Content-Length beyond the bytes that came
    response._content = body.getvalue()
    response._content_consumed = True


def _body_buffer(size):
    """
    One buffer for a body, ``size`` bytes reserved up front (a Content-Length; 0: grown as bytes come).

    The chunks are written into it as they arrive, and ``getvalue`` hands its memory over as
    the bytes of ``response.content`` (CPython shares a `io.BytesIO`'s buffer rather than copy
    it when nothing else refers to it): the body is held once, never as chunks plus their join.
    """
    body = io.BytesIO()
    if size:
        body.seek(size - 1)
        body.write(b"\0")
        body.seek(0)
    return body
