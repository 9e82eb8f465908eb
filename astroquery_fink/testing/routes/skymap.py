"""``/api/v1/skymap``: the alerts inside a credible region of a gravitational-wave sky map."""

import ast

import numpy as np
import pandas as pd

from ..dataset import TABLES
from ..pixels import scan_pixels
from ..services import gracedb
from ..store import decode
from ._base import tabular_response

PATH = "/api/v1/skymap"
DESCRIPTION = "Return Fink/LSST alerts within a GW skymap"
REQUIRED = ("credible_level",)


def _map_bytes(payload):
    """The gzipped map, or the GraceDB error body (bytes after a ``status`` marker)."""
    if "bayestar" in payload:
        # the server eval()s the repr of the bytes; literal_eval reads the same literal safely
        return ast.literal_eval(payload["bayestar"]), None
    if "event_name" in payload:
        status, content = gracedb.gracedb(payload["event_name"])
        return (content, None) if status == 200 else (None, content)
    # neither argument (the documented `file` included): the map variable is unbound, 500
    raise LookupError("no bayestar map in the payload")


def respond(payload, ctx):
    """
    Answer a skymap query.

    Parameters
    ----------
    payload : mapping
        ``bayestar`` (``repr`` of the gzipped FITS bytes) or ``event_name`` (GraceDB),
        ``credible_level`` (required), ``output-format``; ``n_day_before``/``n_day_after``
        are ignored as in 3.5.0.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    gzipped, failure = _map_bytes(payload)
    if failure is not None:
        # a GraceDB error is a 200 with a one-row table holding its body, [{"status": <body>}]
        return tabular_response(pd.DataFrame([{"status": failure}]), payload, ctx)
    threshold = float(payload["credible_level"])
    prob, header = gracedb.read_map(gzipped)
    levels = gracedb.credible_levels(prob)
    table = ctx.store[TABLES["conesearch"]]
    # the NSIDE-1024 pixels at or below the threshold, among those that hold rows
    candidates = np.unique([int(key.split("_", 1)[0]) for key in table.keys])
    pixels = candidates[gracedb.pixel_levels(levels, candidates) <= threshold]
    positions, returned = scan_pixels(table, pixels, "*", ctx.nlimit)
    # the ZTF decoder, truncated: typed, no null-filling, no grouping, no sorting
    frame = decode(table, positions, returned, truncated=True, sort=False, pandas_major=ctx.pandas_major)
    if frame.empty:
        return tabular_response(frame, payload, ctx)
    from astropy.time import Time  # astropy is imported on first use: a replica starts faster

    frame["v:startgwMjdTai"] = Time(header["DATE-OBS"], scale="utc").tai.mjd
    return tabular_response(frame, payload, ctx)
