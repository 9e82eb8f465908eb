"""``/api/v1/blocks``: the building blocks of the Fink filters, GET only (POST gets a 405)."""

from flask import jsonify

from ..services.tag_lists import BLOCKS

PATH = "/api/v1/blocks"
DESCRIPTION = None  # no description page: a bare GET answers the blocks too
REQUIRED = ()
METHODS = ("GET",)


def bare_get(ctx):
    """
    The 15 blocks of fink-filters 7.35 and the first line of their docstring (sorted keys).

    Parameters
    ----------
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    return jsonify(BLOCKS)


def respond(payload, ctx):
    """
    A GET with a query string: the same answer, the arguments are ignored.

    Parameters
    ----------
    payload : mapping
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    return bare_get(ctx)
