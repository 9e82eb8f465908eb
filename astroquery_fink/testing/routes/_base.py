"""The get/post skeleton shared by every data route of the server (how arguments are read)."""

from dataclasses import dataclass

from flask import Response, g, request

from ..serialize import TEXT_HTML, send_tabular_data
from ..store import NLIMIT, read

__all__ = [
    "Context",
    "check_args",
    "read_payload",
    "make_view",
    "tabular_response",
    "hbase_read",
    "text_response",
    "error_response",
]

@dataclass(frozen=True)
class Context:
    """
    What the routes of one replica share.

    Attributes
    ----------
    store : astroquery_fink.testing.store.Store
        The emulated HBase tables.
    pandas_major : int
        Pandas major version of the emulated server (3, or 2 for the pandas-2 quirks).
    nlimit : int or None
        Row cap of one HBase scan (``NLIMIT``, 10 000 on the server); None = no cap.
    """

    store: object
    pandas_major: int = 3
    nlimit: int = NLIMIT


def text_response(body, status=200):
    """
    A plain ``flask.Response(str)``: ``text/html; charset=utf-8`` (bare-GET descriptions, text errors).

    Parameters
    ----------
    body : str
    status : int, optional

    Returns
    -------
    flask.Response
    """
    return Response(body, status, content_type=TEXT_HTML)


def error_response(text, status=400):
    """
    A "python-dict" error: ``str({'status': 'error', 'text': text})`` as ``text/html`` (not JSON).

    Parameters
    ----------
    text : object
        The ``text`` value; an exception object shows as its ``repr`` (conesearch coordinates).
    status : int, optional

    Returns
    -------
    flask.Response
    """
    return text_response(str({"status": "error", "text": text}), status)


def check_args(required, payload):
    """
    The server's ``check_args``: presence test with ``in`` only (an empty string counts as given).

    The ``in`` operator is applied to whatever the payload is, so a JSON list or string
    payload gives the "required" error and a JSON number or ``null`` raises ``TypeError``
    (then 500), exactly as on the server.

    Parameters
    ----------
    required : iterable of str
        Names of the required arguments, in model order.
    payload : object
        Query parameters or decoded JSON body.

    Returns
    -------
    dict
        ``{"status": "ok"}`` or the error dict whose ``str()`` is the 400 body.
    """
    for name in required:
        if name not in payload:
            return {
                "status": "error",
                "text": f"A value for `{name}` is required. See https://api.ztf.fink-portal.org \n",
            }
    return {"status": "ok"}


def read_payload():
    """
    Query parameters when there are any (a POST's JSON body is then ignored), else the JSON body.

    ``request.json`` raises the 415/400/413 errors of Flask, rendered by flask-restx.

    Returns
    -------
    werkzeug.datastructures.MultiDict or object
    """
    payload = request.args
    if payload is None or len(payload) == 0:
        payload = request.json
    return payload


def tabular_response(frame, payload, ctx):
    """
    Serialize a decoded frame in the requested ``output-format`` (default ``json``).

    Parameters
    ----------
    frame : pandas.DataFrame
    payload : mapping
    ctx : Context

    Returns
    -------
    flask.Response
    """
    output_format = payload.get("output-format", "json")
    # kept for the app's after-request hooks (the fault ``votable_null_string_500`` looks at it)
    g.tabular_answer = (frame, output_format)
    status, body, content_type = send_tabular_data(frame, output_format, pandas_major=ctx.pandas_major)
    return Response(body, status, content_type=content_type)


def hbase_read(ctx, table, prefixes, payload):
    """
    Scan ``table`` for ``prefixes`` with the payload's ``columns`` (spaces removed) and decode.

    The route merges the scans, one per id, into a Python dict that py4j hands to Gson as
    a ``java.util.HashMap``: the decoder receives the rows in that map's iteration order,
    which is the output order unless ``r:midpointMjdTai`` is there to sort on (newest first).

    Parameters
    ----------
    ctx : Context
    table : str
        HBase table name.
    prefixes : list of str
    payload : mapping

    Returns
    -------
    pandas.DataFrame
    """
    columns = payload["columns"].replace(" ", "") if "columns" in payload else "*"
    return read(ctx.store[table], prefixes, columns, ctx.nlimit, hashmap=True, pandas_major=ctx.pandas_major)


def make_view(endpoint, ctx):
    """
    Flask view for one endpoint module.

    The module provides ``DESCRIPTION`` (bare-GET body), ``REQUIRED`` (argument names)
    and ``respond(payload, ctx)``; it may provide ``bare_get(ctx)`` to answer a GET
    without query string differently (``/tags``, ``/blocks``).

    Parameters
    ----------
    endpoint : module
    ctx : Context

    Returns
    -------
    callable
    """
    bare_get = getattr(endpoint, "bare_get", None)

    def view():
        # HEAD is dispatched to the GET handler (flask-restx Resource); its body is dropped
        if request.method in ("GET", "HEAD") and len(request.args) == 0:
            return bare_get(ctx) if bare_get else text_response(endpoint.DESCRIPTION)
        payload = read_payload()
        rep = check_args(endpoint.REQUIRED, payload)
        if rep["status"] != "ok":
            return text_response(str(rep), 400)
        return endpoint.respond(payload, ctx)

    view.__name__ = endpoint.__name__.rsplit(".", 1)[-1]
    return view
