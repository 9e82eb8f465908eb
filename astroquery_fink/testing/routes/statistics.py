"""``/api/v1/statistics``: per-night counters of the alert stream, as strings."""

import pandas as pd

from ..dataset import TABLES
from ..store import raw_scan
from ._base import tabular_response

PATH = "/api/v1/statistics"
DESCRIPTION = "Get statistics about Fink and the Rubin alert stream"
REQUIRED = ("date",)


def respond(payload, ctx):
    """
    Answer a statistics query.

    Parameters
    ----------
    payload : mapping
        ``date`` (required; a prefix of ``YYYYMMDD``, ``""`` for every night), ``columns``,
        ``output-format``.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    cols = payload["columns"] if "columns" in payload else "*"
    # every night starts with "20"; any prefix of YYYYMMDD works, a JSON number too
    dates = "20" if payload["date"] == "" else payload["date"]
    if "f:night" in cols:
        # the night is the row key (always returned as f:night): "key" has no ':', so HBase ignores it
        cols = cols.replace("f:night", "key")
    table = ctx.store[TABLES["statistics"]]
    rows = raw_scan(table, table.match(f"{dates}"), cols, ctx.nlimit, ifkey=True)
    frame = pd.DataFrame.from_dict(rows, orient="index")
    # counters written as raw zero bytes read as 0 (fink-science-portal issue 579)
    frame = frame.replace(regex={r"^\x00.*$": 0})
    frame = frame.rename(columns={"key:key": "f:night"})
    return tabular_response(frame, payload, ctx)
