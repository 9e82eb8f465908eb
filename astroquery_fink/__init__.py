"""
Fink/LSST broker queries
========================

Access to the Rubin/LSST alert data served by the Fink broker
(https://api.lsst.fink-portal.org), returned as `~astropy.table.Table` objects whose
columns carry units, descriptions, exact 64-bit identifiers and masked nulls.
"""
from astropy import config as _config

try:
    from .version import version as __version__
except ImportError:  # running from a source tree that was never installed
    __version__ = "0.0.0"


class Conf(_config.ConfigNamespace):
    """
    Configuration parameters for `astroquery_fink`.
    """

    # A plain string (not a list of mirrors) so that users can point the client at a
    # staging server or at the local replica at run time (astroquery #3413/#3414).
    server = _config.ConfigItem(
        "https://api.lsst.fink-portal.org",
        "Base URL of the Fink/LSST REST API.",
    )
    timeout = _config.ConfigItem(
        120.0,
        "Time limit in seconds for one HTTP request to the Fink API.",
    )
    # Read at every call by every tabular method and by fink-query's --transport default. VOTable
    # is what astroquery users expect; parquet is much faster and smaller for large answers
    # (docs/fink/tables.rst, "Formats and speed"). A plain string, checked at call time (not an
    # option list): a bad value then gives the client's InvalidQueryError, before any request.
    output_format = _config.ConfigItem(
        "votable",
        "Transport format of the tabular queries when a call does not give output_format: votable, json, csv "
        "or parquet (the tables are the same; parquet is the fastest for large answers).",
    )
    # The server scans ids one by one and its front end gives up after about 120 s: long id
    # lists are split (see benchmarks/README.md for the measurement behind the default).
    max_ids_per_request = _config.ConfigItem(
        100,
        "Largest number of ids sent in one request; longer lists are split into several requests.",
    )
    max_workers = _config.ConfigItem(
        2,
        "Requests in flight at once for a split id list; 1 sends them one after the other. "
        "Keep it small: the Fink service is shared.",
    )
    # Fink's documentation asks users with "hundreds of objects" to use its Data Transfer service
    # rather than the REST API. 500 ids is 5 requests of 100: well within what the REST path does
    # comfortably, yet past the "hundreds" where bulk files become the polite and faster choice.
    bulk_ids_warning = _config.ConfigItem(
        500,
        "Id queries with more ids than this warn once (BulkQueryWarning), pointing to Fink's Data Transfer "
        "service, which Fink asks users to prefer beyond a few hundred objects; 0 turns the warning off.",
    )
    max_retries = _config.ConfigItem(
        5,
        "Further attempts after a transient failure (connection error, timeout, HTTP 429/502/503/504); "
        "0 disables retrying.",
    )
    retry_backoff = _config.ConfigItem(
        1.0,
        "Upper bound in seconds of the first wait before a retry; doubled at every attempt, randomized.",
    )
    retry_max_wait = _config.ConfigItem(
        120.0,
        "Total seconds spent waiting between the attempts of one request.",
    )
    # A 10 000-id call is 100 requests, 2 at a time: a few minutes on the public service.
    max_total_time = _config.ConfigItem(
        3600.0,
        "Time limit in seconds for one call (all its requests, retries and waits); inf removes it.",
    )
    # The largest real answer, 100 ids x 10 000 rows x every column of /api/v1/sources, is about
    # 3.6 GB in JSON and 2.9 GB in VOTable (benchmarks/README.md): 8 GiB leaves room.
    max_response_bytes = _config.ConfigItem(
        8 * 2**30,
        "Largest answer in bytes, as received and after decompression; larger ones are refused.",
    )
    # Real answers compress 3x (CSV) to 10x (JSON); a gzip bomb reaches 1000x.
    max_compression_ratio = _config.ConfigItem(
        100.0,
        "Largest ratio of decompressed to received bytes of a compressed answer (past its first MiB).",
    )
    # decoder limits (astroquery_fink/limits.py checks them before building a table)
    max_rows = _config.ConfigItem(
        5_000_000, "Most rows one answer may hold; a larger one raises DecodeLimitError (a TableParseError).")
    max_columns = _config.ConfigItem(
        5_000, "Most columns (VOTable FIELDs, parquet columns, JSON keys, csv header fields) one answer may hold.")
    max_cells = _config.ConfigItem(
        500_000_000, "Most cells (rows times columns) one answer may hold.")
    max_string_width = _config.ConfigItem(
        16_384, "Widest string, in characters, a VOTable FIELD of an answer may declare (arraysize).")
    max_string_bytes = _config.ConfigItem(
        2**30, "Most memory, in bytes, the declared string widths of a VOTable answer may reserve "
        "(rows x width x 4).")


conf = Conf()

__all__ = ["Fink", "FinkClass", "Conf", "conf", "plot_cutouts", "read_data_transfer", "__version__"]

# ``Fink`` and ``FinkClass`` are imported from `astroquery_fink.core` on first access (PEP 562):
# ``import astroquery_fink`` then costs no more than astropy's configuration, and processes that
# only need ``conf`` or the replica (``python -m astroquery_fink.testing``) never load the client
# and astroquery.query (pyvo, most of astropy). ``from astroquery_fink import Fink`` works as before.
# ``plot_cutouts`` comes the same way from `astroquery_fink.stamps` (which imports matplotlib only when it draws),
# ``read_data_transfer`` from `astroquery_fink.data_transfer` (which imports pyarrow only when it reads).
_LAZY = {"Fink": "core", "FinkClass": "core", "plot_cutouts": "stamps", "read_data_transfer": "data_transfer"}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module  # python -X importtime reports the module it imports

        module = import_module(f".{_LAZY[name]}", __name__)
        # next time, plain attributes
        globals().update((lazy, getattr(module, lazy)) for lazy, source in _LAZY.items() if source == _LAZY[name])
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
