"""Injected faults the Flask app answers itself: a crash, a refused query, a broken document (see ``faults.py``)."""

from flask import Response, g, request

from ..faults import MALFORMED_JSON, MALFORMED_VOTABLE, fire, pending_fault
from ..serialize import CONTENT_TYPES, votable_fails_on_pandas2
from ._base import error_response
from ._errors import restx_error

__all__ = ["install", "INJECTED_400_TEXT"]

#: The conditional fault these hooks apply after the route answered.
NULL_TEXT_FAULT = "votable_null_string_500"

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


def _null_text_crash(response):
    """
    ``votable_null_string_500``: the pandas-2 server's VOTable crash, on either flavour (``after_request``).

    It fires when the answer is a VOTable of a frame with a wholly-null text column (the frame
    `routes._base.tabular_response` serialized); the answer is then the 500 of a crashing route.
    """
    if pending_fault(request.environ, (NULL_TEXT_FAULT,)) is None:
        return response
    frame, output_format = g.get("tabular_answer", (None, None))
    if output_format == "votable" and votable_fails_on_pandas2(frame) and fire(request.environ, NULL_TEXT_FAULT):
        return restx_error(500, "Internal Server Error")
    return response


def install(app):
    """
    Register the hooks answering the app-level injected faults.

    Parameters
    ----------
    app : flask.Flask
    """
    app.before_request(_answer)
    # registered after the CORS hook of _errors.install, hence run before it: the crash gets the CORS headers
    app.after_request(_null_text_crash)
