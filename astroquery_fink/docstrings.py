"""Parameter texts that several public methods share, written once and filled into their docstrings."""
import re
import textwrap

__all__ = ["shared_docs"]

_SHARED_DOCS = {
    "format_option": """output_format : {"votable", "json", "csv", "parquet"}, optional
    Transport format; the returned table is the same for all four. Defaults to
    ``conf.output_format`` (``"votable"`` unless changed), read at every call: set it once,
    ``conf.output_format = "parquet"``, or for a block, ``with conf.set_temp("output_format",
    "parquet"):``. Parquet answers are several times faster and smaller for large tables (see
    "Formats and speed" in the documentation).""",
    "cache_option": """cache : bool
    If `True`, reuse an answer cached on disk by astroquery (see ``clear_cache()``); off by
    default because alert data change every night.""",
    "payload_option": """get_query_payload : bool
    If `True`, return the JSON body that would be posted, without sending it.""",
    "split_payload_option": """get_query_payload : bool
    If `True`, return the JSON body of the whole query, all ids in ``diaObjectId``, without
    sending it. A list longer than ``conf.max_ids_per_request`` ids is sent as several requests
    of that many ids, each this body with its share of the ids.""",
    "split_options": """verbose : bool
    Show a progress bar when the ids fill several requests (on a terminal only).
on_error : {"raise", "warn"}
    When some requests of a long id list still fail after their retries: raise
    `~astroquery_fink.exceptions.IncompleteResultError` (it carries the partial table and
    the failed ids), or return the partial table with a warning naming them.""",
    "bulk_warning": """astroquery_fink.exceptions.BulkQueryWarning
    Once for the whole call, before any request, when more ids than ``conf.bulk_ids_warning``
    (500) are asked: Fink asks that such volumes go through its Data Transfer service.""",
    "query_errors": """astroquery.exceptions.InvalidQueryError
    Bad input (before any request), or a query the server rejected
    (`~astroquery_fink.exceptions.FinkInvalidQueryError`, with ``status``, ``url`` and
    ``server_message``).
astroquery.exceptions.RemoteServiceError
    The server failed (HTTP 5xx) or could not be reached
    (`~astroquery_fink.exceptions.FinkRemoteServiceError`, with the same attributes).
astroquery.exceptions.TimeoutError
    No answer within ``timeout`` seconds.""",
}
_PLACEHOLDER = re.compile(r"^(?P<indent>[ ]*)\{\{(?P<name>\w+)\}\}$", re.MULTILINE)


def shared_docs(function):
    """Fill the ``{{name}}`` lines of a docstring with the shared texts, at their indentation."""
    if function.__doc__ is None:  # python -OO strips docstrings
        return function
    function.__doc__ = _PLACEHOLDER.sub(
        lambda match: textwrap.indent(_SHARED_DOCS[match["name"]], match["indent"]), function.__doc__)
    return function
