"""``/api/v1/schema``: field types and descriptions per endpoint, shaped like the server's answer."""

import json

from flask import Response

from ..fields import LATEST, VERSIONS, schema_answer
from ._base import text_response

PATH = "/api/v1/schema"
DESCRIPTION = "Retrieve the data schema for a given endpoint for Fink/Rubin API"
REQUIRED = ("endpoint",)

__all__ = ["PATH", "DESCRIPTION", "REQUIRED", "VERSIONS", "LATEST", "describe", "respond"]


def describe(endpoint, version=LATEST):
    """
    The schema answer for an ``endpoint`` value, or None when the server answers 404.

    Parameters
    ----------
    endpoint : object
        The payload's ``endpoint`` (compared with ``==``, exact, with leading slash).
    version : tuple of str, optional
        ``(major, minor)``.

    Returns
    -------
    dict or None
        Family label -> field name (no prefix) -> info dict.
    """
    return schema_answer(endpoint, version)


def respond(payload, ctx):
    """
    Answer a schema query.

    Parameters
    ----------
    payload : mapping
        ``endpoint`` (required), ``major_version`` and ``minor_version`` (both or neither;
        with only one of them the latest version is used).
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response

    Raises
    ------
    LookupError
        For a schema version the server cannot fetch in full (9.0 lacks the mpc_orbits file,
        other versions do not exist): the server answers 500.
    """
    if "major_version" not in payload or "minor_version" not in payload:
        version = LATEST
    else:
        # the server builds the schema file URLs with str() of both values: only these spellings exist
        version = (f"{payload['major_version']}", f"{payload['minor_version']}")
        if version not in VERSIONS:
            raise LookupError(f"no complete LSST alert schema {version}")
    families = describe(payload["endpoint"], version)
    if families is None:
        return text_response("{} is not a valid endpoint".format(payload["endpoint"]), 404)
    # plain json.dumps (default separators, ASCII escapes), not Flask's jsonify
    return Response(json.dumps(families), 200, content_type="application/json")
