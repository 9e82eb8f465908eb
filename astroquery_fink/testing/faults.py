"""Fault injection for the replica: front-end errors, slow, cut or reset answers and server crashes, on demand."""

import io
import json
import socket
import struct
import threading
import time
from collections import deque
from urllib.parse import parse_qsl

__all__ = [
    "FAULTS",
    "FRONTEND_STATUSES",
    "Fault",
    "FaultInjector",
    "MALFORMED_JSON",
    "MALFORMED_VOTABLE",
    "frontend_body",
    "fire",
    "pending_fault",
]

#: HTTP errors as the front end (nginx-like proxy) sends them, before the Flask app sees the request.
FRONTEND_STATUSES = {
    429: "Too Many Requests",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}

#: Every fault `FaultInjector.inject` knows.
FAULTS = (
    "400",
    "429",
    "500",
    "502",
    "503",
    "504",
    "slow",
    "truncated",
    "malformed_votable",
    "malformed_json",
    "reset",
    "votable_null_string_500",
)

# faults the Flask app itself produces (routes/_faults.py): a crash or a bad
# document is the application's doing, so it gets the CORS headers of a routed answer
_APP_FAULTS = ("400", "500", "malformed_votable", "malformed_json", "votable_null_string_500")
# faults that only fire when the answer meets a condition: counted when they fire, not when matched
_CONDITIONAL = ("votable_null_string_500",)
_TRUNCATION_VARIANTS = ("close", "length")

#: WSGI environ keys through which the middleware hands a fault and the log entry to the app.
FAULT_KEY = "fink_replica.fault"
LOG_KEY = "fink_replica.log_entry"

#: Body of ``malformed_votable``: the server's VOTable prolog, then a row whose ``TD`` is closed by ``</TR>``.
MALFORMED_VOTABLE = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b"<!-- Produced with astropy.io.votable version 8.0.2\n     http://www.astropy.org/ -->\n"
    b'<VOTABLE version="1.4" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    b'xmlns="http://www.ivoa.net/xml/VOTable/v1.3" '
    b'xsi:schemaLocation="http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/v1.3">\n'
    b' <RESOURCE type="results">\n  <TABLE>\n'
    b'   <FIELD ID="r_diaObjectId" datatype="long" name="r:diaObjectId"/>\n'
    b'   <FIELD ID="r_psfFlux" datatype="double" name="r:psfFlux"/>\n'
    b"   <DATA>\n    <TABLEDATA>\n     <TR>\n      <TD>313761043604045880</TD>\n      <TD>1234.5\n     </TR>\n"
    b"    </TABLEDATA>\n   </DATA>\n  </TABLE>\n </RESOURCE>\n</VOTABLE>\n"
)
#: Body of ``malformed_json``: pandas-style records with the comma between two of them missing.
MALFORMED_JSON = (
    b'[{"r:diaObjectId":313761043604045880,"r:band":"g","r:psfFlux":1234.5}'
    b'{"r:diaObjectId":313761043604045880,"r:band":"r","r:psfFlux":987.6}]'
)


def frontend_body(status):
    """
    Error page of the front end for an HTTP status, as nginx writes it (CRLF line ends).

    Parameters
    ----------
    status : int
        One of `FRONTEND_STATUSES`.

    Returns
    -------
    bytes
    """
    title = f"{status} {FRONTEND_STATUSES[status]}"
    lines = ("<html>", f"<head><title>{title}</title></head>", "<body>", f"<center><h1>{title}</h1></center>",
             "<hr><center>nginx</center>", "</body>", "</html>", "")
    return "\r\n".join(lines).encode()


def _is_frontend(kind):
    return kind.isdigit() and int(kind) in FRONTEND_STATUSES


def _retry_after_text(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"retry_after must be a number of seconds >= 0 or a string, not {value!r}")
    # HTTP's delay-seconds is an integer: write whole numbers without a decimal point
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_times(times):
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 0):
        raise ValueError(f"times must be a count >= 0 or None, not {times!r}")


def _check_delay(delay):
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0):
        raise ValueError(f"delay must be a number of seconds >= 0, not {delay!r}")


def _variant(kind, variant):
    """The variant of a fault: ``truncated`` ones default to ``"close"``, the other kinds take none."""
    if kind != "truncated":
        if variant is not None:
            raise ValueError("variant only applies to the truncated fault")
        return None
    variant = variant or "close"
    if variant not in _TRUNCATION_VARIANTS:
        raise ValueError(f"truncated variant must be one of {_TRUNCATION_VARIANTS}, not {variant!r}")
    return variant


def _endpoint_paths(endpoint):
    if endpoint is None:
        return None
    names = [endpoint] if isinstance(endpoint, str) else list(endpoint)
    paths = set()
    for name in names:
        if not isinstance(name, str) or not name.strip("/"):
            raise ValueError(f"endpoint must be a short name such as 'fp' or a path, not {name!r}")
        paths.add(name if name.startswith("/") else "/api/v1/" + name.removeprefix("api/v1/"))
    return frozenset(paths)


def _id_set(ids):
    if ids is None:
        return None
    values = [ids] if isinstance(ids, str | int) else list(ids)
    if not values:
        raise ValueError("ids must name at least one diaObjectId")
    return frozenset(str(value).strip() for value in values)


def _payload_ids(payload):
    """The diaObjectIds of a payload, split as the server splits them (comma, stripped)."""
    if not isinstance(payload, dict) or "diaObjectId" not in payload:
        return frozenset()
    return frozenset(piece.strip() for piece in str(payload["diaObjectId"]).split(","))


class Fault:
    """
    One injected fault: what it does, which requests it hits and how often.

    Returned by `FaultInjector.inject` (and ``FinkReplica.inject``); usable as a context
    manager that removes the fault on exit.

    Attributes
    ----------
    kind : str
        One of `FAULTS`.
    times : int or None
        How many matching requests get the fault; None = all of them.
    hits : int
        Requests that got it so far.
    """

    def __init__(self, injector, kind, *, paths, ids, times, retry_after, delay, variant):
        self._injector = injector
        self.kind = kind
        self.paths = paths
        self.ids = ids
        self.times = times
        self.retry_after = retry_after
        self.delay = delay
        self.variant = variant
        self.hits = 0
        self.removed = False
        # set when the fault is removed or the replica stops: sleeping requests answer at once
        self._released = threading.Event()

    @property
    def remaining(self):
        """Requests still to get the fault; None = unlimited."""
        return None if self.times is None else max(self.times - self.hits, 0)

    @property
    def active(self):
        """Whether the fault still applies to new requests."""
        return not self.removed and (self.times is None or self.hits < self.times)

    def matches(self, path, payload_ids):
        """
        Whether a request to ``path`` naming ``payload_ids`` is one this fault targets.

        Parameters
        ----------
        path : str
            Request path, e.g. ``/api/v1/fp``.
        payload_ids : frozenset of str
            diaObjectIds of the request.

        Returns
        -------
        bool
        """
        if self.paths is not None and path not in self.paths:
            return False
        return self.ids is None or not self.ids.isdisjoint(payload_ids)

    def remove(self):
        """Stop applying the fault and wake the requests it holds."""
        self._injector.remove(self)

    def wait(self):
        """Hold the calling request ``delay`` seconds (``slow`` without delay: until removed)."""
        if self.delay is not None:
            self._released.wait(self.delay)
        elif self.kind == "slow":
            self._released.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def __repr__(self):
        where = "any path" if self.paths is None else ",".join(sorted(self.paths))
        return f"<Fault {self.kind} on {where}, hits={self.hits}, times={self.times}>"


class FaultInjector:
    """
    The faults armed on a replica, its request log, and the WSGI middleware applying them.

    Parameters
    ----------
    log_size : int, optional
        Most recent requests kept in the log (0 = no log).
    """

    def __init__(self, log_size=10_000):
        self._lock = threading.Lock()
        self._faults = []
        self._log = deque(maxlen=log_size) if log_size else None
        # sockets whose connection ends with a RST (reset fault); see FinkReplica's server
        self._aborted = set()

    # --- control, from tests -----------------------------------------------------------------------

    def inject(self, fault, *, endpoint=None, ids=None, times=None, retry_after=None, delay=None, variant=None):
        """
        Arm a fault for the requests that match.

        Parameters
        ----------
        fault : str
            One of `FAULTS` (see ``FinkReplica.inject`` for what each does on the wire).
        endpoint : str or iterable of str, optional
            Short endpoint name (``"fp"``) or path (``"/api/v1/fp"``); None = every path.
        ids : int, str or iterable, optional
            Only requests whose ``diaObjectId`` names one of these ids.
        times : int, optional
            Matching requests that get the fault before it stops; None = all.
        retry_after : float, int or str, optional
            ``Retry-After`` header of a 429/502/503/504: seconds, or a string sent verbatim.
        delay : float, optional
            Seconds to hold the request before answering (any fault); ``slow`` without
            ``delay`` holds it until the fault is removed or the replica stops.
        variant : str, optional
            ``truncated`` only: ``"close"`` (default) or ``"length"``.

        Returns
        -------
        Fault
        """
        kind = str(fault)
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose among {', '.join(FAULTS)}")
        _check_times(times)
        if retry_after is not None and not _is_frontend(kind):
            raise ValueError(f"retry_after only applies to the faults {', '.join(map(str, FRONTEND_STATUSES))}")
        _check_delay(delay)
        variant = _variant(kind, variant)
        handle = Fault(self, kind, paths=_endpoint_paths(endpoint), ids=_id_set(ids), times=times,
                       retry_after=_retry_after_text(retry_after), delay=delay, variant=variant)
        with self._lock:
            self._faults.append(handle)
        return handle

    def remove(self, fault):
        """
        Disarm one fault and release the requests it holds.

        Parameters
        ----------
        fault : Fault
        """
        with self._lock:
            fault.removed = True
            if fault in self._faults:
                self._faults.remove(fault)
        fault._released.set()

    def clear_faults(self):
        """Disarm every fault and release the requests they hold."""
        with self._lock:
            faults, self._faults = self._faults, []
        for fault in faults:
            fault.removed = True
            fault._released.set()

    def release(self):
        """Wake every held request (the replica is stopping); the faults stay armed."""
        with self._lock:
            faults = list(self._faults)
        for fault in faults:
            fault._released.set()

    @property
    def faults(self):
        """The armed faults, in injection order (a copy)."""
        with self._lock:
            return list(self._faults)

    @property
    def requests(self):
        """
        The request log, oldest first (a snapshot: copies of the entries).

        Each entry has ``method``, ``path``, ``payload`` (query parameters as a dict when the
        query string has any, else the decoded JSON body, else None), ``status`` (the HTTP
        status sent; None when no answer was sent, e.g. ``reset``), ``time`` (``time.time()``
        at arrival) and ``fault`` (the fault applied, or None).
        """
        with self._lock:
            return [dict(entry) for entry in self._log or ()]

    def clear_requests(self):
        """Empty the request log."""
        with self._lock:
            if self._log is not None:
                self._log.clear()

    def take_aborted(self, sock):
        """
        Whether a connection was reset by a fault (its socket then closes without FIN); forgets it.

        Parameters
        ----------
        sock : socket.socket

        Returns
        -------
        bool
        """
        with self._lock:
            if sock in self._aborted:
                self._aborted.discard(sock)
                return True
        return False

    # --- the server side ----------------------------------------------------------------------------

    def _select(self, path, payload):
        """The first armed fault matching a request, counted unless it is conditional."""
        ids = _payload_ids(payload)
        with self._lock:
            for fault in self._faults:
                if fault.active and fault.matches(path, ids):
                    if fault.kind not in _CONDITIONAL:
                        fault.hits += 1
                    return fault
        return None

    def _fire(self, fault):
        """Count a conditional fault that fires; False when another request used its last time."""
        with self._lock:
            if not fault.active:
                return False
            fault.hits += 1
            return True

    def _record(self, entry):
        if self._log is not None:
            with self._lock:
                self._log.append(entry)

    def middleware(self, app, *, max_body=None):
        """
        Wrap a WSGI app so that the armed faults apply to its requests.

        Parameters
        ----------
        app : callable
            WSGI application (``flask_app.wsgi_app``).
        max_body : int, optional
            Largest request body read for the log and the ``ids`` match (the app's
            ``MAX_CONTENT_LENGTH``): a larger one is left for the app to refuse.

        Returns
        -------
        callable
            WSGI application.
        """

        def faulty(environ, start_response):
            body = _buffer_body(environ, max_body)
            payload = _payload(environ, body)
            path = environ.get("PATH_INFO", "")
            entry = {"method": environ.get("REQUEST_METHOD"), "path": path, "payload": payload, "status": None,
                     "time": time.time(), "fault": None}
            self._record(entry)
            fault = self._select(path, payload)

            def recording_start_response(status, headers, exc_info=None):
                entry["status"] = int(status.split(None, 1)[0])
                return start_response(status, headers, exc_info)

            if fault is None:
                return app(environ, recording_start_response)
            if fault.kind not in _CONDITIONAL:
                entry["fault"] = fault.kind
            fault.wait()
            if _is_frontend(fault.kind):
                return _frontend_error(fault, recording_start_response)
            if fault.kind == "reset":
                self._reset(environ)
            if fault.kind == "truncated":
                return _truncated(app, environ, recording_start_response, fault.variant)
            if fault.kind in _APP_FAULTS:
                environ[FAULT_KEY] = fault
                environ[LOG_KEY] = entry
            return app(environ, recording_start_response)

        return faulty

    def _reset(self, environ):
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            # linger 0: the final close() sends a RST instead of a FIN; SHUT_RD makes the
            # handler's wait for a next request on this connection end at once
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RD)
            with self._lock:
                self._aborted.add(sock)
        # a ConnectionError is what werkzeug treats as a dropped connection: no answer, no log
        raise ConnectionAbortedError("connection reset by the replica's fault injection")


def pending_fault(environ, kinds):
    """
    The fault the middleware attached to a request, if it is one of ``kinds``.

    Parameters
    ----------
    environ : dict
        WSGI environ of the request.
    kinds : iterable of str

    Returns
    -------
    Fault or None
    """
    fault = environ.get(FAULT_KEY)
    return fault if fault is not None and fault.kind in kinds else None


def fire(environ, kind):
    """
    Fire the conditional fault ``kind`` of a request whose answer meets its condition.

    Parameters
    ----------
    environ : dict
        WSGI environ of the request.
    kind : str

    Returns
    -------
    bool
        True when the fault applies (it is then counted and logged).
    """
    fault = pending_fault(environ, (kind,))
    if fault is None or not fault._injector._fire(fault):
        return False
    environ[LOG_KEY]["fault"] = kind
    return True


def _buffer_body(environ, max_body):
    """Read the request body once and put it back, so that the app reads the same bytes."""
    if environ.get("wsgi.input_terminated"):
        return None  # chunked upload: left to the app as it came
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= 0 or (max_body is not None and length > max_body):
        return None  # the app answers 413 without reading a too large body
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _payload(environ, body):
    """What the routes read: query parameters when there are any (the body is then ignored), else the JSON body."""
    args = {}
    for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
        args.setdefault(name, value)  # first value, as werkzeug's MultiDict gives it
    if args:
        return args
    if body:
        try:
            return json.loads(body)
        except ValueError:
            return None
    return None


def _frontend_error(fault, start_response):
    status = int(fault.kind)
    body = frontend_body(status)
    headers = [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
    if fault.retry_after is not None:
        headers.append(("Retry-After", fault.retry_after))
    start_response(f"{status} {FRONTEND_STATUSES[status]}", headers)
    return [body]


def _truncated(app, environ, start_response, variant):
    """The app's answer with its body cut in half: announced in full then the connection closed, or re-announced."""
    captured = []
    chunks = []

    def capture(status, headers, exc_info=None):
        captured[:] = [status, headers]
        return chunks.append

    iterable = app(environ, capture)
    try:
        chunks.extend(iterable)
    finally:
        if hasattr(iterable, "close"):
            iterable.close()
    status, headers = captured
    body = b"".join(chunks)
    cut = body[: len(body) // 2]
    headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
    if variant == "length":
        start_response(status, [*headers, ("Content-Length", str(len(cut)))])
        return [cut]
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return _close_after(cut, environ.get("werkzeug.socket"))


def _close_after(data, sock):
    yield data
    if sock is not None:
        # the client has the headers and part of the body: end the connection short of Content-Length
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the client went away first

