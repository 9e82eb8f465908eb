"""Validation of user arguments and construction of the payloads the Fink/LSST API expects."""
import contextlib
import difflib
import numbers
import re
import warnings
from collections.abc import Iterable

import numpy as np
from astropy import units as u
from astropy.coordinates import Angle, BaseCoordinateFrame, SkyCoord
from astropy.coordinates.name_resolve import NameResolveError
from astropy.time import Time
from astroquery.exceptions import InvalidQueryError
from astroquery.utils import commons
from erfa import ErfaWarning

from .columns import computed_columns, endpoints_serving, selectable_columns
from .cutouts import CUTOUT_FORMATS, KERNELS, KINDS, STRETCHES
from .decode import OUTPUT_FORMATS
from .layout import CLIENT_COLUMNS
from .order import ORDER_COLUMNS
from .skymap import encode_skymap

__all__ = [
    "API",
    "ids_payload",
    "cone_payload",
    "tags_payload",
    "sso_payload",
    "resolver_payload",
    "statistics_payload",
    "schema_payload",
    "cutout_payload",
    "skymap_payload",
    "check_tag",
    "OUTPUT_FORMATS",
    "SCHEMA_ENDPOINTS",
    "normalize_ids",
    "id_values",
    "normalize_columns",
    "check_columns",
    "normalize_output_format",
    "normalize_endpoint",
    "normalize_mjd",
    "normalize_on_error",
    "ON_ERROR",
    "MAX_CONE_RADIUS",
    "RESOLVERS",
    "normalize_coordinates",
    "normalize_radius",
    "normalize_time",
    "normalize_count",
    "normalize_names",
    "normalize_resolver",
    "normalize_night",
    "SURVEY_START",
    "JD_THRESHOLD",
]


#: The path of every route of the Fink/LSST API, before the route's name.
API = "/api/v1/"

#: What a long id query does when some of its requests fail for good.
ON_ERROR = ("raise", "warn")

#: Endpoints ``/api/v1/schema`` can describe; it answers 404 for the others. The two ``datatransfer/``
#: entries describe the files of the Data Transfer service (whole alerts), not a REST endpoint.
SCHEMA_ENDPOINTS = ("sources", "objects", "fp", "conesearch", "cutouts", "sso", "statistics", "tags",
                    "datatransfer/lsst", "datatransfer/fink")
#: The first LSST alert schema the server can describe: it needs the ``mpc_orbits`` file, which 9.0 lacks (500)
FIRST_SCHEMA_MAJOR = 10

# The largest signed 64-bit integer has 19 digits; Rubin ids are unsigned-looking int64.
_INT64_MAX = np.iinfo(np.int64).max
_DIGITS = re.compile(r"^[0-9]+$")
# A column name is ``family:qualifier``; the server silently ignores names without a family.
_COLUMN = re.compile(r"^[A-Za-z]+:[^\s:,]+$")
_MJD_TEXT = re.compile(r"^[0-9]+(\.[0-9]*)?$")


def _one_id(value, name):
    """Return one identifier as its canonical decimal string, or raise `InvalidQueryError`."""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidQueryError(f"{name} must be an integer identifier, got the boolean {value!r}.")
    if np.ma.is_masked(value):
        raise InvalidQueryError(f"{name} contains a masked (missing) value.")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, (str, np.str_)):
        text = str(value).strip()
        if not _DIGITS.match(text):
            raise InvalidQueryError(f"{name} must contain only digits, got {value!r}.")
        if len(text.lstrip("0") or "0") > 19:
            raise InvalidQueryError(f"{name} {value!r} has more than 19 digits: not a 64-bit Rubin id.")
        number = int(text)
    elif isinstance(value, numbers.Real):
        # A float cannot hold an 18-digit id exactly (2**53 < 10**16): refuse rather than corrupt it.
        raise InvalidQueryError(
            f"{name} must be an integer or a digit string, got the float {value!r}; "
            "floating-point numbers cannot represent 18-digit Rubin ids exactly."
        )
    else:
        raise InvalidQueryError(f"{name} must be an integer or a digit string, got {type(value).__name__} {value!r}.")
    if number < 0:
        raise InvalidQueryError(f"{name} must be a non-negative identifier, got {number}.")
    if number > _INT64_MAX:
        raise InvalidQueryError(f"{name} {number} does not fit in a signed 64-bit integer.")
    return str(number)


def normalize_ids(ids, *, name="dia_object_id"):
    """
    Turn one or several identifiers into a list of canonical decimal strings.

    Parameters
    ----------
    ids : int, str, or iterable of int or str
        One identifier (an integer or a string of digits), or any iterable of them: a list,
        a tuple, a `numpy.ndarray` or a `~astropy.table.Column`.
    name : str
        Argument name used in error messages.

    Returns
    -------
    list of str
        The identifiers in the order given, each once (the server merges duplicates anyway).

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        For an empty list, a non-digit string, a float, a negative number or a number that
        does not fit in 64 bits.
    """
    return list(dict.fromkeys(_one_id(value, name) for value in id_values(ids, name=name)))


def id_values(ids, *, name="dia_object_id"):
    """
    The values of one or several identifiers as given, unchecked: a list of one value for a
    scalar, the items of an iterable, the parts of one comma-separated string.

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        For an empty list.
    """
    if isinstance(ids, (str, bytes, np.str_)) or not isinstance(ids, Iterable):
        values = [ids.decode() if isinstance(ids, bytes) else ids]
    else:
        values = list(np.ma.asarray(ids).ravel()) if isinstance(ids, np.ndarray) else list(ids)
    if not values:
        raise InvalidQueryError(f"{name} is empty: give at least one identifier.")
    if len(values) == 1 and isinstance(values[0], (str, np.str_)) and "," in values[0]:
        values = values[0].split(",")
    return values


def normalize_columns(columns, *, required=()):
    """
    Return the server's ``columns`` string for a column selection, or `None` for all columns.

    Parameters
    ----------
    columns : str, iterable of str, or None
        Names with their family prefix, such as ``"r:psfFlux"``, as one comma-separated
        string or as a list.
    required : tuple of str
        Names added to any selection (after the user's), e.g. the columns the client sorts on.

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        If the selection is empty or a name lacks its family prefix (``r:``, ``f:``...). Whether
        each name is a column of the endpoint is `check_columns`'s job.
    """
    if columns is None:
        return None
    if isinstance(columns, str):
        names = columns.split(",")
    elif isinstance(columns, Iterable):
        names = list(columns)
    else:
        raise InvalidQueryError(f"columns must be a string or a list of strings, got {type(columns).__name__}.")
    names = [str(name).strip() for name in names]
    names = [name for name in names if name]
    if not names:
        raise InvalidQueryError("columns is empty: give at least one column name, or None for all columns.")
    bad = [name for name in names if not _COLUMN.match(name)]
    if bad:
        hints = [f"{name!r} (did you mean {_or(_prefixed(name))}?)" if _prefixed(name) else repr(name) for name in bad]
        raise InvalidQueryError(
            f"column name(s) {', '.join(hints)} lack a family prefix: Fink names look like 'r:psfFlux' "
            "(r: LSST field, f: Fink added value); see get_schema() for the list."
        )
    return ",".join(dict.fromkeys([*names, *required]))


# --- is each name a column of the endpoint? ------------------------------------------------------

# The method that serves each entry of the column map, named when a column belongs elsewhere; in the
# order they are proposed.
_METHODS = {
    "sources": "query_sources", "objects": "query_object", "fp": "query_forced_photometry", "tags": "query_tags",
    "sso": "query_sso", "sso_ephemerides": "query_sso(with_ephemerides=True)", "conesearch": "query_region",
    "skymap": "query_skymap", "statistics": "query_statistics", "cutouts": "get_cutouts",
    "resolver_tns": "resolve(resolver='tns')", "resolver_tns_reverse": "resolve(resolver='tns', reverse=True)",
    "resolver_simbad": "resolve(resolver='simbad')",
    "resolver_simbad_reverse": "resolve(resolver='simbad', reverse=True)",
    "resolver_ssodnet": "resolve(resolver='ssodnet')",
    "resolver_ssodnet_reverse": "resolve(resolver='ssodnet', reverse=True)",
}
# Column-map entries whose computed columns an endpoint's answers can carry: ``sso`` answers have
# the ephemerides' columns when asked with_ephemerides.
_ANSWER_KEYS = {"sso": ("sso", "sso_ephemerides")}


def check_columns(endpoint, payload, *, server_schema=None):
    """
    Refuse, before any request, a ``columns`` selection naming what the endpoint cannot select.

    The server silently drops an unknown name, answers nothing when no name is known (a typo
    gives an empty table), and answers nothing either for a computed column such as
    ``v:separation_degree``. So every name of ``payload["columns"]`` is checked:

    - against the column map packaged with the client (`~astroquery_fink.columns.selectable_columns`);
    - only when the map refuses a name, and only if ``server_schema`` is given, against the
      server's own description of the endpoint (``/api/v1/schema``, one request, kept in the
      astroquery cache), so that a column the server added after this release is accepted: the
      packaged map may be stale, the server's schema is not. Methods called with
      ``get_query_payload=True`` send nothing, and check against the packaged map only.

    Parameters
    ----------
    endpoint : str
        ``"sources"``, ``"objects"``, ``"fp"``, ``"conesearch"``, ``"tags"``, ``"sso"`` or
        ``"statistics"``.
    payload : dict
        The body to send; nothing is checked without ``"columns"``.
    server_schema : callable, optional
        ``server_schema(endpoint)`` returns the server's schema table, whose ``name`` column lists
        its columns: `~astroquery_fink.FinkClass.get_schema`.

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        Naming each refused column and why: a computed column (always in the result), a column of
        other endpoints (which ones, and the method to call), or an unknown name, with the close
        matches among the endpoint's columns ("did you mean ...").

    Examples
    --------
    >>> from astroquery_fink.payload import check_columns
    >>> check_columns("fp", {"columns": "r:psfFlux,r:diaObjectId"})  # fine: nothing happens
    >>> check_columns("fp", {"columns": "r:psfFluxx"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    astroquery.exceptions.InvalidQueryError: ... 'r:psfFluxx': not one of its columns (did you mean 'r:psfFlux' or ...
    """
    if "columns" not in payload:
        return
    selectable = selectable_columns(endpoint)
    computed = {}
    for key in _ANSWER_KEYS.get(endpoint, (endpoint,)):
        for name in computed_columns(key):
            computed.setdefault(name, key)
    computed.update({client: endpoint for client in CLIENT_COLUMNS.get(endpoint, {})})
    names = payload["columns"].split(",")
    problems = [_computed(name, computed[name], endpoint) for name in names if name in computed]
    unknown = [name for name in names if name not in selectable and name not in computed]
    failure = None
    if unknown and server_schema is not None:
        unknown, failure = _not_in_server_schema(unknown, endpoint, server_schema)
    problems += [_unknown(name, selectable) for name in unknown]
    if problems:
        note = f" (The server's own schema could not be read to check them: {failure}.)" if failure else ""
        raise InvalidQueryError(f"{API}{endpoint} ({_METHODS[endpoint]}) cannot select {'; '.join(problems)}.{note} "
                                f"Fink.get_schema({endpoint!r}) lists its columns.")


def _not_in_server_schema(names, endpoint, server_schema):
    """The ``names`` that the server's schema of ``endpoint`` does not list, and why it could not be read."""
    try:
        listed = {str(name) for name in server_schema(endpoint)["name"]}
    except Exception as error:  # offline, a server error...: the packaged map's verdict stands, with the reason
        return names, f"{type(error).__name__}: {error}"
    return [name for name in names if name not in listed], None


def _computed(name, key, endpoint):
    """Why a computed column cannot be selected."""
    condition = " with with_ephemerides=True" if key != endpoint else ""
    return f"{name!r}: the server computes it for every answer{condition}, always in the result: leave it out"


def _unknown(name, selectable):
    """Why a name is not a column of the endpoint: the endpoints that serve it, or the close matches."""
    serving = endpoints_serving(name)
    elsewhere = [key for key in _METHODS if key in serving and not (key == "sso_ephemerides" and "sso" in serving)]
    if elsewhere:
        served = ", ".join(f"{API}{key.split('_')[0]} ({_METHODS[key]})" for key in elsewhere)
        return f"{name!r}: a column of {served}, not of this endpoint"
    close = _close_matches(name, selectable)
    return f"{name!r}: not one of its columns" + (f" (did you mean {_or(close)}?)" if close else "")


def _close_matches(name, candidates):
    """The names of ``candidates`` closest to ``name``, whatever the case of its letters."""
    by_lower = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    return [by_lower[match] for match in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.75)]


def _prefixed(name):
    """Column names of any endpoint that are ``name`` with a family prefix ("psfFlux" -> "r:psfFlux")."""
    return sorted({column for key in _METHODS for column in selectable_columns(key)
                   if column.split(":", 1)[-1].lower() == name.lower()})


def _or(names):
    """'a', 'a' or 'b', 'a', 'b' or 'c'."""
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def normalize_output_format(output_format):
    """Return ``output_format`` lower-cased if it is one of `OUTPUT_FORMATS`, else raise."""
    text = str(output_format).strip().lower()
    if text not in OUTPUT_FORMATS:
        raise InvalidQueryError(f"output_format {output_format!r} is not supported; choose one of {OUTPUT_FORMATS}.")
    return text


def normalize_endpoint(endpoint):
    """
    Return the short name of an endpoint given as ``"fp"``, ``"api/v1/fp"`` or ``"/api/v1/fp"``.

    The Data Transfer schemas are ``"datatransfer/lsst"`` and ``"datatransfer/fink"`` (a leading
    slash is accepted).

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        If the schema endpoint cannot describe it.
    """
    text = str(endpoint).strip().strip("/")
    rest = text.startswith("api/v1/")
    if rest:
        text = text[len("api/v1/"):]
    # the Data Transfer schemas live outside /api/v1/ on the server (/api/v1/datatransfer/lsst is a 404)
    if text not in SCHEMA_ENDPOINTS or (rest and text.startswith("datatransfer/")):
        raise InvalidQueryError(
            f"endpoint {endpoint!r} has no schema; the Fink/LSST schema service describes {SCHEMA_ENDPOINTS} "
            "(not resolver, skymap or blocks)."
        )
    return text


def normalize_mjd(value, *, name="midpoint_mjd_tai"):
    """
    Return an MJD (TAI) as the decimal text the server matches as a row-key prefix.

    Parameters
    ----------
    value : float, int, str or `~astropy.time.Time`
        A `~astropy.time.Time` is converted to the TAI scale first. A string is sent as
        given, so ``"61176"`` selects every source of that day (the server matches the text as a
        prefix of its storage key).

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        For anything but a finite non-negative number, a digit string or a single time, and for
        a number above `JD_THRESHOLD`: a Julian Date given as an MJD (the hint says how to convert).

    Warns
    -----
    astroquery_fink.exceptions.OutsideSurveyWarning
        For a number or a time before `SURVEY_START` or after tomorrow (not for a string: it may be
        a prefix).
    """
    if isinstance(value, Time):
        if not value.isscalar:
            raise InvalidQueryError(f"{name} must be a single time, got {len(value)} values.")
        _warn_outside_survey((name, value), (name, value))
        with _quiet_erfa():
            return repr(float(value.tai.mjd))
    if isinstance(value, (bool, np.bool_)):
        raise InvalidQueryError(f"{name} must be a number, a digit string or a Time, got {value!r}.")
    if isinstance(value, numbers.Real):
        if not np.isfinite(value) or value < 0:
            raise InvalidQueryError(f"{name} must be a finite non-negative MJD, got {value!r}.")
        _refuse_jd(value, name)
        time = Time(float(value), format="mjd", scale="tai")
        _warn_outside_survey((name, time), (name, time))
        return repr(float(value)) if not isinstance(value, numbers.Integral) else str(int(value))
    if isinstance(value, str) and _MJD_TEXT.match(value.strip()):
        _refuse_jd(float(value), name)
        return value.strip()
    raise InvalidQueryError(f"{name} must be an MJD number, a digit string or a Time, got {value!r}.")


# --- cone search, times, tags, Solar System names, resolver, statistics ---------------------

#: The server refuses radii above 18 000 arcsec, i.e. 5 degrees.
MAX_CONE_RADIUS = 5 * u.deg
#: Alerts a tag query returns when ``n`` is not given (the server's default, always sent explicitly).
TAGS_N = 10
#: No Rubin alert is older than this (UTC): the Fink/LSST API's own description gives it as the start of
#: its data (the documented, unimplemented default of the cone search's ``startdate``).
SURVEY_START = "2025-09-06"
#: A "Modified Julian Date" above this is a Julian Date: MJD 2 400 000 is the year 8429, while JD
#: 2 400 000.5 is MJD 0 (1858). Rubin's times are MJDs around 61 000.
JD_THRESHOLD = 2_400_000
#: Resolvers the server knows (any other name crashes it: HTTP 500).
RESOLVERS = ("tns", "simbad", "ssodnet")
_DATE = re.compile(r"^([0-9]{4}([0-9]{2}([0-9]{2})?)?)?$")


def normalize_coordinates(coordinates):
    """
    Return ``(ra, dec)`` in ICRS degrees for a `~astropy.coordinates.SkyCoord` or anything
    `astroquery.utils.commons.parse_coordinates` accepts (a string is read as ICRS, or resolved
    as a name, with an `~astroquery.exceptions.InputWarning`).
    """
    if isinstance(coordinates, (SkyCoord, BaseCoordinateFrame)):
        sky = coordinates
    else:
        if isinstance(coordinates, str) and not coordinates.strip():
            # astroquery would send an empty name to the name resolver
            raise InvalidQueryError("coordinates is an empty string: give a SkyCoord, 'ra dec' or an object name.")
        try:
            sky = commons.parse_coordinates(coordinates)
        except (ValueError, TypeError, u.UnitsError, NameResolveError) as error:
            raise InvalidQueryError(f"could not read coordinates {coordinates!r}: {error}") from error
    if not sky.isscalar:
        raise InvalidQueryError(f"coordinates must be a single position, got {len(sky)}.")
    icrs = sky.transform_to("icrs")
    return float(icrs.ra.deg), float(icrs.dec.deg)


def normalize_radius(radius):
    """
    Return a cone radius in arcsec; a bare number is taken in arcsec.

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        For a non-angle, a radius that is not positive, or one above 5 degrees (the server's limit).
    """
    if isinstance(radius, (bool, np.bool_)) or radius is None:
        raise InvalidQueryError(f"radius must be an angle, got {radius!r}.")
    try:
        angle = Angle(radius * u.arcsec if isinstance(radius, numbers.Real) else radius)
    except (ValueError, TypeError, u.UnitsError) as error:
        raise InvalidQueryError(
            f"radius must be an angle (Angle, Quantity or a number of arcsec), got {radius!r}."
        ) from error
    if not angle.isscalar:
        raise InvalidQueryError("radius must be a single angle.")
    arcsec = float(angle.to_value(u.arcsec))
    if not np.isfinite(arcsec) or arcsec <= 0:
        raise InvalidQueryError(f"radius must be positive, got {angle}.")
    if arcsec > MAX_CONE_RADIUS.to_value(u.arcsec):
        raise InvalidQueryError(f"radius {angle} is above the server's limit of {MAX_CONE_RADIUS} (18000 arcsec).")
    return arcsec


def normalize_time(value, *, name):
    """
    Return a time as the ISO text the server reads, on the TAI clock.

    Parameters
    ----------
    value : `~astropy.time.Time`, str or float
        A `~astropy.time.Time` in any scale; an ISO/ISOT string, read as UTC; or a number,
        read as an MJD on the TAI scale of the ``*MjdTai`` columns (a number above
        `JD_THRESHOLD` is refused: it is a Julian Date).

    Notes
    -----
    The server parses the text with astropy's default scale (UTC) and then compares its MJD
    with TAI MJDs without converting: sending the TAI clock reading makes that
    comparison exact.
    """
    time = _as_time(value, name)
    with _quiet_erfa():
        return time.tai.iso


def _as_time(value, name):
    """One `~astropy.time.Time` from a Time, an ISO string (UTC) or an MJD number (TAI); else raise."""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidQueryError(f"{name} must be a Time, an ISO string or an MJD, got {value!r}.")
    if isinstance(value, numbers.Real):
        _refuse_jd(value, name)
    try:
        with _quiet_erfa():
            if isinstance(value, Time):
                time = value
            elif isinstance(value, numbers.Real):
                time = Time(float(value), format="mjd", scale="tai")
            elif isinstance(value, str):
                time = Time(value.strip(), scale="utc")
            else:
                raise TypeError(type(value).__name__)
    except (ValueError, TypeError) as error:
        raise InvalidQueryError(f"{name} must be a Time, an ISO string or an MJD, got {value!r}.") from error
    if not time.isscalar:
        raise InvalidQueryError(f"{name} must be a single time.")
    return time


def _refuse_jd(number, name):
    """A number above `JD_THRESHOLD` given as an MJD is a Julian Date: refuse it with the conversion."""
    if np.isfinite(number) and number > JD_THRESHOLD:
        mjd = float(number) - 2400000.5
        raise InvalidQueryError(
            f"{name} = {number!r} looks like a Julian Date, not an MJD (an MJD above {JD_THRESHOLD:,} is after "
            f"the year 8000). MJD = JD - 2400000.5: give {mjd:.10g}, or Time({number!r}, format='jd').")


def _warn_outside_survey(first, last):
    """
    Warn when the times from ``first`` to ``last``, each ``(argument name, Time)`` or `None` (open),
    cannot hold a Rubin alert: ending before `SURVEY_START`, or starting after tomorrow.
    """
    from .exceptions import OutsideSurveyWarning
    from .results import warn  # imported here: results imports this module

    with _quiet_erfa():
        too_early = last is not None and last[1] < Time(SURVEY_START, scale="utc")
        too_late = not too_early and first is not None and first[1] > Time.now() + 1 * u.day
        when = (last if too_early else first)[1].utc.iso[:19] if too_early or too_late else None
    if too_early:
        warn(f"{last[0]} ({when} UTC) is before Rubin's first alerts ({SURVEY_START}): the answer can only be "
             "empty. Was another kind of date meant (an MJD is about 61000 in 2026)?", OutsideSurveyWarning)
    elif too_late:
        warn(f"{first[0]} ({when} UTC) is in the future: the answer can only be empty.", OutsideSurveyWarning)


@contextlib.contextmanager
def _quiet_erfa():
    """
    Silence ERFA's "dubious year" while converting a time past the leap-second table (the future,
    warned about as such) between UTC and TAI.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ErfaWarning)
        yield


def normalize_count(value, *, name):
    """Return a positive integer limit (``n``, ``nmax``), or raise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidQueryError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def normalize_names(names, *, name="name_or_number"):
    """
    Return Solar System object names or numbers as the server's comma-separated text.

    Accepts one name (``"2015 BC557"``, ``"K15Bt7C"``), one number (``8467``) or a list of them.
    """
    if isinstance(names, (str, numbers.Integral)):
        values = [names]
    elif isinstance(names, Iterable):
        values = list(names)
    else:
        raise InvalidQueryError(f"{name} must be a name, a number or a list of them, got {names!r}.")
    texts = []
    for value in values:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (str, numbers.Integral)):
            raise InvalidQueryError(f"{name} must hold names or numbers, got {value!r}.")
        text = str(value).strip()
        if not text or "," in text:
            raise InvalidQueryError(f"{name} entry {value!r} is empty or contains a comma.")
        texts.append(text)
    if not texts:
        raise InvalidQueryError(f"{name} is empty: give at least one name or number.")
    return ",".join(dict.fromkeys(texts))


def normalize_resolver(resolver):
    """Return a resolver name in lower case if it is one of `RESOLVERS`, else raise."""
    text = str(resolver).strip().lower()
    if text not in RESOLVERS:
        raise InvalidQueryError(f"resolver {resolver!r} is not supported; choose one of {RESOLVERS}.")
    return text


def normalize_night(date):
    """
    Return the statistics ``date`` prefix: ``""`` (every night), ``YYYY``, ``YYYYMM`` or ``YYYYMMDD``.

    A `~astropy.time.Time` or `datetime.date` selects its night (UTC date).
    """
    if isinstance(date, Time):
        date = date.utc.datetime
    if hasattr(date, "strftime"):
        return date.strftime("%Y%m%d")
    if isinstance(date, (bool, np.bool_)):
        raise InvalidQueryError(f"date must be YYYY, YYYYMM, YYYYMMDD or '', got {date!r}.")
    text = str(date).strip().replace("-", "")
    if not _DATE.match(text):
        raise InvalidQueryError(f"date must be YYYY, YYYYMM, YYYYMMDD or '', got {date!r}.")
    return text


def normalize_on_error(on_error):
    """Return ``on_error`` if it is one of `ON_ERROR`, else raise."""
    if on_error not in ON_ERROR:
        raise InvalidQueryError(f"on_error {on_error!r} is not supported; choose one of {ON_ERROR}.")
    return on_error


def _days(window):
    """A window length in days, from a number of days or a time Quantity; positive, else raise."""
    if isinstance(window, (bool, np.bool_)):
        raise InvalidQueryError(f"window must be a number of days or a time Quantity, got {window!r}.")
    try:
        days = float(window.to_value("day")) if hasattr(window, "to_value") else float(window)
    except (TypeError, ValueError, u.UnitsError) as error:
        raise InvalidQueryError(f"window must be a number of days or a time Quantity, got {window!r}.") from error
    if not np.isfinite(days) or days <= 0:
        raise InvalidQueryError(f"window must be a positive number of days, got {window!r}: it counts days "
                                "after start_time.")
    return days


def _choice(value, allowed, name):
    """Match ``value`` to one of ``allowed`` whatever its case; raise listing them otherwise."""
    by_lower = {option.lower(): option for option in allowed}
    key = str(value).strip().lower()
    if key not in by_lower:
        raise InvalidQueryError(f"{name} {value!r} is not supported; choose one of {allowed}.")
    return by_lower[key]


def _check_colormap(colormap):
    """The server looks the name up in ``matplotlib.cm``; check it here when matplotlib is installed."""
    try:
        from matplotlib import cm
    except ImportError:  # matplotlib is optional on the client: leave the check to the server
        return str(colormap)
    if not hasattr(cm, str(colormap)):
        raise InvalidQueryError(f"colormap {colormap!r} is not a matplotlib colormap name (e.g. 'viridis', 'Greys_r').")
    return str(colormap)


def _time_window(payload, start_time, stop_time, window=None):
    """
    Add the ``startdate``/``stopdate`` of a time window to ``payload``, refusing a stop before the
    start and warning (`~astroquery_fink.exceptions.OutsideSurveyWarning`) about a window where no
    Rubin alert can be. ``window`` (days, already checked) ends the window ``window`` days after
    ``start_time``.
    """
    start = None if start_time is None else _as_time(start_time, "start_time")
    stop = None if stop_time is None else _as_time(stop_time, "stop_time")
    with _quiet_erfa():
        if start is not None and stop is not None and stop < start:
            order = f"stop_time ({stop.utc.iso} UTC) is before start_time ({start.utc.iso} UTC)"
        else:
            order = None
    if order:
        raise InvalidQueryError(f"{order}: no alert can be in that window; swap them?")
    end = None if stop is None else ("stop_time", stop)
    if start is not None and window is not None:
        window_end = start + window * u.day
        if stop is None or window_end < stop:
            end = ("the end of the window (start_time + window)", window_end)
    _warn_outside_survey(None if start is None else ("start_time", start), end)
    with _quiet_erfa():
        if start is not None:
            payload["startdate"] = start.tai.iso
        if stop is not None:
            payload["stopdate"] = stop.tai.iso
    return payload


def _with_table_options(payload, columns, output_format, *, required=()):
    """
    End a tabular payload with its column selection (if any) and its ``output-format``.

    The one place these two entries are written: every tabular route reads them the same way.
    """
    selection = normalize_columns(columns, required=required)
    if selection is not None:
        payload["columns"] = selection
    payload["output-format"] = normalize_output_format(output_format)
    return payload


# --- one builder per route: each returns the JSON body the route expects -----------------------

def ids_payload(endpoint, dia_object_id, *, columns=None, output_format="votable", midpoint_mjd_tai=None):
    """
    Build the body of an id query (``objects``, ``sources``, ``fp``): the whole query, all ids in it.

    Ids are sent as one comma-separated JSON **string**: the server crashes (HTTP 500) on ids
    sent as JSON integers. The columns the endpoint's rows are ordered on
    (`~astroquery_fink.order.ORDER_COLUMNS`) are added to any selection. Splitting a long list
    into several requests happens when the query is sent, not here.
    """
    payload = {"diaObjectId": ",".join(normalize_ids(dia_object_id))}
    if midpoint_mjd_tai is not None:
        if "," in payload["diaObjectId"]:
            # the server silently ignores the time when several ids are given
            raise InvalidQueryError("midpoint_mjd_tai can only be used with a single dia_object_id.")
        payload["midpointMjdTai"] = normalize_mjd(midpoint_mjd_tai)
    return _with_table_options(payload, columns, output_format, required=ORDER_COLUMNS.get(endpoint, ()))


def cone_payload(coordinates, radius, *, n=None, start_time=None, stop_time=None, window=None, columns=None,
                 output_format="votable"):
    """Build the body of a cone search (``conesearch``); a bare ``radius`` number is in arcsec."""
    ra, dec = normalize_coordinates(coordinates)
    payload = {"ra": ra, "dec": dec, "radius": normalize_radius(radius)}
    if n is not None:
        payload["n"] = normalize_count(n, name="n")
    days = None
    if window is not None:
        if start_time is None:
            # the server ignores a window without a start: say so instead
            raise InvalidQueryError("window needs start_time: it counts days from start_time.")
        days = _days(window)
    _time_window(payload, start_time, stop_time, days)
    if days is not None:
        payload["window"] = days
    if columns is not None:
        # The server adds r:ra/r:dec/r:midpointMjdTai by a substring test, which "r:raErr" fools
        # (then it crashes), and refuses dates without f:firstDiaSourceMjdTaiFink: send them all.
        needed = ["r:ra", "r:dec", "r:midpointMjdTai"]
        if "startdate" in payload or "stopdate" in payload:
            needed.append("f:firstDiaSourceMjdTaiFink")
        columns = normalize_columns(columns).split(",") + needed
    return _with_table_options(payload, columns, output_format)


def tags_payload(tag, *, n=None, start_time=None, stop_time=None, columns=None, output_format="votable"):
    """Build the body of a tag query (``tags``); ``n`` is always sent (the server's default is 10)."""
    payload = {"tag": str(tag).strip(), "n": normalize_count(n, name="n") if n is not None else TAGS_N}
    _time_window(payload, start_time, stop_time)
    return _with_table_options(payload, columns, output_format, required=ORDER_COLUMNS["tags"])


def sso_payload(name_or_number, *, with_ephemerides=False, columns=None, output_format="votable"):
    """Build the body of a Solar System query (``sso``)."""
    payload = {"n_or_d": normalize_names(name_or_number)}
    if with_ephemerides:
        payload["withEphem"] = True  # JSON true: the server ignores "true" and 1
    return _with_table_options(payload, columns, output_format, required=ORDER_COLUMNS["sso"])


def resolver_payload(name, *, resolver="tns", reverse=False, nmax=None):
    """Build the body of a name resolution (``resolver``); its answer is always asked in JSON."""
    resolver = normalize_resolver(resolver)
    if reverse:
        ids = normalize_ids(name, name="name")
        if len(ids) != 1:
            raise InvalidQueryError("resolve(reverse=True) takes a single identifier.")
        text = ids[0]
    else:
        text = str(name).strip()
    payload = {"resolver": resolver, "name_or_id": text}
    if reverse:
        payload["reverse"] = True  # honoured only as JSON true
    if nmax is not None:
        payload["nmax"] = normalize_count(nmax, name="nmax")  # a JSON number: a string crashes the server
    payload["output-format"] = "json"
    return payload


def statistics_payload(date="", *, columns=None, output_format="votable"):
    """Build the body of a statistics query (``statistics``)."""
    return _with_table_options({"date": normalize_night(date)}, columns, output_format)


def schema_payload(endpoint, *, major_version=None, minor_version=None):
    """
    Build the body of a schema query: the full path of the endpoint to describe, and the version.

    The server reads the version only when both numbers are given (otherwise it serves the latest
    for both), so ``minor_version`` alone is refused and ``major_version`` alone means minor 0.
    Versions before `FIRST_SCHEMA_MAJOR` are refused: the server fails (500) on them.
    """
    short = normalize_endpoint(endpoint)
    payload = {"endpoint": ("/" if short.startswith("datatransfer/") else API) + short}
    if major_version is None:
        if minor_version is not None:
            raise InvalidQueryError(f"minor_version={minor_version!r} needs major_version: the server ignores a "
                                    "minor version given alone and serves the latest schema.")
        return payload
    major = _version_number(major_version, "major_version")
    minor = 0 if minor_version is None else _version_number(minor_version, "minor_version")
    if major < FIRST_SCHEMA_MAJOR:
        raise InvalidQueryError(f"LSST alert schema {major}.{minor} cannot be described: the schema service "
                                f"serves versions {FIRST_SCHEMA_MAJOR}.0 and later (earlier ones lack files it needs).")
    payload.update(major_version=major, minor_version=minor)
    return payload


def _version_number(value, name):
    """A schema version number: a non-negative int (or its decimal text), else `InvalidQueryError`."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise InvalidQueryError(f"{name} must be a non-negative integer, got {value!r}.")
    return int(value)


def cutout_payload(dia_source_id, *, kind="Science", output_format="FITS", stretch=None, colormap=None,
                   convolution_kernel=None):
    """
    Build the JSON body of a cutout request, refusing what the server would reject or crash on.

    ``kind="All"`` needs ``output_format="array"`` (the server refuses it with PNG or FITS and
    crashes without a format); ``stretch``, ``colormap`` and ``convolution_kernel`` only change PNG images.
    """
    ids = normalize_ids(dia_source_id, name="dia_source_id")
    if len(ids) != 1:
        raise InvalidQueryError(f"get_cutouts takes a single dia_source_id, got {len(ids)}.")
    kind = _choice(kind, KINDS, "kind")
    output_format = _choice(output_format, CUTOUT_FORMATS, "output_format")
    if kind == "All" and output_format != "array":
        raise InvalidQueryError("kind='All' is only available with output_format='array'.")
    payload = {"diaSourceId": ids[0], "kind": kind, "output-format": output_format}
    if stretch is not None:
        payload["stretch"] = _choice(stretch, STRETCHES, "stretch")
    if colormap is not None:
        payload["colormap"] = _check_colormap(colormap)
    if convolution_kernel is not None:
        payload["convolution_kernel"] = _choice(convolution_kernel, KERNELS, "convolution_kernel")
    if output_format != "PNG" and len(payload) > 3:
        raise InvalidQueryError("stretch, colormap and convolution_kernel only apply to output_format='PNG'.")
    return payload


def _credible_level(value):
    """A credible level in (0, 1] as a float, or raise."""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidQueryError(f"credible_level must be a number in (0, 1], got {value!r}.")
    try:
        level = float(value)
    except (TypeError, ValueError) as error:
        raise InvalidQueryError(f"credible_level must be a number in (0, 1], got {value!r}.") from error
    if not 0 < level <= 1:
        raise InvalidQueryError(f"credible_level must be in (0, 1], got {value!r}.")
    return level


def skymap_payload(*, event_name=None, skymap=None, credible_level, output_format="votable"):
    """
    Build the body of a skymap query, from a GraceDB event name or from a map of one's own.

    The server documents a ``file`` argument but reads ``bayestar``, whose value it evaluates as
    a Python bytes literal (``file`` is ignored and the server answers HTTP 500): the map goes out
    as ``repr()`` of its gzipped bytes.
    """
    if (event_name is None) == (skymap is None):
        raise InvalidQueryError("give exactly one of event_name (a GraceDB superevent such as 'S251112cm') "
                                "or skymap (a bayestar FITS map).")
    payload = {"credible_level": _credible_level(credible_level),
               "output-format": normalize_output_format(output_format)}
    if event_name is not None:
        name = str(event_name).strip()
        if not name or any(char.isspace() for char in name):
            raise InvalidQueryError(
                f"event_name must be a GraceDB superevent name such as 'S251112cm', got {event_name!r}."
            )
        payload["event_name"] = name
    else:
        payload["bayestar"] = repr(encode_skymap(skymap))
    return payload


def check_tag(tag, tags):
    """
    Refuse a tag the server does not know or cannot query, listing the valid ones.

    ``tags`` is the table of `~astroquery_fink.FinkClass.list_tags` (columns ``tag`` and ``api_support``).
    """
    known = {str(name): bool(supported) for name, supported in zip(tags["tag"], tags["api_support"], strict=True)}
    queryable = [name for name, supported in known.items() if supported]
    if tag not in known:
        raise InvalidQueryError(f"{tag!r} is not a Fink tag; tags the API can query: {queryable}.")
    if not known[tag]:
        raise InvalidQueryError(
            f"{tag!r} is only available from the Fink livestream, not from the API; tags the API can query: "
            f"{queryable}."
        )
