"""Flask application factory of the replica and a loopback server running it in a thread."""

import functools
import threading

from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from .dataset import TABLES, default_dataset
from .faults import FaultInjector
from .routes import Context, register
from .store import NLIMIT, HBaseTable, Store

__all__ = ["create_app", "FinkReplica", "build_store", "MAX_CONTENT_LENGTH"]

#: Request-body limit of the server (``MAX_CONTENT_LENGTH``, 100 MiB): larger JSON bodies get a 413.
MAX_CONTENT_LENGTH = 100 * 1024 * 1024


def build_store(dataset):
    """
    Index the tables of a dataset for prefix scans.

    Parameters
    ----------
    dataset : astroquery_fink.testing.dataset.Dataset

    Returns
    -------
    astroquery_fink.testing.store.Store
    """
    # indexed on first use: building a table of a lazily generated dataset is left to that moment too
    return Store({name: functools.partial(_index, dataset, name) for name in dataset.tables})


def _index(dataset, name):
    return HBaseTable(name, dataset.schemas[name], dataset.tables[name])


@functools.cache
def _default_store():
    # generated and indexed once per process: starting a replica must stay fast
    return build_store(default_dataset())


# the tables extra objects go into (the derived ones, conesearch pixels, tags... do not list them)
_EXTENDED = (TABLES["sources"], TABLES["objects"], TABLES["fp"])


@functools.lru_cache(maxsize=2)
def _extended_default(extra_objects, extra_fp_rows):
    # only the three extended tables are indexed again; the others are shared with the default store
    from .extra import add_extra_objects

    dataset = add_extra_objects(default_dataset(), extra_objects, extra_fp_rows)
    base = _default_store()
    makers = {name: functools.partial(base.__getitem__, name) for name in base.tables}
    makers.update({name: functools.partial(_index, dataset, name) for name in _EXTENDED})
    return dataset, Store(makers)


def _dataset_and_store(dataset, extra_objects, extra_fp_rows):
    """The dataset a replica serves (with its extra objects) and its indexed tables."""
    if dataset is None:
        if extra_objects:
            return _extended_default(extra_objects, extra_fp_rows)
        return default_dataset(), _default_store()
    if extra_objects:
        from .extra import add_extra_objects

        dataset = add_extra_objects(dataset, extra_objects, extra_fp_rows)
    return dataset, build_store(dataset)


def _check_flavour(pandas_major):
    if pandas_major not in (2, 3):
        raise ValueError(f"pandas_major must be 2 or 3, not {pandas_major!r}")


def create_app(dataset=None, *, pandas_major=3, nlimit=NLIMIT, extra_objects=0, extra_fp_rows=20):
    """
    Build the Flask app of the replica.

    Parameters
    ----------
    dataset : astroquery_fink.testing.dataset.Dataset, optional
        Table contents; default: the package's deterministic dataset.
    pandas_major : {3, 2}, optional
        Emulate a server running pandas 3 (default) or pandas 2 (``"nan"`` strings for
        missing text values, VOTable 500 on wholly-null text columns).
    nlimit : int or None, optional
        Row cap of one HBase scan (``NLIMIT`` = 10 000 on the server); None lifts it.
    extra_objects : int, optional
        Synthetic diaObjects added to the objects, sources and fp tables, for benchmarks
        (`astroquery_fink.testing.extra.add_extra_objects`; ids from
        `astroquery_fink.testing.extra.extra_object_ids`).
    extra_fp_rows : int, optional
        Forced-photometry rows of each extra object.

    Returns
    -------
    flask.Flask
    """
    _check_flavour(pandas_major)
    _, store = _dataset_and_store(dataset, extra_objects, extra_fp_rows)
    return _build_app(store, pandas_major, nlimit)


def _build_app(store, pandas_major, nlimit):
    app = Flask("Fink/LSST REST API")
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    register(app, Context(store=store, pandas_major=pandas_major, nlimit=nlimit))
    return app


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request to stderr."""

    def log_request(self, code="-", size="-"):
        pass


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server, ending the connections of the ``reset`` fault with a RST."""

    def __init__(self, host, port, app, injector):
        super().__init__(host, port, app, _QuietHandler)
        self.injector = injector

    def shutdown_request(self, request):
        if self.injector.take_aborted(request):
            # skip socketserver's shutdown(SHUT_WR), whose FIN would come first: with SO_LINGER 0,
            # close() alone sends the RST of a peer that crashed or a proxy that cut the line
            self.close_request(request)
            return
        super().shutdown_request(request)


class FinkReplica:
    """
    The Fink/LSST REST API replica served over HTTP on loopback, in a daemon thread.

    Besides serving the API, it can misbehave on demand (`inject`: front-end errors, slow,
    cut, malformed or reset answers, crashes), and logs the requests it gets (`requests`).

    Parameters
    ----------
    host : str, optional
        Interface to bind; loopback by default.
    port : int, optional
        TCP port; 0 picks a free one.
    pandas_major : {3, 2}, optional
        Flavour of the emulated server (see `create_app`).
    dataset : astroquery_fink.testing.dataset.Dataset, optional
        Table contents; default: the package's deterministic dataset.
    nlimit : int or None, optional
        Row cap of one HBase scan (see `create_app`).
    extra_objects : int, optional
        Synthetic diaObjects added for benchmarks (see `create_app`); their ids are
        ``replica.dataset.extra_object_ids``.
    extra_fp_rows : int, optional
        Forced-photometry rows of each extra object.
    request_log_size : int, optional
        Most recent requests kept in `requests` (0 = no log).

    Attributes
    ----------
    dataset : astroquery_fink.testing.dataset.Dataset
        What the replica serves.
    app : flask.Flask
        The application, wrapped by the fault-injection middleware.

    Examples
    --------
    >>> import requests
    >>> from astroquery_fink.testing import FinkReplica
    >>> with FinkReplica() as url:
    ...     r = requests.post(f"{url}/api/v1/objects", json={"diaObjectId": "314003014107006318"})
    >>> r.status_code
    200

    A front end that is busy once, then lets the request through:

    >>> replica = FinkReplica()
    >>> url = replica.start()
    >>> fault = replica.inject("503", endpoint="objects", times=1, retry_after=2)
    >>> r = requests.post(f"{url}/api/v1/objects", json={"diaObjectId": "314003014107006318"})
    >>> r.status_code, r.headers["Retry-After"]
    (503, '2')
    >>> requests.post(f"{url}/api/v1/objects", json={"diaObjectId": "314003014107006318"}).status_code
    200
    >>> [(entry["status"], entry["fault"]) for entry in replica.requests]
    [(503, '503'), (200, None)]
    >>> replica.stop()
    """

    def __init__(self, host="127.0.0.1", port=0, *, pandas_major=3, dataset=None, nlimit=NLIMIT, extra_objects=0,
                 extra_fp_rows=20, request_log_size=10_000):
        _check_flavour(pandas_major)
        self.host = host
        self.port = port
        self.dataset, self._store = _dataset_and_store(dataset, extra_objects, extra_fp_rows)
        self.app = _build_app(self._store, pandas_major, nlimit)
        self._faults = FaultInjector(log_size=request_log_size)
        self.app.wsgi_app = self._faults.middleware(self.app.wsgi_app, max_body=self.app.config["MAX_CONTENT_LENGTH"])
        self._server = None
        self._thread = None

    @property
    def url(self):
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash); None when stopped."""
        if self._server is None:
            return None
        return f"http://{self.host}:{self._server.server_port}"

    def start(self):
        """
        Bind the socket and serve in a daemon thread.

        Returns
        -------
        str
            The base URL.
        """
        if self._server is not None:
            return self.url
        self._server = _Server(self.host, self.port, self.app, self._faults)
        # a short poll interval makes stop() quick (shutdown waits for the next poll)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fink-replica", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self):
        """Stop serving and release the socket (requests held by ``slow`` faults answer at once)."""
        if self._server is None:
            return
        self._faults.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None
        self._thread = None

    def preload(self):
        """
        Make and index every table now; otherwise each one is made when a request first reads it.

        Construction stays instant, and a replica answering one kind of query only builds what
        that query reads (a forced-photometry request: the light curves and ``rubin.fp``).
        Preload when every request should answer as fast as the next, as a benchmark's server.

        Returns
        -------
        FinkReplica
            This replica.

        Examples
        --------
        >>> from astroquery_fink.testing import FinkReplica
        >>> from astroquery_fink.testing.dataset import generate_dataset
        >>> data = generate_dataset()
        >>> replica = FinkReplica(dataset=data)
        >>> data.tables
        <tables of the replica's dataset, 0 of 15 made>
        >>> replica.preload().dataset.tables
        <tables of the replica's dataset, 15 of 15 made>
        """
        for name in self._store.tables:
            self._store[name]
        return self

    # --- fault injection ---------------------------------------------------------------------------

    def inject(self, fault, *, endpoint=None, ids=None, times=None, retry_after=None, delay=None, variant=None):
        """
        Make the replica misbehave for the requests that match.

        A request matches when its path is ``endpoint`` (any path when None) and, if ``ids`` is
        given, its ``diaObjectId`` (query string or JSON body, split at commas) names one of
        them. The first armed fault that matches applies, ``times`` times at most. Faults:

        ``"500"``
            The crash of a route: ``{"message": "Internal Server Error"}`` (flask-restx JSON,
            ``application/json``) with the CORS headers, as a failing query gives.
        ``"400"``
            A refused query: a python-dict body (a printed dict, not JSON) as ``text/html; charset=utf-8``.
        ``"429"``, ``"502"``, ``"503"``, ``"504"``
            The front end's answer (the app never sees the request): nginx's HTML error page,
            ``text/html``, no CORS headers, and ``Retry-After`` when ``retry_after`` is given.
        ``"slow"``
            The normal answer, after ``delay`` seconds (without ``delay``: once the fault is
            removed or the replica stops; the server's thread never blocks shutdown).
        ``"truncated"``
            The normal answer with its body cut in half: ``variant="close"`` (default) announces
            the full ``Content-Length`` then closes the connection (the client sees an
            incomplete read); ``variant="length"`` announces the cut length (a complete HTTP
            message holding half a document).
        ``"malformed_votable"``, ``"malformed_json"``
            A 200 with the format's exact content type and a broken document (a mismatched
            VOTable tag; records without the comma between them).
        ``"reset"``
            No answer: the TCP connection is reset (RST) once the request has been read.
        ``"votable_null_string_500"``
            The pandas-2 server's VOTable failure, on any flavour: a 500 as for ``"500"``
            when the answer is a VOTable with a string or boolean column null in every row (a
            full read of sources, objects or fp). Other requests pass; only failing ones count.

        Parameters
        ----------
        fault : str
            One of the faults above.
        endpoint : str or iterable of str, optional
            Short name (``"fp"``) or path (``"/api/v1/fp"``).
        ids : int, str or iterable, optional
            diaObjectIds whose requests get the fault.
        times : int, optional
            Matching requests that get the fault before it stops; None = every one.
        retry_after : float, int or str, optional
            ``Retry-After`` of a 429/502/503/504: seconds, or a string (an HTTP date) verbatim.
        delay : float, optional
            Seconds to hold a matching request before answering (with any fault).
        variant : {"close", "length"}, optional
            The two truncations (``"truncated"`` only).

        Returns
        -------
        astroquery_fink.testing.faults.Fault
            Handle with ``hits``, ``remaining``, ``active`` and ``remove()``; also a context
            manager removing the fault on exit.
        """
        return self._faults.inject(fault, endpoint=endpoint, ids=ids, times=times, retry_after=retry_after,
                                   delay=delay, variant=variant)

    def clear_faults(self):
        """Remove every injected fault (requests held by ``slow`` answer at once)."""
        self._faults.clear_faults()

    @property
    def faults(self):
        """The injected faults still armed, in injection order."""
        return self._faults.faults

    @property
    def requests(self):
        """
        The requests received, oldest first (a snapshot).

        Returns
        -------
        list of dict
            ``method``, ``path``, ``payload`` (query parameters, else the decoded JSON body,
            else None), ``status`` (None when no answer was sent), ``time`` (``time.time()``
            at arrival) and ``fault`` (the fault applied, or None).
        """
        return self._faults.requests

    def clear_requests(self):
        """Empty the request log."""
        self._faults.clear_requests()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def __repr__(self):
        return f"<FinkReplica {self.url or 'stopped'}>"
