"""``/api/v1/fp``: forced-photometry (diaForcedSource) rows of one or more diaObjectIds."""

from ..dataset import TABLES
from ..store import object_prefixes
from ._base import hbase_read, tabular_response

PATH = "/api/v1/fp"
DESCRIPTION = "Get forced photometry data based on Rubin diaObjectId"
REQUIRED = ("diaObjectId",)


def respond(payload, ctx):
    """
    Answer a forced-photometry query (the server silently ignores a ``midpointMjdTai`` argument here).

    Parameters
    ----------
    payload : mapping
        ``diaObjectId`` (required), ``columns``, ``output-format``.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    frame = hbase_read(ctx, TABLES["fp"], object_prefixes(payload["diaObjectId"]), payload)
    return tabular_response(frame, payload, ctx)
