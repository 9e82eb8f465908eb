"""The Fink/LSST query class: one public method per REST endpoint, each a thin wrapper."""
import inspect
import logging
import time
import warnings

from astroquery import cache_conf, log
from astroquery.exceptions import InvalidQueryError, NoResultsWarning
from astroquery.query import BaseQuery

from . import __version__, conf, query, results, summary
from .cache import cached_request, remove_partial_files, uncached_request
from .columns import endpoint_columns
from .docstrings import shared_docs
from .exceptions import BatchInterrupted, BulkQueryWarning, IncompleteResultError
from .lightcurve import (
    DEFAULT_LIMIT_SIGMA,
    DETECTION_COLUMNS,
    FLUX_COLUMNS,
    FORCED_COLUMNS,
    lightcurve_option_error,
    merge_lightcurve,
)
from .names import first_resolver_payloads, parse_targets, record, resolve_targets
from .payload import (
    OUTPUT_FORMATS,
    check_columns,
    check_tag,
    cone_payload,
    cutout_payload,
    ids_payload,
    normalize_columns,
    normalize_on_error,
    normalize_output_format,
    resolver_payload,
    schema_payload,
    skymap_payload,
    sso_payload,
    statistics_payload,
    tags_payload,
)
from .results import SERVER_SCAN_LIMIT

__all__ = ["Fink", "FinkClass", "SERVER_SCAN_LIMIT"]

# how astroquery's `_request` takes its arguments, to read them however they were passed
_REQUEST_SIGNATURE = inspect.signature(BaseQuery._request)

def _transport_format(output_format):
    """
    The transport format of a call: ``output_format`` when given, else ``conf.output_format`` as it is now.

    Read at every call, so that ``conf.output_format = "parquet"`` or ``conf.set_temp`` switches
    every tabular method at once. A value of ``conf`` that is not a format is refused here, before
    any request, naming the setting (an argument is checked by the payload builders).
    """
    if output_format is not None:
        return output_format
    setting = conf.output_format
    try:
        return normalize_output_format(setting)
    except InvalidQueryError:
        raise InvalidQueryError(f"conf.output_format {setting!r} is not supported; set it to one of "
                                f"{OUTPUT_FORMATS} (or pass output_format=...).") from None


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

    def _request(self, method, url, *args, **kwargs):
        # A cached request goes through astroquery_fink.cache, whose entries survive damage and
        # concurrent writers; an uncached one is sent here (see uncached_request: astroquery's own
        # would toggle a process-wide setting from our worker threads); a download to a file is
        # astroquery's own.
        options = _REQUEST_SIGNATURE.bind(self, method, url, *args, **kwargs).arguments
        if options.get("save"):
            return super()._request(method, url, *args, **kwargs)
        use_cache = options.get("cache")
        if use_cache is None:
            use_cache = cache_conf.cache_active
        if not use_cache:
            return uncached_request(self, method, url, options)
        return cached_request(self, method, url, options)

    def _id_query(self, endpoint, dia_object_id, *, cache, get_query_payload, verbose, on_error, **options):
        """
        An id query (``objects``, ``sources``, ``fp``); names among the ids are resolved first
        (`astroquery_fink.names`), once every argument was checked.
        """
        on_error = normalize_on_error(on_error)
        options["output_format"] = _transport_format(options["output_format"])
        targets = parse_targets(dia_object_id)
        # every argument checked before any request, a name standing for one object
        payload = ids_payload(endpoint, targets.stand_in_ids(), **options)
        check_columns(endpoint, payload, server_schema=None if get_query_payload else self.get_schema)
        if get_query_payload:
            return first_resolver_payloads(targets) if targets.names else payload
        resolved = {}
        if targets.names:
            ids, resolved = resolve_targets(self, targets, cache=cache)
            if "midpointMjdTai" in payload and len(ids) > 1:
                raise InvalidQueryError(f"midpoint_mjd_tai can only be used with a single object; the names given "
                                        f"resolved to {resolved}.")
            payload["diaObjectId"] = ",".join(ids)
        results.warn_bulk(len(payload["diaObjectId"].split(",")))  # hidden when a light curve or summary asks
        try:
            table = query.query_table(self, endpoint, payload, cache=cache, verbose=verbose, on_error=on_error)
        except (IncompleteResultError, BatchInterrupted) as error:
            if error.table is not None:  # the partial table tells what the names gave, as a whole one does
                record(error.table, resolved)
            raise
        return record(table, resolved)

    def clear_cache(self):
        """Remove all cache files, with the temporary files of writers interrupted before they finished."""
        super().clear_cache()
        remove_partial_files(self.cache_location)

    @property
    def server(self):
        """Base URL of the API (the instance's, else ``conf.server``), without trailing slash."""
        return (self._server or conf.server).rstrip("/")

    @property
    def timeout(self):
        """Seconds to wait for one answer (the instance's, else ``conf.timeout``)."""
        return float(self._timeout if self._timeout is not None else conf.timeout)

    # --- public methods ----------------------------------------------------------------------

    @shared_docs
    def query_object(self, dia_object_id, *, columns=None, output_format=None, cache=False,
                     get_query_payload=False, verbose=True, on_error="raise"):
        """
        Get the diaObject summary row of one or several objects (``/api/v1/objects``).

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            One Rubin ``diaObjectId`` or several (a list, an array, a table column); several
            ids are sent in one request and come back as one table.
            Names are accepted in place of ids, alone or in the list: a TNS designation
            (``"SN 2026bqe"``, ``"2026bqe"``) or a SIMBAD name, resolved to the Fink objects
            within 1.5 arcsec of its position (see ``astroquery_fink.names``; what each name gave
            is in ``meta["resolved_names"]``, and a name that gives no object raises
            `~astroquery_fink.exceptions.NameResolutionError`).
            With names, ``get_query_payload=True`` returns the list of the first resolver
            requests they send (one per name): the ids, hence the query, depend on the answers.
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

        Warns
        -----
        {{bulk_warning}}

        Raises
        ------
        {{query_errors}}

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> obj = Fink.query_object(313761043604045880,
        ...                         columns="r:ra,r:dec,r:nDiaSources")  # doctest: +REMOTE_DATA
        >>> obj.colnames  # doctest: +REMOTE_DATA
        ['r:diaObjectId', 'r:ra', 'r:dec', 'r:nDiaSources']

        By name (TNS, then SIMBAD):

        >>> sn = Fink.query_object("SN 2026bqe", columns="r:ra,r:dec")  # doctest: +REMOTE_DATA
        >>> list(sn.meta["resolved_names"])  # doctest: +REMOTE_DATA
        ['SN 2026bqe']
        >>> Fink.query_object("SN 2026bqe", get_query_payload=True)
        [{'resolver': 'tns', 'name_or_id': 'SN 2026bqe', 'nmax': 100, 'output-format': 'json'}]
        """
        return self._id_query("objects", dia_object_id, columns=columns, output_format=output_format, cache=cache,
                              get_query_payload=get_query_payload, verbose=verbose, on_error=on_error)

    @shared_docs
    def query_sources(self, dia_object_id, *, midpoint_mjd_tai=None, columns=None, output_format=None,
                      cache=False, get_query_payload=False, verbose=True, on_error="raise"):
        """
        Get the alert light curve, one row per diaSource (``/api/v1/sources``).

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            One Rubin ``diaObjectId`` or several, or names (see `query_object`).
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

        Warns
        -----
        {{bulk_warning}}

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
        return self._id_query("sources", dia_object_id, columns=columns, output_format=output_format,
                              midpoint_mjd_tai=midpoint_mjd_tai, cache=cache, get_query_payload=get_query_payload,
                              verbose=verbose, on_error=on_error)

    @shared_docs
    def query_forced_photometry(self, dia_object_id, *, columns=None, output_format=None, cache=False,
                                get_query_payload=False, verbose=True, on_error="raise"):
        """
        Get the forced photometry of objects, one row per diaForcedSource (``/api/v1/fp``).

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            One Rubin ``diaObjectId`` or several, or names (see `query_object`).
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

        Warns
        -----
        {{bulk_warning}}

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
        return self._id_query("fp", dia_object_id, columns=columns, output_format=output_format, cache=cache,
                              get_query_payload=get_query_payload, verbose=verbose, on_error=on_error)

    @shared_docs
    def get_lightcurve(self, dia_object_id, *, forced=True, flux="difference", limit_sigma=DEFAULT_LIMIT_SIGMA,
                       keep_withdrawn=False, min_reliability=None, columns=None, output_format=None,
                       cache=False, verbose=True, on_error="raise"):
        """
        Get the light curve of objects: detections and forced photometry in one table, with AB magnitudes and limits.

        Runs `query_sources` for the light-curve columns only and, if ``forced``,
        `query_forced_photometry`, then merges them with
        `~astroquery_fink.lightcurve.merge_lightcurve` (see it for the columns: ``kind``,
        ``time``, ``mag``, ``mag_err``, ``upper_limit``, ``mag_limit``, the quality columns...,
        and for the formulas). Draw it with `~astroquery_fink.lightcurve.plot_lightcurve`.

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            One Rubin ``diaObjectId`` or several: their rows come in one table (``r:diaObjectId``
            tells them apart, ``lc.group_by("r:diaObjectId")`` splits it).
            Names are accepted in place of ids, alone or in the list: a TNS designation
            (``"SN 2026bqe"``, ``"2026bqe"``) or a SIMBAD name, resolved to the Fink objects
            within 1.5 arcsec of its position (see ``astroquery_fink.names``; what each name gave
            is in ``meta["resolved_names"]``, and a name that gives no object raises
            `~astroquery_fink.exceptions.NameResolutionError`).
        forced : bool
            Add the forced photometry (``/api/v1/fp``), which also measures the object when it
            was not detected; `False` gives the detections only.
        flux : {"difference", "science", "template"}
            The flux ``mag`` and the upper limits come from: ``"difference"`` (Rubin's
            ``psfFlux``, on the difference image: the transient without its host; the default,
            as in earlier versions), ``"science"`` (``scienceFlux``, forced on the science
            image: the total brightness, what Fink's portal shows by default) or ``"template"``
            (``templateFlux``; detections only, so with ``forced=False``: Rubin's forced
            photometry measures no template flux). The flux used is in ``meta["flux"]`` and in
            the descriptions of ``mag`` and ``mag_limit``.
        limit_sigma : float
            A forced flux below ``limit_sigma`` times its error is an upper limit
            (``upper_limit`` True, ``mag`` masked, ``mag_limit`` =
            ``-2.5 log10(limit_sigma * error / 3631 Jy)``); 5, Rubin's detection threshold, by default.
        keep_withdrawn : bool
            Keep the measurements Rubin withdrew (``r:timeWithdrawnMjdTai`` set), flagged by a
            ``withdrawn`` column; by default they are left out and counted in
            ``meta["dropped"]["withdrawn"]``.
        min_reliability : float, optional
            Leave out the detections whose ``r:reliability`` (0 to 1) is below this value or
            unknown (counted in ``meta["dropped"]["low_reliability"]``); forced points, which
            have no reliability, are kept. Fink advises not to use ``reliability`` blindly yet.
        columns : str or list of str, optional
            More detection columns, e.g. ``["r:extendedness", "r:visit"]``. Those that
            ``/api/v1/fp`` serves too (``r:visit``, ``r:scienceFlux``, ...) are asked of it as
            well; the others are masked in forced rows. ``r:reliability``, ``r:snr`` and the four
            pixel flags of `~astroquery_fink.lightcurve.QUALITY_COLUMNS` are always there.
        {{format_option}}
        {{cache_option}}
        {{split_options}}

        Returns
        -------
        `~astropy.table.Table`
            One row per measurement, oldest first, with ``kind`` ``"detection"`` or ``"forced"``;
            withdrawn rows and, with ``min_reliability``, unreliable detections left out.
            ``meta["flux"]``, ``meta["flux_columns"]``, ``meta["limit_sigma"]`` and
            ``meta["dropped"]`` (rows left out, by reason) say how it was made.

        Warns
        -----
        astroquery.exceptions.NoResultsWarning
            Only when the light curve is empty as a whole: an object with detections but no
            forced photometry (or the reverse) is not "no data".
        astroquery.exceptions.MaxResultsWarning
            When an object reached the server's limit of 10 000 rows per request in either
            query (its newest rows are missing).
        {{bulk_warning}}

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
        >>> int(lc["upper_limit"].sum()), lc.meta["dropped"]  # doctest: +REMOTE_DATA
        (4, {'withdrawn': 0, 'low_reliability': 0})
        >>> science = Fink.get_lightcurve(313761043604045880, flux="science")  # doctest: +REMOTE_DATA
        >>> science.meta["flux_columns"]  # doctest: +REMOTE_DATA
        ['r:scienceFlux', 'r:scienceFluxErr']
        """
        problem = lightcurve_option_error(flux, limit_sigma, min_reliability, forced=forced)
        if problem:
            raise InvalidQueryError(problem)
        output_format = _transport_format(output_format)  # once: both queries use the same
        targets = parse_targets(dia_object_id)  # once: an iterator given as ids serves both queries
        extra = [] if columns is None else normalize_columns(columns).split(",")
        # the chosen flux, when not the difference one every light curve has
        extra = [*FLUX_COLUMNS[flux], *extra] if flux != "difference" else extra
        options = {"output_format": output_format, "cache": cache, "verbose": verbose, "on_error": on_error}
        ids_payload("sources", targets.stand_in_ids(), output_format=output_format)  # checked before any request
        normalize_on_error(on_error)
        ids, resolved = resolve_targets(self, targets, cache=cache)
        results.warn_bulk(len(ids), queries=2 if forced else 1)  # once for the call, not once per query
        with warnings.catch_warnings():
            # Many objects have detections and no forced photometry yet (or the reverse): only an
            # empty light curve as a whole is "no data", said once below.
            warnings.simplefilter("ignore", NoResultsWarning)
            warnings.simplefilter("ignore", BulkQueryWarning)
            sources = self.query_sources(ids, columns=list(dict.fromkeys([*DETECTION_COLUMNS, *extra])), **options)
            photometry = None
            if forced:
                served = endpoint_columns("fp")  # ask /fp only what it knows: no InputWarning for r:snr
                asked = [*FORCED_COLUMNS, *(name for name in extra if name in served)]
                photometry = self.query_forced_photometry(ids, columns=list(dict.fromkeys(asked)), **options)
        lightcurve = merge_lightcurve(sources, photometry, flux=flux, limit_sigma=limit_sigma,
                                      keep_withdrawn=keep_withdrawn, min_reliability=min_reliability)
        if len(lightcurve) == 0:
            results.warn_empty_lightcurve(ids, forced)
        return record(lightcurve, resolved)

    @shared_docs
    def get_schema(self, endpoint="sources", *, major_version=None, minor_version=None, cache=True,
                   get_query_payload=False):
        """
        Describe the columns an endpoint returns (``/api/v1/schema``), in the server's words.

        The descriptions are the server's own texts; the columns of query results carry the
        descriptions packaged with the client. A column the packaged map does not know (one of a
        newer alert schema) takes its unit and description from the schemas fetched so far in
        this session: call ``get_schema`` first to give such columns their units.

        Parameters
        ----------
        endpoint : str
            ``"sources"``, ``"objects"``, ``"fp"``, ``"conesearch"``, ``"cutouts"``, ``"sso"``,
            ``"statistics"`` or ``"tags"``, with or without the ``/api/v1/`` prefix; or
            ``"datatransfer/lsst"`` / ``"datatransfer/fink"`` for the fields of the Data Transfer
            files (whole alerts: ``diaSource.psfFlux``, ``prvDiaSources.midpointMjdTai``,
            ``xm.simbad_otype``...).
        major_version, minor_version : int, optional
            LSST alert schema version to describe, e.g. ``major_version=10, minor_version=0``
            (the server's latest when not given). ``minor_version`` defaults to 0 when only
            ``major_version`` is given, and cannot be given alone. Versions before 10.0 are refused
            (the server cannot build them). The Fink fields do not depend on it.
        cache : bool
            Reuse a cached answer (default: the schema changes rarely).
        {{payload_option}}

        Returns
        -------
        `~astropy.table.Table`
            One row per field: ``name`` (with its family prefix, e.g. ``r:psfFlux``; Data Transfer
            fields keep their dotted names), ``family`` (``r``, ``f``, ``b``, or ``LSST`` / ``Fink``),
            ``type`` (Avro type without the null branch), ``nullable``, ``unit`` (an
            `~astropy.units.Unit`, or ``""``) and ``description``.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> schema = Fink.get_schema("fp")  # doctest: +REMOTE_DATA
        >>> schema.loc["r:psfFlux"]["unit"]  # doctest: +REMOTE_DATA
        Unit("nJy")
        >>> old = Fink.get_schema("sources", major_version=10, minor_version=0)  # doctest: +REMOTE_DATA
        >>> files = Fink.get_schema("datatransfer/lsst")  # doctest: +REMOTE_DATA
        >>> files.loc["diaSource.psfFlux"]["unit"]  # doctest: +REMOTE_DATA
        Unit("nJy")
        """
        payload = schema_payload(endpoint, major_version=major_version, minor_version=minor_version)
        if get_query_payload:
            return payload
        return query.query_schema(self, payload, cache=cache)

    @shared_docs
    def query_region(self, coordinates, radius, *, n=None, start_time=None, stop_time=None, window=None,
                     columns=None, output_format=None, cache=False, get_query_payload=False):
        """
        Find the objects Fink saw around a position (``/api/v1/conesearch``).

        One row per object: its latest alert, with the distance to the centre in
        ``v:separation_arcsec`` (arcsec; the server sends it in degrees as ``v:separation_degree``),
        nearest first.

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
        >>> cone["v:separation_arcsec"].unit  # doctest: +REMOTE_DATA
        Unit("arcsec")
        """
        output_format = _transport_format(output_format)
        payload = cone_payload(coordinates, radius, n=n, start_time=start_time, stop_time=stop_time, window=window,
                               columns=columns, output_format=output_format)
        check_columns("conesearch", payload, server_schema=None if get_query_payload else self.get_schema)
        if get_query_payload:
            return payload
        return query.query_table(self, "conesearch", payload, cache=cache)

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
        return query.query_listing(self, "tags", cache=cache)

    @shared_docs
    def query_tags(self, tag, *, n=None, start_time=None, stop_time=None, columns=None, output_format=None,
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
        output_format = _transport_format(output_format)
        payload = tags_payload(tag, n=n, start_time=start_time, stop_time=stop_time, columns=columns,
                               output_format=output_format)
        check_columns("tags", payload, server_schema=None if get_query_payload else self.get_schema)
        if get_query_payload:
            return payload
        if self._tags is None:  # the server's list, fetched once, to refuse a tag with the valid ones
            self._tags = self.list_tags()
        check_tag(payload["tag"], self._tags)
        return query.query_table(self, "tags", payload, cache=cache)

    @shared_docs
    def query_sso(self, name_or_number, *, with_ephemerides=False, columns=None, output_format=None,
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
            magnitudes) after the alert's columns, and the reduced magnitude ``i:magpsf_red``.
            Their epoch ``Date`` is an `~astropy.time.Time` (scale UTC, format jd).
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
        output_format = _transport_format(output_format)
        payload = sso_payload(name_or_number, with_ephemerides=with_ephemerides, columns=columns,
                              output_format=output_format)
        check_columns("sso", payload, server_schema=None if get_query_payload else self.get_schema)
        if get_query_payload:
            return payload
        return query.query_table(self, "sso", payload, cache=cache)

    @shared_docs
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
        payload = resolver_payload(name, resolver=resolver, reverse=reverse, nmax=nmax)
        if get_query_payload:
            return payload
        return query.query_table(self, "resolver", payload, cache=cache)

    @shared_docs
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
        return query.query_cutout(self, payload, cache=cache)

    @shared_docs
    def query_statistics(self, date="", *, columns=None, output_format=None, cache=False,
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
        output_format = _transport_format(output_format)
        payload = statistics_payload(date, columns=columns, output_format=output_format)
        check_columns("statistics", payload, server_schema=None if get_query_payload else self.get_schema)
        if get_query_payload:
            return payload
        return query.query_table(self, "statistics", payload, cache=cache)

    @shared_docs
    def query_skymap(self, *, event_name=None, skymap=None, credible_level, output_format=None, cache=False,
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
        output_format = _transport_format(output_format)
        payload = skymap_payload(event_name=event_name, skymap=skymap, credible_level=credible_level,
                                 output_format=output_format)
        if get_query_payload:
            return payload
        return query.query_table(self, "skymap", payload, cache=cache)

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
        return query.query_listing(self, "blocks", cache=cache)

    @shared_docs
    def summarize(self, dia_object_id, *, bands=summary.BANDS, rate_window=summary.RATE_WINDOW, color=summary.COLOR,
                  color_tolerance=summary.COLOR_TOLERANCE, min_snr=summary.MIN_SNR, forced=True,
                  flux="difference", output_format=None, cache=False, verbose=True, on_error="raise"):
        """
        Summarize objects for triage: one row per object, from its light curve and its ``/objects`` row.

        Runs `get_lightcurve` (with the classifier and TNS columns of
        `~astroquery_fink.summary.LATEST_ALERT_COLUMNS`) and `query_object` (the columns of
        `~astroquery_fink.summary.OBJECT_COLUMNS`) for all the ids at once, then
        `astroquery_fink.summary.summarize`: for ``n`` ids, ``ceil(n / conf.max_ids_per_request)``
        requests to each of ``/sources``, ``/fp`` and ``/objects`` (3 for up to 100 ids), never
        one per object.

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            Rubin ``diaObjectId`` values, or names (see `query_object`).
        bands : str or list of str
            The bands with columns of their own, ``"ugrizy"`` by default.
        rate_window : float or `~astropy.units.Quantity`
            Days (a bare number) or a time: each band's rate is fitted to its measured points of
            the last ``rate_window`` days up to its latest one; 10 days by default.
        color : str
            The colour's two bands, ``"first-second"``: ``"g-r"`` by default.
        color_tolerance : float or `~astropy.units.Quantity`
            Days (a bare number) or a time: the most the two points of the colour may be apart; 1 day.
        min_snr : float
            The least signal-to-noise ratio of a point counted in the peak, latest magnitude, rate
            and colour; 5 (Rubin's detection threshold) by default, 0 for every point with a magnitude.
        forced : bool
            Use the forced photometry as well as the detections (`False`: detections only, one
            request fewer).
        flux : {"difference", "science", "template"}
            The flux the magnitudes come from, as in `get_lightcurve` (``"template"`` needs
            ``forced=False``); it is in ``meta["summary"]["flux"]``.
        {{format_option}}
        {{cache_option}}
        {{split_options}}

        Returns
        -------
        `~astropy.table.Table`
            One row per object, in the order of the ids given (a name's objects in its place),
            with units on every physical column and masked values where one cannot be computed:
            ``r:diaObjectId``, ``r:ra``, ``r:dec``, Fink's labels of the latest alert
            (``f:main_label_classifier``, ``f:main_label_crossmatch``, ``f:is_cataloged``,
            ``f:is_sso``), the classifier scores and TNS cross-match of the latest detection
            (``f:clf_*``, ``f:xm_tns_*``), ``first_detection``, ``last_detection`` (TAI
            `~astropy.time.Time`), ``n_detections``, ``n_forced``, the colour
            ``color_g_r`` (mag) with ``_err`` and ``_time``, and for each band ``<b>``:
            ``n_detections_<b>``, ``n_forced_<b>``, ``peak_mag_<b>`` (mag(AB)) and
            ``peak_time_<b>``, ``latest_mag_<b>``, ``latest_mag_err_<b>``, ``latest_time_<b>``,
            ``rate_<b>`` and ``rate_err_<b>`` (mag/d, positive when fading). How each is computed,
            and which points count (S/N, upper limits, one point per exposure): see
            `astroquery_fink.summary.summarize`. A light curve with a boolean ``upper_limit``
            column has those rows left out of the peak, latest magnitude, rate and colour.

        Warns
        -----
        astroquery.exceptions.NoResultsWarning
            When some ids have no data at all (their rows are masked, with zero counts).
        {{bulk_warning}}

        Raises
        ------
        {{query_errors}}

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> triage = Fink.summarize([313761043604045880, 314003014107006318])  # doctest: +REMOTE_DATA
        >>> triage["r:diaObjectId", "n_detections", "n_forced"]  # doctest: +REMOTE_DATA
        <Table length=2>
           r:diaObjectId    n_detections n_forced
               int64           int64      int64
        ------------------ ------------ --------
        313761043604045880           20       36
        314003014107006318           24       48
        >>> triage["peak_mag_r"].unit, triage["rate_r"].unit  # doctest: +REMOTE_DATA
        (Unit("mag(AB)"), Unit("mag / d"))
        """
        options = summary.check_options(bands=bands, rate_window=rate_window, color=color,
                                        color_tolerance=color_tolerance, min_snr=min_snr)
        problem = lightcurve_option_error(flux, DEFAULT_LIMIT_SIGMA, None, forced=forced)
        if problem:
            raise InvalidQueryError(problem)
        output_format = _transport_format(output_format)  # once: all three queries use the same
        targets = parse_targets(dia_object_id)
        ids_payload("objects", targets.stand_in_ids(), output_format=output_format)  # checked before any request
        normalize_on_error(on_error)
        ids, resolved = resolve_targets(self, targets, cache=cache)
        fetch = {"output_format": output_format, "cache": cache, "verbose": verbose, "on_error": on_error}
        # once for the call: the light curve's queries and /objects
        results.warn_bulk(len(ids), queries=(2 if forced else 1) + 1)
        with warnings.catch_warnings():
            # an id without a light curve or an /objects row is said once, for the summary as a whole
            warnings.simplefilter("ignore", NoResultsWarning)
            warnings.simplefilter("ignore", BulkQueryWarning)
            lightcurve = self.get_lightcurve(ids, forced=forced, flux=flux, columns=list(summary.LATEST_ALERT_COLUMNS),
                                             **fetch)
            objects = self.query_object(ids, columns=list(summary.OBJECT_COLUMNS), **fetch)
        table = summary.summarize(lightcurve, objects, ids=[int(identifier) for identifier in ids], **options)
        table.meta["summary"]["flux"] = flux
        missing = summary.note_missing(table, lightcurve, objects)
        if missing:
            results.warn(missing, NoResultsWarning)
        return record(table, resolved)


Fink = FinkClass()
