"""The replica's endpoints, one module each, and their registration on a Flask app."""

from . import (
    _errors,
    _faults,
    blocks,
    conesearch,
    cutouts,
    fp,
    objects,
    resolver,
    schema,
    skymap,
    sources,
    sso,
    statistics,
    tags,
)
from ._base import Context, make_view

__all__ = ["ENDPOINTS", "Context", "register"]

#: Endpoint modules served by the replica. Each defines ``PATH``, ``DESCRIPTION``,
#: ``REQUIRED`` and ``respond(payload, ctx)``, optionally ``METHODS`` and ``bare_get(ctx)``.
ENDPOINTS = (sources, objects, fp, conesearch, cutouts, schema, sso, resolver, skymap, statistics, tags, blocks)


def register(app, ctx):
    """
    Add every endpoint, the error handlers, the CORS headers and the injected-fault hook to a Flask app.

    Parameters
    ----------
    app : flask.Flask
    ctx : Context
    """
    _errors.install(app)
    # a no-op unless FinkReplica's fault middleware attached a fault to the request
    _faults.install(app)
    for endpoint in ENDPOINTS:
        methods = list(getattr(endpoint, "METHODS", ("GET", "POST")))
        # exact path only: Flask gives its HTML 404 page to a trailing slash (strict_slashes)
        app.add_url_rule(endpoint.PATH, endpoint=endpoint.PATH, view_func=make_view(endpoint, ctx), methods=methods)
