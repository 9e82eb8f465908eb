"""The Fink/LSST query class: one public method per REST endpoint, each a thin wrapper."""
import json
import logging
import re
import textwrap
import time
import warnings

import numpy as np
import requests
from astropy.table import Table
from astroquery import log
from astroquery.exceptions import (
    InputWarning,
    InvalidQueryError,
    MaxResultsWarning,
    NoResultsWarning,
    RemoteServiceError,
    TableParseError,
)
from astroquery.exceptions import TimeoutError as AstroqueryTimeoutError
from astroquery.query import BaseQuery

from . import __version__, conf
from .annotate import annotate, complete_columns
from .batch import WorkerClients, chunked, fetch_chunks, merge_tables
from .columns import column_kinds, endpoint_columns
from .cutouts import cutout_payload, decode_cutout, empty_cutout
from .decode import decode_table
from .errors import error_for_response
from .exceptions import IncompleteResultError, IncompleteResultWarning
from .lightcurve import DETECTION_COLUMNS, FORCED_COLUMNS, merge_lightcurve
from .order import ORDER_COLUMNS, order_rows
from .payload import (
    id_payload,
    normalize_columns,
    normalize_coordinates,
    normalize_count,
    normalize_endpoint,
    normalize_ids,
    normalize_mjd,
    normalize_names,
    normalize_night,
    normalize_on_error,
    normalize_output_format,
    normalize_radius,
    normalize_resolver,
    normalize_time,
)
from .retry import RETRY_STATUSES, RetryPolicy
from .schema import schema_table
from .skymap import skymap_payload

__all__ = ["Fink", "FinkClass", "SERVER_SCAN_LIMIT"]

_API = "/api/v1/"
#: The server reads at most this many rows per HBase scan, i.e. per object and per request, in
#: ascending row-key (time) order: beyond it the newest rows are silently missing.
SERVER_SCAN_LIMIT = 10_000
# Routes whose rows come from one scan per requested object.
_SCANNED_PER_OBJECT = ("sources", "fp")
# Server defaults of the limits the client reports on: cone rows per HEALPix pixel, tag rows, resolver rows.
_CONE_N = 1000
_TAGS_N = 10
_RESOLVER_NMAX = 10
# Transports whose server-side writers crash on ordinary data; CSV is asked for instead.
_CSV_FALLBACK_FROM = ("votable", "parquet")

# Parameter texts shared by several methods, filled into their docstrings by `_shared_docs`
# so that each is written once.
_SHARED_DOCS = {
    "format_option": """output_format : {"votable", "json", "csv", "parquet"}
    Transport format; the returned table is the same for all four.""",
    "cache_option": """cache : bool
    If `True`, reuse an answer cached on disk by astroquery (see ``clear_cache()``); off by
    default because alert data change every night.""",
    "payload_option": """get_query_payload : bool
    If `True`, return the JSON body that would be posted, without sending it.""",
    "split_payload_option": """get_query_payload : bool
    If `True`, return the JSON body that would be posted, without sending it (a list of
    bodies when the ids fill several requests).""",
    "split_options": """verbose : bool
    Show a progress bar when the ids fill several requests (on a terminal only).
on_error : {"raise", "warn"}
    When some requests of a long id list still fail after their retries: raise
    `~astroquery_fink.exceptions.IncompleteResultError` (it carries the partial table and
    the failed ids), or return the partial table with a warning naming them.""",
    "query_errors": """astroquery.exceptions.InvalidQueryError
    Bad input (before any request), or a query the server rejected.
astroquery.exceptions.RemoteServiceError
    The server failed (HTTP 5xx).
astroquery.exceptions.TimeoutError
    No answer within ``timeout`` seconds.""",
}
_PLACEHOLDER = re.compile(r"^(?P<indent>[ ]*)\{\{(?P<name>\w+)\}\}$", re.MULTILINE)


def _shared_docs(function):
    """Fill the ``{{name}}`` lines of a docstring with the shared texts, at their indentation."""
    if function.__doc__ is None:  # python -OO strips docstrings
        return function
    function.__doc__ = _PLACEHOLDER.sub(
        lambda match: textwrap.indent(_SHARED_DOCS[match["name"]], match["indent"]), function.__doc__)
    return function


class FinkClass(BaseQuery):
    """
    Query the Fink broker's Rubin/LSST alert data (https://api.lsst.fink-portal.org).

    Every result is an `~astropy.table.Table` whose columns keep the API names
    (``r:psfFlux``), carry units and descriptions, hold 64-bit identifiers exactly and mask
    missing values, whatever the transport format.

    Parameters
    ----------
    server : str, optional
        Base URL of the API; defaults to ``conf.server``, read at every call.
    timeout : float, optional
        Seconds to wait for one answer; defaults to ``conf.timeout``, read at every call.

    Examples
    --------
    >>> from astroquery_fink import Fink
    >>> fp = Fink.query_forced_photometry(313761043604045880)  # doctest: +REMOTE_DATA +IGNORE_OUTPUT
    >>> fp["r:psfFlux"].unit  # doctest: +REMOTE_DATA
    Unit("nJy")
    """

    def __init__(self, server=None, timeout=None):
        super().__init__()
        self._server = server
        self._timeout = timeout
        # endpoint -> {column name: server description}, filled by get_schema
        self._descriptions = {}
        # the server's list of tags, fetched once to check query_tags arguments
        self._tags = None
        # how retries wait; tests replace it to run without sleeping
        self._sleep = time.sleep
        # say who we are to the Fink operators, as SIMBAD asks of its clients
        self._session.headers["User-Agent"] += f" astroquery_fink/{__version__}"

    def _response_hook(self, response, *args, **kwargs):
        # astroquery's hook renders the whole body into a log record on every answer, even when
        # the logger drops it: 0.08 s for a 20 000-row VOTable (benchmarks/). Only pass the
        # answer on when astroquery's logger would really print at DEBUG level or below.
        if log.isEnabledFor(logging.DEBUG):
            return super()._response_hook(response, *args, **kwargs)
        return None

    @property
    def server(self):
        """Base URL of the API (the instance's, else ``conf.server``), without trailing slash."""
        return (self._server or conf.server).rstrip("/")

    @property
    def timeout(self):
        """Seconds to wait for one answer (the instance's, else ``conf.timeout``)."""
        return float(self._timeout if self._timeout is not None else conf.timeout)

    # --- public methods ----------------------------------------------------------------------

    @_shared_docs
    def query_object(self, dia_object_id, *, columns=None, output_format="votable", cache=False,
                     get_query_payload=False, verbose=True, on_error="raise"):
        """
        Get the diaObject summary row of one or several objects (``/api/v1/objects``).

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            One Rubin ``diaObjectId`` or several (a list, an array, a table column); several
            ids are sent in one request and come back as one table.
        columns : str or list of str, optional
            Column names with their family prefix, e.g. ``["r:ra", "r:dec", "r:nDiaSources"]``;
            all columns (about 90) by default.
        {{format_option}}
        {{cache_option}}
        {{split_payload_option}}
        {{split_options}}

        Returns
        -------
        `~astropy.table.Table`
            One row per diaObject, in the order of the ids given (the client restores it: the
            server sends several objects in an order of its own). ``r:diaObjectId`` is always
            included, even when ``columns`` leaves it out.

        Raises
        ------
        {{query_errors}}

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> obj = Fink.query_object(313761043604045880,
        ...                         columns="r:ra,r:dec,r:nDiaSources")  # doctest: +REMOTE_DATA
        >>> obj.colnames  # doctest: +REMOTE_DATA
        ['r:dec', 'r:diaObjectId', 'r:nDiaSources', 'r:ra']
        """
        payload = id_payload("diaObjectId", dia_object_id, columns=columns, output_format=output_format,
                             required=ORDER_COLUMNS["objects"])
        return self._query_ids("objects", payload, cache=cache, get_query_payload=get_query_payload, verbose=verbose,
                               on_error=on_error)

    @_shared_docs
    def query_sources(self, dia_object_id, *, midpoint_mjd_tai=None, columns=None, output_format="votable",
                      cache=False, get_query_payload=False, verbose=True, on_error="raise"):
        """
        Get the alert light curve, one row per diaSource (``/api/v1/sources``).

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            One Rubin ``diaObjectId`` or several.
        midpoint_mjd_tai : float, str or `~astropy.time.Time`, optional
            Only the source(s) at this time (MJD, TAI). The server matches the text as a
            prefix, so ``"61176"`` selects every source of that day. One id only.
        columns : str or list of str, optional
            Column names with their family prefix, e.g. ``"r:midpointMjdTai,r:psfFlux,r:band"``;
            all columns (about 130) by default, which is slower.
        {{format_option}}
        {{cache_option}}
        {{split_payload_option}}
        {{split_options}}

        Returns
        -------
        `~astropy.table.Table`
            One row per diaSource, newest first (``r:midpointMjdTai`` descending); rows of the
            same time follow the order of the ids given, then ``r:diaSourceId``.
            ``r:diaObjectId`` and ``r:midpointMjdTai`` are always included, even when
            ``columns`` leaves them out: they tell the objects apart, keep rows whose selected
            cells are all empty (the server drops those), and give the order.

        Raises
        ------
        {{query_errors}}

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> lc = Fink.query_sources(313761043604045880,
        ...                         columns="r:midpointMjdTai,r:band,r:psfFlux,r:psfFluxErr")  # doctest: +REMOTE_DATA
        >>> lc["r:psfFlux"].unit, lc["r:midpointMjdTai"].unit  # doctest: +REMOTE_DATA
        (Unit("nJy"), Unit("d"))
        """
        payload = id_payload("diaObjectId", dia_object_id, columns=columns, output_format=output_format,
                             required=ORDER_COLUMNS["sources"])
        if midpoint_mjd_tai is not None:
            if "," in payload["diaObjectId"]:
                # the server silently ignores the time when several ids are given
                raise InvalidQueryError("midpoint_mjd_tai can only be used with a single dia_object_id.")
            payload["midpointMjdTai"] = normalize_mjd(midpoint_mjd_tai)
        return self._query_ids("sources", payload, cache=cache, get_query_payload=get_query_payload, verbose=verbose,
                               on_error=on_error)

    @_shared_docs
    def query_forced_photometry(self, dia_object_id, *, columns=None, output_format="votable", cache=False,
                                get_query_payload=False, verbose=True, on_error="raise"):
        """
        Get the forced photometry of objects, one row per diaForcedSource (``/api/v1/fp``).

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            One Rubin ``diaObjectId`` or several.
        columns : str or list of str, optional
            Column names with their family prefix, e.g. ``["r:midpointMjdTai", "r:psfFlux"]``;
            all 15 columns by default.
        {{format_option}}
        {{cache_option}}
        {{split_payload_option}}
        {{split_options}}

        Returns
        -------
        `~astropy.table.Table`
            One row per forced measurement, newest first (``r:midpointMjdTai`` descending);
            rows of the same time follow the order of the ids given, then
            ``r:diaForcedSourceId``. ``r:diaObjectId`` and ``r:midpointMjdTai`` are always
            included, even when ``columns`` leaves them out: they tell the objects apart, keep
            rows whose selected cells are all empty (the server drops those), and give the order.

        Raises
        ------
        {{query_errors}}

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> fp = Fink.query_forced_photometry(313761043604045880)  # doctest: +REMOTE_DATA
        >>> fp["r:psfFlux"].unit, fp["r:diaObjectId"].dtype  # doctest: +REMOTE_DATA
        (Unit("nJy"), dtype('int64'))
        >>> Fink.query_forced_photometry(313761043604045880, get_query_payload=True)
        {'diaObjectId': '313761043604045880', 'output-format': 'votable'}
        """
        payload = id_payload("diaObjectId", dia_object_id, columns=columns, output_format=output_format,
                             required=ORDER_COLUMNS["fp"])
        return self._query_ids("fp", payload, cache=cache, get_query_payload=get_query_payload, verbose=verbose,
                               on_error=on_error)

    @_shared_docs
    def get_lightcurve(self, dia_object_id, *, forced=True, columns=None, output_format="votable", cache=False,
                       verbose=True, on_error="raise"):
        """
        Get the light curve of objects: detections and forced photometry in one table, with AB magnitudes.

        Runs `query_sources` for the light-curve columns only and, if ``forced``,
        `query_forced_photometry`, then merges them with
        `~astroquery_fink.lightcurve.merge_lightcurve` (see it for the columns: ``kind``,
        ``time``, ``mag``, ``mag_err``, ...). Draw it with
        `~astroquery_fink.lightcurve.plot_lightcurve`.

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            One Rubin ``diaObjectId`` or several: their rows come in one table (``r:diaObjectId``
            tells them apart, ``lc.group_by("r:diaObjectId")`` splits it).
        forced : bool
            Add the forced photometry (``/api/v1/fp``), which also measures the object when it
            was not detected; `False` gives the detections only.
        columns : str or list of str, optional
            More detection columns, e.g. ``["r:snr", "r:reliability"]``. Those that
            ``/api/v1/fp`` serves too (``r:visit``, ``r:scienceFlux``, ...) are asked of it as
            well; the others are masked in forced rows.
        output_format : {"votable", "json", "csv", "parquet"}
            Transport format of both queries; the returned table is the same for all four.
        cache : bool
            If `True`, reuse answers cached on disk by astroquery; off by default.
        verbose : bool
            Show a progress bar when the ids fill several requests (on a terminal only).
        on_error : {"raise", "warn"}
            When some requests of a long id list still fail after their retries: raise
            `~astroquery_fink.exceptions.IncompleteResultError` (carrying the partial table of
            that query), or go on with a warning naming the ids without rows.

        Returns
        -------
        `~astropy.table.Table`
            One row per measurement, oldest first, with ``kind`` ``"detection"`` or ``"forced"``.

        Warns
        -----
        astroquery.exceptions.NoResultsWarning
            Only when the light curve is empty as a whole: an object with detections but no
            forced photometry (or the reverse) is not "no data".
        astroquery.exceptions.MaxResultsWarning
            When an object reached the server's limit of 10 000 rows per request in either
            query (its newest rows are missing).

        Raises
        ------
        {{query_errors}}

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> lc = Fink.get_lightcurve(313761043604045880)  # doctest: +REMOTE_DATA
        >>> sorted(set(lc["kind"].tolist()))  # doctest: +REMOTE_DATA
        ['detection', 'forced']
        >>> lc["time"].scale, lc["mag"].unit  # doctest: +REMOTE_DATA
        ('tai', Unit("mag(AB)"))
        """
        ids = normalize_ids(dia_object_id)  # once: an iterator given as ids serves both queries
        extra = [] if columns is None else normalize_columns(columns).split(",")
        options = {"output_format": output_format, "cache": cache, "verbose": verbose, "on_error": on_error}
        with warnings.catch_warnings():
            # Many objects have detections and no forced photometry yet (or the reverse): only an
            # empty light curve as a whole is "no data", said once below.
            warnings.simplefilter("ignore", NoResultsWarning)
            sources = self.query_sources(ids, columns=list(DETECTION_COLUMNS) + extra, **options)
            photometry = None
            if forced:
                served = endpoint_columns("fp")  # ask /fp only what it knows: no InputWarning for r:snr
                photometry = self.query_forced_photometry(
                    ids, columns=list(FORCED_COLUMNS) + [name for name in extra if name in served], **options)
        lightcurve = merge_lightcurve(sources, photometry)
        if len(lightcurve) == 0:
            endpoints = _API + "sources" + (" and " + _API + "fp" if forced else "")
            warnings.warn(f"The Fink API has no data at {endpoints} for diaObjectId {','.join(ids)}.",
                          NoResultsWarning, stacklevel=2)
        return lightcurve

    @_shared_docs
    def get_schema(self, endpoint="sources", *, cache=True, get_query_payload=False):
        """
        Describe the columns an endpoint returns (``/api/v1/schema``).

        The server's descriptions are also kept and used as column descriptions of later
        results from the same endpoint on this instance.

        Parameters
        ----------
        endpoint : str
            ``"sources"``, ``"objects"``, ``"fp"``, ``"conesearch"``, ``"cutouts"``, ``"sso"``,
            ``"statistics"`` or ``"tags"``, with or without the ``/api/v1/`` prefix.
        cache : bool
            Reuse a cached answer (default: the schema changes rarely).
        {{payload_option}}

        Returns
        -------
        `~astropy.table.Table`
            One row per field: ``name`` (with its family prefix, e.g. ``r:psfFlux``),
            ``family`` (``r``, ``f``, ``b``), ``type`` (Avro type without the null branch),
            ``nullable``, ``unit`` (an `~astropy.units.Unit`, or ``""``) and ``description``.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> schema = Fink.get_schema("fp")  # doctest: +REMOTE_DATA
        >>> schema.loc["r:psfFlux"]["unit"]  # doctest: +REMOTE_DATA
        Unit("nJy")
        """
        short = normalize_endpoint(endpoint)
        payload = {"endpoint": _API + short}
        if get_query_payload:
            return payload
        response = self._send("POST", "schema", payload, cache=cache)
        try:
            table = schema_table(short, json.loads(response.content))
        except (ValueError, AttributeError, TypeError) as error:
            self._forget()
            raise TableParseError(f"could not read the schema answer of {response.url}: {error}") from error
        self._descriptions[short] = dict(zip(table["name"], table["description"], strict=True))
        if short == "tags":  # tags rows are sources rows (same storage columns)
            self._descriptions["sources"] = self._descriptions["tags"]
        table.meta.update(endpoint=_API + "schema", url=response.url, query=payload)
        return table

    @_shared_docs
    def query_region(self, coordinates, radius, *, n=None, start_time=None, stop_time=None, window=None,
                     columns=None, output_format="votable", cache=False, get_query_payload=False):
        """
        Find the objects Fink saw around a position (``/api/v1/conesearch``).

        One row per object: its latest alert, with the distance to the centre in
        ``v:separation_degree``, nearest first.

        Parameters
        ----------
        coordinates : `~astropy.coordinates.SkyCoord` or str
            The centre. A string is read by `astroquery.utils.commons.parse_coordinates`
            (ICRS degrees or sexagesimal, else resolved as a name).
        radius : `~astropy.coordinates.Angle`, `~astropy.units.Quantity` or float
            Search radius; **a bare number is in arcseconds**. At most 5 degrees.
        n : int, optional
            Rows the server reads per HEALPix (NSIDE 1024) pixel of the cone; server default 1000.
        start_time, stop_time : `~astropy.time.Time`, str or float, optional
            Keep objects first detected at or after ``start_time`` and last detected at or before
            ``stop_time``. A string is an ISO time (UTC); a number is an MJD in TAI, like the
            ``*MjdTai`` columns.
        window : float or `~astropy.units.Quantity`, optional
            With ``start_time`` only: keep objects last detected within ``window`` days of it.
        columns : str or list of str, optional
            Column names with their family prefix; ``r:ra``, ``r:dec`` and ``r:midpointMjdTai``
            are always returned, and ``f:firstDiaSourceMjdTaiFink`` is added when a time is given
            (the server needs it to filter).
        {{format_option}}
        {{cache_option}}
        {{payload_option}}

        Returns
        -------
        `~astropy.table.Table`

        Warns
        -----
        astroquery.exceptions.MaxResultsWarning
            When a pixel of the cone gave ``n`` rows (raise ``n`` to see more).

        Examples
        --------
        >>> import astropy.units as u
        >>> from astropy.coordinates import SkyCoord
        >>> from astroquery_fink import Fink
        >>> centre = SkyCoord(53.2514, -27.861, unit="deg")
        >>> cone = Fink.query_region(centre, 10 * u.arcsec)  # doctest: +REMOTE_DATA
        >>> cone["v:separation_degree"].unit  # doctest: +REMOTE_DATA
        Unit("deg")
        """
        ra, dec = normalize_coordinates(coordinates)
        payload = {"ra": ra, "dec": dec, "radius": normalize_radius(radius)}
        if n is not None:
            payload["n"] = normalize_count(n, name="n")
        if start_time is not None:
            payload["startdate"] = normalize_time(start_time, name="start_time")
        if stop_time is not None:
            payload["stopdate"] = normalize_time(stop_time, name="stop_time")
        if window is not None:
            if start_time is None:
                # the server ignores a window without a start: say so instead
                raise InvalidQueryError("window needs start_time: it counts days from start_time.")
            payload["window"] = _days(window)
        selection = normalize_columns(columns)
        if selection is not None:
            # The server adds r:ra/r:dec/r:midpointMjdTai by a substring test, which "r:raErr" fools
            # (then it crashes), and refuses dates without f:firstDiaSourceMjdTaiFink: send them all.
            needed = ["r:ra", "r:dec", "r:midpointMjdTai"]
            if "startdate" in payload or "stopdate" in payload:
                needed.append("f:firstDiaSourceMjdTaiFink")
            payload["columns"] = normalize_columns(selection.split(",") + needed)
        payload["output-format"] = normalize_output_format(output_format)
        if get_query_payload:
            return payload
        subject = f"within {payload['radius']:g} arcsec of (ra, dec) = ({ra:.6f}, {dec:.6f}) deg"
        table = self._query_table("conesearch", payload, cache=cache, subject=subject)
        _warn_if_capped_per_pixel(table, payload.get("n", _CONE_N))
        return table

    def list_tags(self, *, cache=True):
        """
        List the Fink tags (filters) and whether the API can query them (``GET /api/v1/tags``).

        Parameters
        ----------
        cache : bool
            Reuse a cached answer (default: the list changes with Fink releases only).

        Returns
        -------
        `~astropy.table.Table`
            Columns ``tag``, ``api_support`` (bool) and ``description``, sorted by tag.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> tags = Fink.list_tags()  # doctest: +REMOTE_DATA
        >>> "in_tns" in tags["tag"]  # doctest: +REMOTE_DATA
        True
        """
        return self._listing(
            "tags",
            lambda listing: [(tag, bool(info["API support"]), str(info["description"]))
                             for tag, info in sorted(listing.items())],
            ("tag", "api_support", "description"), (str, bool, str), cache=cache)

    @_shared_docs
    def query_tags(self, tag, *, n=None, start_time=None, stop_time=None, columns=None, output_format="votable",
                   cache=False, get_query_payload=False):
        """
        Get the latest alerts Fink selected with a tag (``/api/v1/tags``), newest first.

        Parameters
        ----------
        tag : str
            A tag with API support, e.g. ``"in_tns"``; see `list_tags`.
        n : int, optional
            Number of alerts, the most recent first; the server's default is 10.
        start_time, stop_time : `~astropy.time.Time`, str or float, optional
            Time window of the alerts (``r:midpointMjdTai``). A string is an ISO time (UTC); a
            number is an MJD in TAI. The server's defaults are 2019-11-01 and now.
        columns : str or list of str, optional
            Column names with their family prefix; all (about 130, as `query_sources`) by default.
        {{format_option}}
        {{cache_option}}
        get_query_payload : bool
            If `True`, return the JSON body that would be posted, without sending it (the tag is
            then not checked against the server's list).

        Returns
        -------
        `~astropy.table.Table`
            One row per alert (an object can appear several times), newest first
            (``r:midpointMjdTai`` descending, then ``r:diaSourceId``); ``r:midpointMjdTai`` is
            always included, even when ``columns`` leaves it out (without it the server sends the
            oldest first).

        Warns
        -----
        astroquery.exceptions.MaxResultsWarning
            When ``n`` alerts came back: older ones in the window were left out (raise ``n``).

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> columns = "r:diaObjectId,r:midpointMjdTai,f:xm_tns_fullname"
        >>> latest = Fink.query_tags("in_tns", n=5, columns=columns)  # doctest: +REMOTE_DATA
        >>> len(latest) <= 5  # doctest: +REMOTE_DATA
        True
        """
        tag = str(tag).strip()
        payload = {"tag": tag, "n": normalize_count(n, name="n") if n is not None else _TAGS_N}
        if start_time is not None:
            payload["startdate"] = normalize_time(start_time, name="start_time")
        if stop_time is not None:
            payload["stopdate"] = normalize_time(stop_time, name="stop_time")
        selection = normalize_columns(columns, required=ORDER_COLUMNS["tags"])
        if selection is not None:
            payload["columns"] = selection
        payload["output-format"] = normalize_output_format(output_format)
        if get_query_payload:
            return payload
        self._check_tag(tag)
        table = self._query_table("tags", payload, cache=cache, subject=f"with tag {tag!r} in that time window")
        _warn_if_capped(table, payload["n"], "n")
        return table

    @_shared_docs
    def query_sso(self, name_or_number, *, with_ephemerides=False, columns=None, output_format="votable",
                  cache=False, get_query_payload=False):
        """
        Get the alerts of Solar System objects (``/api/v1/sso``), newest first.

        Parameters
        ----------
        name_or_number : str, int, or list of them
            Names, numbers, provisional or packed designations (``"2015 BC557"``, ``8467``,
            ``"K15Bt7C"``), resolved by the server through SsODNet.
        with_ephemerides : bool
            Add the Miriade ephemerides at each alert (distances, phase angle, predicted
            magnitudes) and the reduced magnitude ``i:magpsf_red``.
        columns : str or list of str, optional
            Column names with their family prefix; all (about 140) by default.
        {{format_option}}
        {{cache_option}}
        {{payload_option}}

        Returns
        -------
        `~astropy.table.Table`
            One row per alert, with the resolved name in ``f:sso_name``, newest first
            (``r:midpointMjdTai`` descending, then ``r:diaSourceId``); ``r:midpointMjdTai`` is
            always included, even when ``columns`` leaves it out.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> sso = Fink.query_sso("2015 BC557", columns="r:midpointMjdTai,r:psfFlux,r:band")  # doctest: +REMOTE_DATA
        >>> sso["r:psfFlux"].unit  # doctest: +REMOTE_DATA
        Unit("nJy")
        """
        payload = {"n_or_d": normalize_names(name_or_number)}
        if with_ephemerides:
            payload["withEphem"] = True  # JSON true: the server ignores "true" and 1
        selection = normalize_columns(columns, required=ORDER_COLUMNS["sso"])
        if selection is not None:
            payload["columns"] = selection
        payload["output-format"] = normalize_output_format(output_format)
        if get_query_payload:
            return payload
        return self._query_table("sso", payload, cache=cache, key="sso_ephemerides" if with_ephemerides else "sso",
                                 subject=f"for {payload['n_or_d']}")

    @_shared_docs
    def resolve(self, name, *, resolver="tns", reverse=False, nmax=None, cache=False, get_query_payload=False):
        """
        Translate between astronomical names and Rubin identifiers (``/api/v1/resolver``).

        Parameters
        ----------
        name : str or int
            Forward: a TNS name (``"SN 2022and"``, prefix match), a SIMBAD name, or a Solar System
            designation. Reverse: a ``diaObjectId`` (tns, simbad) or an ``ssObjectId`` (ssodnet).
        resolver : {"tns", "simbad", "ssodnet"}
            The name service.
        reverse : bool
            Resolve a Rubin identifier to names instead.
        nmax : int, optional
            Maximum number of rows (tns); the server's default is 10.
        {{cache_option}}
        {{payload_option}}

        Returns
        -------
        `~astropy.table.Table`
            Typed values (the server sends them as text): coordinates in deg, redshifts and
            identifiers as numbers.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> tns = Fink.resolve("SN 2022and")  # doctest: +REMOTE_DATA
        >>> tns["f:ra"].unit  # doctest: +REMOTE_DATA
        Unit("deg")
        """
        resolver = normalize_resolver(resolver)
        if reverse:
            text = normalize_ids(name, name="name")
            if len(text) != 1:
                raise InvalidQueryError("resolve(reverse=True) takes a single identifier.")
            text = text[0]
        else:
            text = str(name).strip()
        payload = {"resolver": resolver, "name_or_id": text}
        if reverse:
            payload["reverse"] = True  # honoured only as JSON true
        if nmax is not None:
            payload["nmax"] = normalize_count(nmax, name="nmax")  # a JSON number: a string crashes the server
        payload["output-format"] = "json"
        if get_query_payload:
            return payload
        key = f"resolver_{resolver}" + ("_reverse" if reverse else "")
        table = self._query_table("resolver", payload, cache=cache, key=key,
                                  subject=f"for {text!r} with the {resolver} resolver")
        if resolver == "tns":  # nmax limits the tns scans only
            _warn_if_capped(table, payload.get("nmax", _RESOLVER_NMAX), "nmax")
        return table

    @_shared_docs
    def get_cutouts(self, dia_source_id, *, kind="Science", output_format="FITS", stretch=None, colormap=None,
                    convolution_kernel=None, cache=False, get_query_payload=False):
        """
        Get the image stamps of an alert (``/api/v1/cutouts``).

        Parameters
        ----------
        dia_source_id : int or str
            The ``diaSourceId`` of the alert.
        kind : {"Science", "Template", "Difference", "All"}
            Which stamp; ``"All"`` needs ``output_format="array"``.
        output_format : {"FITS", "array", "PNG"}
            FITS gives the alert's FITS stamp, array the pixels, PNG a rendered image.
        stretch : str, optional
            PNG only: ``"sigmoid"`` (server default), ``"linear"``, ``"sqrt"``, ``"power"``,
            ``"log"`` or ``"asinh"``.
        colormap : str, optional
            PNG only: a matplotlib colormap name; grey levels by default.
        convolution_kernel : {"gauss", "box"}, optional
            PNG only: smooth the image with a one-pixel kernel first.
        {{cache_option}}
        {{payload_option}}

        Returns
        -------
        `~astropy.io.fits.HDUList`, `numpy.ndarray`, dict or bytes
            FITS: an HDUList; array: a 2-D float array, or for ``kind="All"`` a dict with keys
            ``"Science"``, ``"Template"`` and ``"Difference"``; PNG: the image bytes. An unknown
            id gives an empty result and a `~astroquery.exceptions.NoResultsWarning`.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> stamp = Fink.get_cutouts(170424319673368579, kind="Science", output_format="array")  # doctest: +REMOTE_DATA
        >>> stamp.shape  # doctest: +REMOTE_DATA +IGNORE_OUTPUT
        (30, 30)
        """
        payload = cutout_payload(dia_source_id, kind=kind, output_format=output_format, stretch=stretch,
                                 colormap=colormap, convolution_kernel=convolution_kernel)
        if get_query_payload:
            return payload
        response = self._send("POST", "cutouts", payload, cache=cache)
        kind, output_format = payload["kind"], payload["output-format"]
        if not response.content:  # an unknown diaSourceId is an empty 200 answer
            warnings.warn(f"The Fink API has no {kind} cutout for diaSourceId {payload['diaSourceId']}.",
                          NoResultsWarning, stacklevel=2)
            return empty_cutout(kind, output_format)
        try:
            return decode_cutout(response.content, kind, output_format)
        except TableParseError:
            self._forget()
            raise

    @_shared_docs
    def query_statistics(self, date="", *, columns=None, output_format="votable", cache=False,
                         get_query_payload=False):
        """
        Get Fink's per-night counters of the Rubin alert stream (``/api/v1/statistics``).

        Parameters
        ----------
        date : str, int, `~astropy.time.Time` or `datetime.date`
            ``"YYYY"``, ``"YYYYMM"`` or ``"YYYYMMDD"`` (a prefix of the night), or ``""`` for
            every night.
        columns : str or list of str, optional
            Column names such as ``"f:alerts,f:objects"``; ``f:night`` always comes back.
        {{format_option}}
        {{cache_option}}
        {{payload_option}}

        Returns
        -------
        `~astropy.table.Table`
            One row per night, oldest first; counters as integers (the server sends text).

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> night = Fink.query_statistics("20251102")  # doctest: +REMOTE_DATA
        >>> night["f:alerts"].dtype.kind  # doctest: +REMOTE_DATA
        'i'
        """
        payload = {"date": normalize_night(date)}
        selection = normalize_columns(columns)
        if selection is not None:
            payload["columns"] = selection
        payload["output-format"] = normalize_output_format(output_format)
        if get_query_payload:
            return payload
        return self._query_table("statistics", payload, cache=cache, subject=f"for the night(s) {payload['date']!r}")

    @_shared_docs
    def query_skymap(self, *, event_name=None, skymap=None, credible_level, output_format="votable", cache=False,
                     get_query_payload=False):
        """
        Get the alerts inside the credible region of a gravitational-wave sky map (``/api/v1/skymap``).

        Parameters
        ----------
        event_name : str, optional
            A GraceDB superevent (``"S251112cm"``), whose bayestar map the server downloads.
        skymap : str, path-like or bytes, optional
            Or a bayestar map of your own: the path or the bytes of a (gzipped) FITS file.
        credible_level : float
            Keep the sky within this credible level, in (0, 1], e.g. 0.9.
        {{format_option}}
        {{cache_option}}
        {{payload_option}}

        Returns
        -------
        `~astropy.table.Table`
            One row per object in the region, with ``v:startgwMjdTai``, the map's time (MJD, TAI).

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> alerts = Fink.query_skymap(event_name="S251112cm", credible_level=0.9)  # doctest: +REMOTE_DATA +SKIP
        """
        payload = skymap_payload(event_name=event_name, skymap=skymap, credible_level=credible_level,
                                 output_format=normalize_output_format(output_format))
        if get_query_payload:
            return payload
        subject = f"in the {payload['credible_level']:g} credible region of " + (
            f"event {event_name}" if event_name is not None else "the given map")
        table = self._query_table("skymap", payload, cache=cache, subject=subject)
        if table.colnames == ["status"]:
            # GraceDB's refusal comes back as a one-cell table with status 200
            self._forget()
            raise InvalidQueryError(f"The Fink API could not get the map of {event_name!r}: {table['status'][0]}")
        return table

    def list_blocks(self, *, cache=True):
        """
        List the building blocks of Fink filters (``GET /api/v1/blocks``).

        Returns
        -------
        `~astropy.table.Table`
            Columns ``block`` and ``description``, sorted by block.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> blocks = Fink.list_blocks()  # doctest: +REMOTE_DATA
        >>> "b_is_new" in blocks["block"]  # doctest: +REMOTE_DATA
        True
        """
        return self._listing("blocks", lambda listing: [(block, str(text)) for block, text in sorted(listing.items())],
                             ("block", "description"), (str, str), cache=cache)

    # --- shared machinery ----------------------------------------------------------------------

    def _send(self, method, endpoint, payload, *, cache):
        """
        Send a request (a JSON body for POST) and return the 200 response, or raise.

        Connection errors, timeouts and HTTP 429/502/503/504 are retried with backoff (see
        ``conf.max_retries``); what still fails becomes an astroquery exception.
        """
        url = self.server + _API + endpoint

        def attempt():
            response = self._request(method, url, json=payload, timeout=self.timeout, cache=cache)
            if response.status_code in RETRY_STATUSES:
                self._forget()  # never serve a transient failure from the cache to the next attempt
            return response

        policy = RetryPolicy(max_retries=int(conf.max_retries), backoff=float(conf.retry_backoff),
                             max_wait=float(conf.retry_max_wait), sleep=self._sleep)
        try:
            response = policy.run(attempt, lambda answer: answer.status_code in RETRY_STATUSES)
        except requests.Timeout as error:
            raise AstroqueryTimeoutError(
                f"{self.server} did not answer {_API + endpoint} within {self.timeout:g} s. Ask for less (fewer "
                "ids, columns or a smaller region), or raise the limit with conf.timeout or FinkClass(timeout=...)."
            ) from error
        except requests.ConnectionError as error:
            raise RemoteServiceError(f"the connection to the Fink API at {self.server} failed: {error}") from error
        except requests.exceptions.ChunkedEncodingError as error:
            raise RemoteServiceError(f"the answer of {url} was cut short: {error}") from error
        if response.status_code != 200:
            self._forget()
            raise error_for_response(response.status_code, response.content, url)
        return response

    def _forget(self):
        """Remove the last answer from the astroquery cache: it failed or could not be read (astroquery #2252)."""
        query = getattr(self, "_last_query", None)
        if query is not None:
            try:
                query.remove_cache_file(self.cache_location)
            except OSError:
                pass

    def _listing(self, endpoint, rows_of, names, dtypes, *, cache):
        """GET a JSON listing (tags, blocks) and return its rows, made by ``rows_of``, as a Table."""
        response = self._send("GET", endpoint, None, cache=cache)
        try:
            rows = rows_of(json.loads(response.content))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            self._forget()
            raise TableParseError(f"could not read the list of {endpoint} from {response.url}: {error}") from error
        table = _listing_table(rows, names, dtypes)
        table.meta.update(endpoint=_API + endpoint, url=response.url)
        return table

    def _check_tag(self, tag):
        """Refuse a tag the server does not know or cannot query, listing the valid ones."""
        if self._tags is None:
            self._tags = self.list_tags()
        known = {str(name): bool(supported) for name, supported in zip(self._tags["tag"], self._tags["api_support"],
                                                                      strict=True)}
        queryable = [name for name, supported in known.items() if supported]
        if tag not in known:
            raise InvalidQueryError(f"{tag!r} is not a Fink tag; tags the API can query: {queryable}.")
        if not known[tag]:
            raise InvalidQueryError(
                f"{tag!r} is only available from the Fink livestream, not from the API; tags the API can query: "
                f"{queryable}."
            )

    def _fetch_table(self, endpoint, payload, *, cache, key):
        """
        Send a tabular query and decode the answer; return the table and the URL.

        A VOTable or parquet request that the server answers with HTTP 500 is sent once more
        in CSV: the server's writers of those two formats crash on ordinary data (astropy
        cannot write a text or boolean column whose first row is null; pandas-2 servers also
        fail on columns null in every row, and on booleans with some nulls in parquet), while
        its CSV writer never does and gives the same table. ``table.meta["transport"]`` records
        the format that was used.
        """
        try:
            response = self._send("POST", endpoint, payload, cache=cache)
        except RemoteServiceError as error:
            if getattr(error, "status", None) != 500 or payload["output-format"] not in _CSV_FALLBACK_FROM:
                raise
            log.info("The Fink API answered HTTP 500 to a %s request at %s; asking again in CSV.",
                     payload["output-format"], error.url)
            payload = {**payload, "output-format": "csv"}
            try:
                response = self._send("POST", endpoint, payload, cache=cache)
            except RemoteServiceError as again:
                raise RemoteServiceError(
                    f"{error} The same query in CSV failed too (HTTP {getattr(again, 'status', '?')}): "
                    f"{getattr(again, 'server_message', again)}") from again
        try:
            table = decode_table(response.content, payload["output-format"], column_kinds(key),
                                 content_type=response.headers.get("Content-Type"))
        except TableParseError:
            self._forget()
            raise
        table.meta["transport"] = payload["output-format"]
        return table, response.url

    def _finish_table(self, table, endpoint, payload, url, *, key, subject, stacklevel, warn_empty=True):
        """Complete, annotate and describe a decoded table, and warn about what it lacks."""
        requested = payload["columns"].split(",") if "columns" in payload else None
        table, unknown = complete_columns(table, key, requested)
        if unknown:
            warnings.warn(
                f"The Fink API does not know the column(s) {unknown} of {_API + endpoint}; "
                "they are not in the result. See get_schema() for valid names.",
                InputWarning,
                stacklevel=stacklevel,
            )
        ids = payload["diaObjectId"].split(",") if "diaObjectId" in payload else None
        table = order_rows(table, endpoint, ids)
        annotate(table, key, self._descriptions.get(key))
        table.meta.update(endpoint=_API + endpoint, url=url, query=dict(payload))
        if endpoint in _SCANNED_PER_OBJECT:
            _warn_if_truncated(table, payload["diaObjectId"].split(","), stacklevel + 1)
        if len(table) == 0 and warn_empty:
            subject = subject or f"for diaObjectId {payload.get('diaObjectId', '')}"
            warnings.warn(f"The Fink API has no data at {_API + endpoint} {subject}.", NoResultsWarning,
                          stacklevel=stacklevel)
        return table

    def _query_table(self, endpoint, payload, *, cache, key=None, subject=None):
        """
        Send a tabular query and return the decoded, completed and annotated table.

        ``key`` names the column map entry that types and describes the answer (the endpoint by
        default); ``subject`` says what was asked, for the empty-answer warning.
        """
        key = key or endpoint
        table, url = self._fetch_table(endpoint, payload, cache=cache, key=key)
        return self._finish_table(table, endpoint, payload, url, key=key, subject=subject, stacklevel=4)

    def _worker_client(self):
        """A client with this one's settings, for one worker thread of a split query."""
        clone = FinkClass(server=self._server, timeout=self._timeout)
        clone.cache_location = self.cache_location
        clone._descriptions = self._descriptions
        clone._sleep = self._sleep
        return clone

    def _query_ids(self, endpoint, payload, *, cache, get_query_payload, verbose, on_error):
        """
        Run an id query, split into requests of at most ``conf.max_ids_per_request`` ids sent
        ``conf.max_workers`` at a time, and merge the answers into one table.

        No row is lost or doubled: each id is in exactly one request, rows of ids that were not
        asked for (the server matches ids as prefixes) are dropped, and ids whose request
        failed are reported (``on_error``).
        """
        on_error = normalize_on_error(on_error)
        ids = payload["diaObjectId"].split(",")
        chunks = chunked(ids, int(conf.max_ids_per_request))
        payloads = [{**payload, "diaObjectId": ",".join(chunk)} for chunk in chunks]
        if get_query_payload:
            return payloads[0] if len(payloads) == 1 else payloads
        workers = WorkerClients(self._worker_client)
        single = len(chunks) == 1 or int(conf.max_workers) <= 1

        def fetch(chunk):
            client = self if single else workers.get()
            return client._fetch_table(endpoint, {**payload, "diaObjectId": ",".join(chunk)}, cache=cache,
                                       key=endpoint)

        results, failures = fetch_chunks(fetch, chunks, max_workers=int(conf.max_workers), progress=verbose)
        if failures and len(chunks) == 1 and on_error == "raise":
            raise failures[0][1]
        answers = [result[0] for result in results if result is not None]
        table = merge_tables(answers)
        table = _only_requested_objects(table, ids)
        # the format actually used (CSV where the server failed to write the one asked for)
        transports = dict.fromkeys(answer.meta["transport"] for answer in answers)
        table.meta["transport"] = ",".join(transports) or payload["output-format"]
        url = next((result[1] for result in results if result is not None), self.server + _API + endpoint)
        failed_ids = [identifier for chunk, _ in failures for identifier in chunk]
        # "no data" may only be said of the ids the server answered for
        answered = [identifier for identifier in ids if identifier not in set(failed_ids)]
        subject = f"for diaObjectId {','.join(answered)}"
        table = self._finish_table(table, endpoint, payload, url, key=endpoint, subject=subject, stacklevel=4,
                                   warn_empty=bool(answered))
        if failures:
            table.meta["failed_ids"] = failed_ids
            shown = ", ".join(failed_ids[:10]) + (", ..." if len(failed_ids) > 10 else "")
            message = (f"{len(failures)} of {len(chunks)} requests to {_API + endpoint} failed after retries; "
                       f"{len(failed_ids)} ids have no rows here ({shown}). First error: {failures[0][1]}")
            if on_error == "raise":
                raise IncompleteResultError(message, table=table, failed_ids=failed_ids, errors=failures)
            warnings.warn(message, IncompleteResultWarning, stacklevel=3)
        return table


def _only_requested_objects(table, ids):
    """Drop rows of objects that were not asked for: the server matches ids as row-key prefixes."""
    if "r:diaObjectId" not in table.colnames or not len(table):
        return table
    keep = np.isin(np.ma.filled(table["r:diaObjectId"], -1), np.array([int(i) for i in ids], dtype=np.int64))
    return table if keep.all() else table[keep]


def _days(window):
    """A window length in days, from a number of days or a time Quantity."""
    try:
        days = float(window.to_value("day")) if hasattr(window, "to_value") else float(window)
    except (TypeError, ValueError) as error:
        raise InvalidQueryError(f"window must be a number of days or a time Quantity, got {window!r}.") from error
    if not np.isfinite(days) or days <= 0:
        raise InvalidQueryError(f"window must be a positive number of days, got {window!r}.")
    return days


def _listing_table(rows, names, dtypes):
    """A small Table from rows, typed even when there are none."""
    if rows:
        return Table(rows=rows, names=names, dtype=dtypes)
    return Table(names=names, dtype=dtypes)


def _warn_if_capped(table, cap, argument):
    """Warn when an answer reached a row limit the user can raise."""
    if len(table) >= cap:
        warnings.warn(
            f"The answer has {len(table)} rows, the limit set by {argument}={cap}: more may exist; "
            f"raise {argument} to get them.",
            MaxResultsWarning,
            stacklevel=3,
        )


def _warn_if_capped_per_pixel(table, cap):
    """Cone searches read at most ``n`` rows per HEALPix pixel: warn when a pixel reached it."""
    if "f:pixel1024" in table.colnames and len(table):
        _, counts = np.unique(np.asarray(table["f:pixel1024"]), return_counts=True)
        reached = counts.max() >= cap
    else:
        reached = len(table) >= cap
    if reached:
        warnings.warn(
            f"A HEALPix pixel of the cone gave n={cap} rows, the server's per-pixel limit: more objects may "
            "exist there; raise n to get them.",
            MaxResultsWarning,
            stacklevel=3,
        )


def _warn_if_truncated(table, ids, stacklevel):
    """Warn when an object reached the server's per-scan row limit (its newest rows are missing)."""
    if "r:diaObjectId" in table.colnames:
        objects, counts = np.unique(np.asarray(table["r:diaObjectId"]), return_counts=True)
        full = [int(obj) for obj, count in zip(objects, counts, strict=True) if count >= SERVER_SCAN_LIMIT]
    else:
        full = ids if len(table) >= SERVER_SCAN_LIMIT else []
    if full:
        warnings.warn(
            f"The Fink API returns at most {SERVER_SCAN_LIMIT} rows per object and request, the oldest first; "
            f"object(s) {full} reached that limit, so their most recent rows are missing from this table.",
            MaxResultsWarning,
            stacklevel=stacklevel,
        )


Fink = FinkClass()
