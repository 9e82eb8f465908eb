"""Error answers (``{"message": ...}`` JSON) and CORS headers as the Flask + flask-restx server emits them."""

import json

from flask import Response, request
from werkzeug.exceptions import HTTPException, NotFound

__all__ = ["install", "restx_error", "CORS_HEADERS"]

#: Added by the server's blueprint ``after_request`` to every routed response.
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Headers", "Content-Type,Authorization"),
    ("Access-Control-Allow-Methods", "GET,PUT,POST,DELETE,OPTIONS"),
)


def restx_error(status, message, headers=()):
    """
    A flask-restx JSON error: ``{"message": ...}`` plus a newline, ``application/json``.

    Parameters
    ----------
    status : int
        HTTP status code.
    message : str
        Text of the ``message`` key.
    headers : iterable of (str, str), optional
        Extra headers (flask-restx keeps those of the HTTP exception, e.g. ``Allow`` on 405).

    Returns
    -------
    flask.Response
    """
    response = Response(json.dumps({"message": message}) + "\n", status)
    for name, value in headers:
        response.headers.add(name, value)
    response.headers["Content-Type"] = "application/json"
    return response


def _handle(exc):
    if isinstance(exc, HTTPException):
        if isinstance(exc, NotFound) and request.url_rule is None:
            # unknown path or trailing slash: Flask's own HTML 404 page, not flask-restx JSON
            return exc
        kept = [(k, v) for k, v in exc.get_response().headers.items() if k not in ("Content-Type", "Content-Length")]
        return restx_error(exc.code, exc.description, kept)
    # every crash of a route is an opaque 500 {"message": "Internal Server Error"} (no debug mode)
    from flask import current_app

    current_app.logger.error("Exception on %s [%s]", request.path, request.method, exc_info=exc)
    return restx_error(500, "Internal Server Error")


def _add_cors(response):
    # the server adds them in its blueprint's after_request, i.e. only to routed requests
    # (not to 404 on unknown paths nor to 405, whose url_rule is unset)
    if request.url_rule is not None:
        for name, value in CORS_HEADERS:
            response.headers.add(name, value)
    return response


def install(app):
    """
    Register the error handlers and the CORS hook on a Flask app.

    Parameters
    ----------
    app : flask.Flask
    """
    app.register_error_handler(Exception, _handle)
    app.after_request(_add_cors)
