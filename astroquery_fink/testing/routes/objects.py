"""``/api/v1/objects``: the diaObject row of one or more diaObjectIds."""

from ..dataset import TABLES
from ..store import object_prefixes
from ._base import hbase_read, tabular_response

PATH = "/api/v1/objects"
DESCRIPTION = "Get diaObject & aggregated data based on Rubin diaObjectId"
REQUIRED = ("diaObjectId",)


def respond(payload, ctx):
    """
    Answer an objects query.

    Parameters
    ----------
    payload : mapping
        ``diaObjectId`` (required), ``columns``, ``output-format``.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    frame = hbase_read(ctx, TABLES["objects"], object_prefixes(payload["diaObjectId"]), payload)
    return tabular_response(frame, payload, ctx)
