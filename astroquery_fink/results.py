"""Every warning about what a result holds: empty, capped by a limit, incomplete, or asked with unknown columns.

**Where the warnings point.** One rule for all of them: a warning is attributed to the first
frame of the call stack that lies outside the ``astroquery_fink`` package, i.e. the user's line
that called the public method, however deep inside the package the warning is decided (a
method that calls another, a batch of requests). `warn` applies it; nothing here counts frames
by hand.
"""
import math
import os
import sys
import warnings

import numpy as np
from astroquery.exceptions import InputWarning, MaxResultsWarning, NoResultsWarning

from . import conf
from .exceptions import BulkQueryWarning, IncompleteResultError, IncompleteResultWarning
from .payload import API, TAGS_N

__all__ = ["SERVER_SCAN_LIMIT", "warn", "check_result", "warn_unknown_columns", "warn_no_cutout",
           "warn_empty_lightcurve", "warn_bulk", "report_failures", "DATA_TRANSFER_URL", "TRANSFER_COMMAND"]

#: The server reads at most this many rows per HBase scan, i.e. per object and per request, in
#: ascending row-key (time) order: beyond it the newest rows are silently missing.
SERVER_SCAN_LIMIT = 10_000
# Routes whose rows come from one scan per requested object.
_SCANNED_PER_OBJECT = ("sources", "fp")
# Server defaults of the limits the client reports on: cone rows per HEALPix pixel, resolver rows.
_CONE_N = 1000
_RESOLVER_NMAX = 10
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

# What was asked, in words, for the "no data" warning of each route.
_SUBJECTS = {
    "conesearch": lambda p: f"within {p['radius']:g} arcsec of (ra, dec) = ({p['ra']:.6f}, {p['dec']:.6f}) deg",
    "tags": lambda p: f"with tag {p['tag']!r} in that time window",
    "sso": lambda p: f"for {p['n_or_d']}",
    "resolver": lambda p: f"for {p['name_or_id']!r} with the {p['resolver']} resolver",
    "statistics": lambda p: f"for the night(s) {p['date']!r}",
    "skymap": lambda p: f"in the {p['credible_level']:g} credible region of "
                        + (f"event {p['event_name']}" if "event_name" in p else "the given map"),
}


def _user_stacklevel():
    """The ``stacklevel`` that makes `warnings.warn`, called from `warn`, name the first frame outside the package."""
    frame, level = sys._getframe(1), 1  # level 1 is `warn` itself
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def warn(message, category):
    """Issue a warning about a result, pointing at the user's call (see the module docstring)."""
    warnings.warn(message, category, stacklevel=_user_stacklevel())


#: Fink's page for bulk downloads (its Data Transfer service), for the LSST alerts.
DATA_TRANSFER_URL = "https://lsst.fink-portal.org/download"
#: How fink-client (12.x) downloads a Data Transfer job; the portal gives the topic name.
TRANSFER_COMMAND = "finkctl transfer -survey lsst -topic <topic> -outdir <folder> -outformat parquet --dump_schemas"


def warn_bulk(n_ids, queries=1):
    """
    Warn (`~astroquery_fink.exceptions.BulkQueryWarning`) when a call asks more than ``conf.bulk_ids_warning`` ids.

    Called once per public call, before its first request: a method that runs several id queries
    (a light curve, a summary) passes their number as ``queries`` and hides the warnings of the
    queries it runs. ``conf.bulk_ids_warning`` is read now, so ``conf.set_temp`` applies.
    """
    threshold = int(conf.bulk_ids_warning or 0)
    if threshold <= 0 or n_ids <= threshold:
        return
    size = max(1, int(conf.max_ids_per_request))
    requests = queries * math.ceil(n_ids / size)
    plural = "s" if requests > 1 else ""
    warn(f"{n_ids} ids (more than conf.bulk_ids_warning={threshold}): this call sends {requests} request{plural} "
         f"of at most {size} ids to the shared Fink API. For hundreds of objects, ask only the columns you need with "
         f"columns=; for more, Fink asks that you use its Data Transfer service ({DATA_TRANSFER_URL}), "
         f"which delivers whole alerts as Parquet files, downloaded with fink-client: {TRANSFER_COMMAND}. "
         f"Set conf.bulk_ids_warning = 0 to silence this warning.", BulkQueryWarning)


def warn_unknown_columns(unknown, endpoint):
    """Columns asked for that the server does not know: they are not in the result."""
    if unknown:
        warn(f"The Fink API does not know the column(s) {unknown} of {API + endpoint}; "
             "they are not in the result. See get_schema() for valid names.", InputWarning)


def check_result(table, endpoint, payload, *, failed_ids=()):
    """
    Warn about what a finished table of ``endpoint`` lacks: rows past a limit, or any row at all.

    ``failed_ids`` are the ids whose request failed: "no data" is only said of the others.
    """
    if endpoint in _SCANNED_PER_OBJECT:
        _warn_if_truncated(table, payload["diaObjectId"].split(","))
    if len(table) == 0:
        _warn_if_empty(endpoint, payload, failed_ids)
    if endpoint == "conesearch":
        _warn_if_capped_per_pixel(table, payload.get("n", _CONE_N))
    elif endpoint == "tags":
        _warn_if_capped(table, payload.get("n", TAGS_N), "n")
    elif endpoint == "resolver" and payload["resolver"] == "tns":  # nmax limits the tns scans only
        _warn_if_capped(table, payload.get("nmax", _RESOLVER_NMAX), "nmax")


def _warn_if_empty(endpoint, payload, failed_ids):
    if "diaObjectId" in payload:
        failed = set(failed_ids)
        answered = [identifier for identifier in payload["diaObjectId"].split(",") if identifier not in failed]
        if not answered:
            return
        subject = f"for diaObjectId {','.join(answered)}"
    else:
        subject = _SUBJECTS[endpoint](payload)
    warn(f"The Fink API has no data at {API + endpoint} {subject}.", NoResultsWarning)


def _warn_if_capped(table, cap, argument):
    """Warn when an answer reached a row limit the user can raise."""
    if len(table) >= cap:
        warn(f"The answer has {len(table)} rows, the limit set by {argument}={cap}: more may exist; "
             f"raise {argument} to get them.", MaxResultsWarning)


def _warn_if_capped_per_pixel(table, cap):
    """Cone searches read at most ``n`` rows per HEALPix pixel: warn when a pixel reached it."""
    if "f:pixel1024" in table.colnames and len(table):
        _, counts = np.unique(np.asarray(table["f:pixel1024"]), return_counts=True)
        reached = counts.max() >= cap
    else:
        reached = len(table) >= cap
    if reached:
        warn(f"A HEALPix pixel of the cone gave n={cap} rows, the server's per-pixel limit: more objects may "
             "exist there; raise n to get them.", MaxResultsWarning)


def _warn_if_truncated(table, ids):
    """Warn when an object reached the server's per-scan row limit (its newest rows are missing)."""
    if "r:diaObjectId" in table.colnames:
        objects, counts = np.unique(np.asarray(table["r:diaObjectId"]), return_counts=True)
        full = [int(obj) for obj, count in zip(objects, counts, strict=True) if count >= SERVER_SCAN_LIMIT]
    else:
        full = ids if len(table) >= SERVER_SCAN_LIMIT else []
    if full:
        warn(f"The Fink API returns at most {SERVER_SCAN_LIMIT} rows per object and request, the oldest first; "
             f"object(s) {full} reached that limit, so their most recent rows are missing from this table.",
             MaxResultsWarning)


def warn_no_cutout(payload):
    """An unknown diaSourceId: the cutout service answers with nothing."""
    warn(f"The Fink API has no {payload['kind']} cutout for diaSourceId {payload['diaSourceId']}.", NoResultsWarning)


def warn_empty_lightcurve(ids, forced):
    """A light curve empty as a whole (one query empty and not the other is not "no data")."""
    endpoints = API + "sources" + (" and " + API + "fp" if forced else "")
    warn(f"The Fink API has no data at {endpoints} for diaObjectId {','.join(ids)}.", NoResultsWarning)


def report_failures(table, endpoint, answers, on_error):
    """
    Say which ids have no rows because their request failed for good, as ``on_error`` asks.

    Parameters
    ----------
    table : `~astropy.table.Table`
        The finished table of the requests that succeeded; its ``meta["failed_ids"]`` is set.
    answers : `~astroquery_fink.batch.IdAnswers`
        Its ``failures``, ``(ids, exception)`` per failed request (a part of a split one, down
        to a single id), and the number of requests.
    on_error : {"raise", "warn"}
    """
    failures = answers.failures
    if not failures:
        return
    failed_ids = answers.failed_ids  # one pass over the failures, whatever their number
    table.meta["failed_ids"] = failed_ids
    asked = len(table.meta["query"]["diaObjectId"].split(",")) if "query" in table.meta else None
    shown = ", ".join(failed_ids[:10]) + (", ..." if len(failed_ids) > 10 else "")
    split = (f" The failed requests were split to isolate them ({answers.split_requests} more requests)."
             if answers.split_requests else "")
    message = (f"{len(failed_ids)} of {asked or len(failed_ids)} ids have no rows here: their requests to "
               f"{API + endpoint} failed after retries ({shown}).{split} First error: {failures[0][1]}")
    if on_error == "raise":
        raise IncompleteResultError(message, table=table, failed_ids=failed_ids, errors=failures)
    warn(message, IncompleteResultWarning)
