"""``/api/v1/tags``: the list of Fink tags, and the latest alerts selected by one of them."""

import numpy as np
from flask import jsonify

from ..services.tag_lists import TAGS, table_name
from ..store import decode
from ._base import tabular_response, text_response

PATH = "/api/v1/tags"
DESCRIPTION = "Get latest Rubin alerts by tags"
REQUIRED = ("tag",)

# start of the Fink operations: the default start date of the code (the model text says 2026-01-01)
_DEFAULT_START = "2019-11-01 00:00:00"


def bare_get(ctx):
    """
    ``GET`` without query string: every tag with its description and API support (sorted keys).

    Parameters
    ----------
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    return jsonify({tag: {"description": text, "API support": support} for tag, (text, support) in TAGS.items()})


def _unknown(tag):
    return f"""
        {tag} is not a valid tag. Here is the list of tags:
        {list(TAGS)}
        And you can always retrieve available tags at https://api.lsst.fink-portal.org/api/v1/tags
        """


def _no_support(tag):
    return f"""
        {tag} is only available from the Livestream service (no API support defined).
        And you can always retrieve available tags and their API support at https://api.lsst.fink-portal.org/api/v1/tags
        """


def respond(payload, ctx):
    """
    Answer a tag query: the ``n`` most recent alerts between ``startdate`` and ``stopdate``.

    Parameters
    ----------
    payload : mapping
        ``tag`` (required), ``n`` (10), ``startdate`` (2019-11-01), ``stopdate`` (now),
        ``columns``, ``output-format``. Dates are astropy date strings only.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    tag = payload["tag"]
    names = list(TAGS)
    if tag not in names:
        return text_response(_unknown(tag), 400)
    if not TAGS[names[names.index(tag)]][1]:
        return text_response(_no_support(tag), 400)
    limit = int(payload.get("n", 10))
    from astropy.time import Time  # astropy is imported on first use: a replica starts faster

    # astropy Time without format: a number (JD, MJD) is a ValueError, hence 500; only date strings work
    start = Time(payload["startdate"] if "startdate" in payload else _DEFAULT_START).mjd
    stop = Time(payload["stopdate"]).mjd if "stopdate" in payload else Time.now().mjd
    cols = payload["columns"].replace(" ", "") if "columns" in payload else "*"
    table = ctx.store[table_name(tag)]
    # reversed range scan between the two MJD strings: the n most recent alerts (row key midpointMjdTai_...)
    found = table.select(table.range_positions(f"{start}", f"{stop}", reverse=True), cols, limit)
    # Lomikel hands the rows over in a TreeMap: ascending row keys
    frame = decode(table, np.sort(found.positions), found.columns, truncated=cols != "*", pandas_major=ctx.pandas_major)
    return tabular_response(frame, payload, ctx)
