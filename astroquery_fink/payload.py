"""Validation of user arguments and construction of the payloads the Fink/LSST API expects."""
import numbers
import re
from collections.abc import Iterable

import numpy as np
from astropy.time import Time
from astroquery.exceptions import InvalidQueryError

from .decode import OUTPUT_FORMATS

__all__ = [
    "OUTPUT_FORMATS",
    "SCHEMA_ENDPOINTS",
    "normalize_ids",
    "normalize_columns",
    "normalize_output_format",
    "normalize_endpoint",
    "normalize_mjd",
    "id_payload",
]


#: Endpoints ``/api/v1/schema`` can describe (spec §2.6); it answers 404 for the others.
SCHEMA_ENDPOINTS = ("sources", "objects", "fp", "conesearch", "cutouts", "sso", "statistics", "tags")

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
    if isinstance(ids, (str, bytes, np.str_)) or not isinstance(ids, Iterable):
        values = [ids.decode() if isinstance(ids, bytes) else ids]
    else:
        values = list(np.ma.asarray(ids).ravel()) if isinstance(ids, np.ndarray) else list(ids)
    if not values:
        raise InvalidQueryError(f"{name} is empty: give at least one identifier.")
    if len(values) == 1 and isinstance(values[0], (str, np.str_)) and "," in values[0]:
        values = values[0].split(",")
    return list(dict.fromkeys(_one_id(value, name) for value in values))


def normalize_columns(columns):
    """
    Return the server's ``columns`` string for a column selection, or `None` for all columns.

    Parameters
    ----------
    columns : str, iterable of str, or None
        Names with their family prefix, such as ``"r:psfFlux"``, as one comma-separated
        string or as a list.

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        If the selection is empty or a name lacks its family prefix (``r:``, ``f:``...).
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
        raise InvalidQueryError(
            f"column name(s) {bad} lack a family prefix: Fink names look like 'r:psfFlux' "
            "(r: LSST field, f: Fink added value); see get_schema() for the list."
        )
    return ",".join(dict.fromkeys(names))


def normalize_output_format(output_format):
    """Return ``output_format`` lower-cased if it is one of `OUTPUT_FORMATS`, else raise."""
    text = str(output_format).strip().lower()
    if text not in OUTPUT_FORMATS:
        raise InvalidQueryError(f"output_format {output_format!r} is not supported; choose one of {OUTPUT_FORMATS}.")
    return text


def normalize_endpoint(endpoint):
    """
    Return the short name of an endpoint given as ``"fp"``, ``"api/v1/fp"`` or ``"/api/v1/fp"``.

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        If the schema endpoint cannot describe it.
    """
    text = str(endpoint).strip().strip("/")
    if text.startswith("api/v1/"):
        text = text[len("api/v1/"):]
    if text not in SCHEMA_ENDPOINTS:
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
        given, so ``"61176"`` selects every source of that day (prefix match, spec §2.1).
    """
    if isinstance(value, Time):
        if not value.isscalar:
            raise InvalidQueryError(f"{name} must be a single time, got {len(value)} values.")
        return repr(float(value.tai.mjd))
    if isinstance(value, (bool, np.bool_)):
        raise InvalidQueryError(f"{name} must be a number, a digit string or a Time, got {value!r}.")
    if isinstance(value, numbers.Real):
        if not np.isfinite(value) or value < 0:
            raise InvalidQueryError(f"{name} must be a finite non-negative MJD, got {value!r}.")
        return repr(float(value)) if not isinstance(value, numbers.Integral) else str(int(value))
    if isinstance(value, str) and _MJD_TEXT.match(value.strip()):
        return value.strip()
    raise InvalidQueryError(f"{name} must be an MJD number, a digit string or a Time, got {value!r}.")


def id_payload(id_key, ids, *, columns, output_format, name="dia_object_id"):
    """
    Build the JSON body of an id-based query.

    Ids are sent as one comma-separated JSON **string**: the server crashes (HTTP 500) on JSON
    integers (spec §1.2).
    """
    payload = {id_key: ",".join(normalize_ids(ids, name=name))}
    selection = normalize_columns(columns)
    if selection is not None:
        payload["columns"] = selection
    payload["output-format"] = normalize_output_format(output_format)
    return payload
