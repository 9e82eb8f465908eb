"""``/api/v1/sources``: diaSource rows (light curve) of one or more diaObjectIds."""

from ..dataset import TABLES
from ..store import NO_SUFFIX, object_prefixes
from ._base import hbase_read, tabular_response

PATH = "/api/v1/sources"
DESCRIPTION = "Get diaSource data based on Rubin diaObjectId"
REQUIRED = ("diaObjectId",)


def respond(payload, ctx):
    """
    Answer a sources query.

    Parameters
    ----------
    payload : mapping
        ``diaObjectId`` (required), ``midpointMjdTai`` (single id only: row-key prefix),
        ``columns``, ``output-format``.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    suffix = payload["midpointMjdTai"] if "midpointMjdTai" in payload else NO_SUFFIX
    prefixes = object_prefixes(payload["diaObjectId"], suffix)
    frame = hbase_read(ctx, TABLES["sources"], prefixes, payload)
    return tabular_response(frame, payload, ctx)
