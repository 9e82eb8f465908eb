"""Injected faults the Flask app answers itself: a crash, a refused query, a broken document (see ``faults.py``)."""

from flask import Response, request

from ..faults import MALFORMED_JSON, MALFORMED_VOTABLE, pending_fault
from ..serialize import CONTENT_TYPES
from ._base import error_response
from ._errors import restx_error

__all__ = ["install", "INJECTED_400_TEXT"]

#: ``text`` of the python-dict 400 body of the ``400`` fault (same shape as the server's refusals).
INJECTED_400_TEXT = "Injected fault: the replica refuses this query.\n"


def _answer():
    """Short-circuit the view (``before_request``) when the middleware attached one of these faults."""
    fault = pending_fault(request.environ, ("400", "500", "malformed_votable", "malformed_json"))
    if fault is None:
        return None
    if fault.kind == "500":
        # byte for byte what a crashing route gives (routes/_errors.py), CORS headers included
        return restx_error(500, "Internal Server Error")
    if fault.kind == "400":
        return error_response(INJECTED_400_TEXT)
    if fault.kind == "malformed_votable":
        return Response(MALFORMED_VOTABLE, 200, content_type=CONTENT_TYPES["votable"])
    return Response(MALFORMED_JSON, 200, content_type=CONTENT_TYPES["json"])


def install(app):
    """
    Register the hook answering the app-level injected faults.

    Parameters
    ----------
    app : flask.Flask
    """
    app.before_request(_answer)
