"""The Fink/LSST query class: one public method per REST endpoint, each a thin wrapper."""
import json
import logging
import re
import warnings

import numpy as np
import requests
from astropy import units as u
from astropy.table import Column, Table
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
from .annotate import annotate, complete_columns, kind_resolver
from .columns import column_info
from .decode import decode_table
from .errors import error_for_response
from .payload import id_payload, normalize_endpoint, normalize_mjd

__all__ = ["Fink", "FinkClass"]

_API = "/api/v1/"
# The avsc docs end with a bracketed unit, e.g. "... flux [nJy]." (spec §2.6)
_DOC_UNIT = re.compile(r"\[(?P<unit>[^\[\]]+)\]\.?\s*$")
_FAMILY = re.compile(r"\((?P<prefix>[A-Za-z]+):\)")
# The server reads at most NLIMIT rows per HBase scan, i.e. per object and per request, in
# ascending row-key (time) order: beyond it the newest rows are silently missing (spec §1.1).
SERVER_SCAN_LIMIT = 10_000
# Routes whose rows come from one scan per requested object.
_SCANNED_PER_OBJECT = ("sources", "fp")


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

    def query_object(self, dia_object_id, *, columns=None, output_format="votable", cache=False,
                     get_query_payload=False):
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
        output_format : {"votable", "json", "csv", "parquet"}
            Transport format; the returned table is the same for all four.
        cache : bool
            If `True`, reuse an answer cached on disk by astroquery (see ``clear_cache()``);
            off by default because alert data change every night.
        get_query_payload : bool
            If `True`, return the JSON body that would be posted, without sending it.

        Returns
        -------
        `~astropy.table.Table`
            One row per diaObject, in the order of the ids given.

        Raises
        ------
        astroquery.exceptions.InvalidQueryError
            Bad input (before any request), or a query the server rejected.
        astroquery.exceptions.RemoteServiceError
            The server failed (HTTP 5xx).
        astroquery.exceptions.TimeoutError
            No answer within ``timeout`` seconds.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> obj = Fink.query_object(313761043604045880,
        ...                         columns="r:ra,r:dec,r:nDiaSources")  # doctest: +REMOTE_DATA
        >>> obj.colnames  # doctest: +REMOTE_DATA
        ['r:dec', 'r:nDiaSources', 'r:ra']
        """
        payload = id_payload("diaObjectId", dia_object_id, columns=columns, output_format=output_format)
        if get_query_payload:
            return payload
        return self._query_table("objects", payload, cache=cache)

    def query_sources(self, dia_object_id, *, midpoint_mjd_tai=None, columns=None, output_format="votable",
                      cache=False, get_query_payload=False):
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
        output_format : {"votable", "json", "csv", "parquet"}
            Transport format; the returned table is the same for all four.
        cache : bool
            If `True`, reuse an answer cached on disk by astroquery; off by default.
        get_query_payload : bool
            If `True`, return the JSON body that would be posted, without sending it.

        Returns
        -------
        `~astropy.table.Table`
            One row per diaSource, newest first when ``r:midpointMjdTai`` is among the columns.

        Raises
        ------
        astroquery.exceptions.InvalidQueryError
            Bad input (before any request), or a query the server rejected.
        astroquery.exceptions.RemoteServiceError
            The server failed (HTTP 5xx).
        astroquery.exceptions.TimeoutError
            No answer within ``timeout`` seconds.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> lc = Fink.query_sources(313761043604045880,
        ...                         columns="r:midpointMjdTai,r:band,r:psfFlux,r:psfFluxErr")  # doctest: +REMOTE_DATA
        >>> lc["r:psfFlux"].unit, lc["r:midpointMjdTai"].unit  # doctest: +REMOTE_DATA
        (Unit("nJy"), Unit("d"))
        """
        payload = id_payload("diaObjectId", dia_object_id, columns=columns, output_format=output_format)
        if midpoint_mjd_tai is not None:
            if "," in payload["diaObjectId"]:
                # the server silently ignores the time when several ids are given (spec §2.1)
                raise InvalidQueryError("midpoint_mjd_tai can only be used with a single dia_object_id.")
            payload["midpointMjdTai"] = normalize_mjd(midpoint_mjd_tai)
        if get_query_payload:
            return payload
        return self._query_table("sources", payload, cache=cache)

    def query_forced_photometry(self, dia_object_id, *, columns=None, output_format="votable", cache=False,
                                get_query_payload=False):
        """
        Get the forced photometry of objects, one row per diaForcedSource (``/api/v1/fp``).

        Parameters
        ----------
        dia_object_id : int, str, or iterable of int or str
            One Rubin ``diaObjectId`` or several.
        columns : str or list of str, optional
            Column names with their family prefix, e.g. ``["r:midpointMjdTai", "r:psfFlux"]``;
            all 15 columns by default.
        output_format : {"votable", "json", "csv", "parquet"}
            Transport format; the returned table is the same for all four.
        cache : bool
            If `True`, reuse an answer cached on disk by astroquery; off by default.
        get_query_payload : bool
            If `True`, return the JSON body that would be posted, without sending it.

        Returns
        -------
        `~astropy.table.Table`
            One row per forced measurement, newest first.

        Raises
        ------
        astroquery.exceptions.InvalidQueryError
            Bad input (before any request), or a query the server rejected.
        astroquery.exceptions.RemoteServiceError
            The server failed (HTTP 5xx).
        astroquery.exceptions.TimeoutError
            No answer within ``timeout`` seconds.

        Examples
        --------
        >>> from astroquery_fink import Fink
        >>> fp = Fink.query_forced_photometry(313761043604045880)  # doctest: +REMOTE_DATA
        >>> fp["r:psfFlux"].unit, fp["r:diaObjectId"].dtype  # doctest: +REMOTE_DATA
        (Unit("nJy"), dtype('int64'))
        >>> Fink.query_forced_photometry(313761043604045880, get_query_payload=True)
        {'diaObjectId': '313761043604045880', 'output-format': 'votable'}
        """
        payload = id_payload("diaObjectId", dia_object_id, columns=columns, output_format=output_format)
        if get_query_payload:
            return payload
        return self._query_table("fp", payload, cache=cache)

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
        get_query_payload : bool
            If `True`, return the JSON body that would be posted, without sending it.

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
        response = self._post("schema", payload, cache=cache)
        try:
            families = json.loads(response.content)
            table = _schema_table(short, families)
        except (ValueError, AttributeError, TypeError) as error:
            self._forget(response)
            raise TableParseError(f"could not read the schema answer of {response.url}: {error}") from error
        self._descriptions[short] = dict(zip(table["name"], table["description"], strict=True))
        if short == "tags":  # tags rows are sources rows (spec §2.9)
            self._descriptions["sources"] = self._descriptions["tags"]
        table.meta.update(endpoint=_API + "schema", url=response.url, query=payload)
        return table

    # --- shared machinery ----------------------------------------------------------------------

    def _post(self, endpoint, payload, *, cache):
        """POST ``payload`` as JSON to an endpoint; return the 200 response or raise."""
        url = self.server + _API + endpoint
        try:
            response = self._request("POST", url, json=payload, timeout=self.timeout, cache=cache)
        except requests.Timeout as error:
            raise AstroqueryTimeoutError(
                f"{self.server} did not answer {_API + endpoint} within {self.timeout:g} s. Ask for fewer ids or "
                "columns, or raise the limit with conf.timeout or FinkClass(timeout=...)."
            ) from error
        except requests.ConnectionError as error:
            raise RemoteServiceError(f"could not connect to the Fink API at {self.server}: {error}") from error
        if response.status_code != 200:
            self._forget(response)
            raise error_for_response(response.status_code, response.content, url)
        return response

    def _forget(self, response):
        """Remove a failed or unreadable answer from the astroquery cache (astroquery #2252)."""
        query = getattr(self, "_last_query", None)
        if query is not None:
            try:
                query.remove_cache_file(self.cache_location)
            except OSError:
                pass

    def _query_table(self, endpoint, payload, *, cache):
        """Send an id query and return the decoded, completed and annotated table."""
        try:
            response = self._post(endpoint, payload, cache=cache)
        except RemoteServiceError as error:
            if "HTTP 500" in str(error) and payload["output-format"] == "votable" and "columns" not in payload:
                # pandas-2 servers crash writing a VOTable when a text column is empty in every
                # row of a full read (spec §1.4): tell the user the two ways around it
                raise RemoteServiceError(
                    f"{error} A full read in VOTable can fail this way on the server when a text column "
                    "is empty in every row; select columns=... or use output_format='parquet'."
                ) from error
            raise
        try:
            table = decode_table(response.content, payload["output-format"], kind_resolver(endpoint),
                                 content_type=response.headers.get("Content-Type"))
        except TableParseError:
            self._forget(response)
            raise
        requested = payload["columns"].split(",") if "columns" in payload else None
        table, unknown = complete_columns(table, endpoint, requested)
        if unknown:
            warnings.warn(
                f"The Fink API does not know the column(s) {unknown} of {_API + endpoint}; "
                "they are not in the result. See get_schema() for valid names.",
                InputWarning,
                stacklevel=3,
            )
        annotate(table, endpoint, self._descriptions.get(endpoint))
        table.meta.update(endpoint=_API + endpoint, url=response.url, query=dict(payload))
        if endpoint in _SCANNED_PER_OBJECT:
            _warn_if_truncated(table, payload["diaObjectId"].split(","))
        if len(table) == 0:
            ids = payload.get("diaObjectId", "")
            warnings.warn(f"The Fink API has no data at {_API + endpoint} for {ids}.", NoResultsWarning,
                          stacklevel=3)
        return table


def _warn_if_truncated(table, ids):
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
            stacklevel=4,
        )


def _schema_type(avro_type):
    """Return (type name, nullable) for a raw Avro type from the schema service."""
    if isinstance(avro_type, list):
        others = [_schema_type(member)[0] for member in avro_type if member != "null"]
        return "|".join(others), "null" in avro_type
    if isinstance(avro_type, dict):
        return str(avro_type.get("logicalType") or avro_type.get("type")), False
    return str(avro_type), False


def _doc_unit(doc):
    """The unit written at the end of an avsc doc, if astropy understands it."""
    match = _DOC_UNIT.search(doc or "")
    if not match:
        return None
    try:
        return u.Unit(match.group("unit"), parse_strict="raise")
    except ValueError:
        return None


def _known_column(endpoint, name):
    """The packaged description of a column, `None` if the map has none (e.g. cutouts)."""
    try:
        return column_info(endpoint, name)
    except ValueError:
        return None


def _schema_table(endpoint, families):
    """Turn the schema service's ``{family label: {field: info}}`` into a Table."""
    rows = []
    for label, fields in families.items():
        match = _FAMILY.search(label)
        family = match.group("prefix") if match else label
        for field, info in fields.items():
            name = f"{family}:{field}" if match else field
            type_name, nullable = _schema_type(info.get("type"))
            known = _known_column(endpoint, name)
            # the packaged map is corrected (trailLengthErr is arcsec, not nJy); the doc's
            # bracket is the fallback for a field the map does not know yet
            unit = known.unit if known is not None else _doc_unit(info.get("doc"))
            rows.append((name, family, type_name, nullable, unit if unit is not None else "", info.get("doc", "")))
    names = ("name", "family", "type", "nullable", "unit", "description")
    columns = [Column([row[index] for row in rows], name=name, dtype=object if name == "unit" else None)
               for index, name in enumerate(names)]
    if not rows:
        columns = [Column([], name=name, dtype=object if name == "unit" else str) for name in names]
    table = Table(columns)
    table["nullable"] = table["nullable"].astype(bool)
    table.add_index("name")
    return table


Fink = FinkClass()
