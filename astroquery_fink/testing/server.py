"""Flask application factory of the replica and a loopback server running it in a thread."""

import functools
import threading

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from .dataset import default_dataset
from .routes import Context, register
from .store import NLIMIT, HBaseTable, Store

__all__ = ["create_app", "FinkReplica", "build_store", "MAX_CONTENT_LENGTH"]

#: Request-body limit of the server (100 MiB, spec §1.1): larger JSON bodies get a 413.
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
    return Store(HBaseTable(name, dataset.schemas[name], frame) for name, frame in dataset.tables.items())


@functools.cache
def _default_store():
    # generated and indexed once per process: starting a replica must stay fast
    return build_store(default_dataset())


def create_app(dataset=None, *, pandas_major=3, nlimit=NLIMIT):
    """
    Build the Flask app of the replica.

    Parameters
    ----------
    dataset : astroquery_fink.testing.dataset.Dataset, optional
        Table contents; default: the package's deterministic dataset.
    pandas_major : {3, 2}, optional
        Emulate a server running pandas 3 (default) or pandas 2 (``"nan"`` strings for
        missing text values, VOTable 500 on wholly-null text columns; spec §1.4).
    nlimit : int or None, optional
        Row cap of one HBase scan (``NLIMIT`` = 10 000 on the server); None lifts it.

    Returns
    -------
    flask.Flask
    """
    if pandas_major not in (2, 3):
        raise ValueError(f"pandas_major must be 2 or 3, not {pandas_major!r}")
    store = _default_store() if dataset is None else build_store(dataset)
    app = Flask("Fink/LSST REST API")
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    register(app, Context(store=store, pandas_major=pandas_major, nlimit=nlimit))
    return app


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request to stderr."""

    def log_request(self, code="-", size="-"):
        pass


class FinkReplica:
    """
    The Fink/LSST REST API replica served over HTTP on loopback, in a daemon thread.

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

    Examples
    --------
    >>> import requests
    >>> from astroquery_fink.testing import FinkReplica
    >>> with FinkReplica() as url:
    ...     r = requests.post(f"{url}/api/v1/objects", json={"diaObjectId": "314003014107006318"})
    >>> r.status_code
    200
    """

    def __init__(self, host="127.0.0.1", port=0, *, pandas_major=3, dataset=None, nlimit=NLIMIT):
        self.host = host
        self.port = port
        self.app = create_app(dataset, pandas_major=pandas_major, nlimit=nlimit)
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
        self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler)
        # a short poll interval makes stop() quick (shutdown waits for the next poll)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fink-replica", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self):
        """Stop serving and release the socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def __repr__(self):
        return f"<FinkReplica {self.url or 'stopped'}>"

