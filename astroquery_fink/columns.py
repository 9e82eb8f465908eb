"""Types, units, UCDs and descriptions of the columns returned by each Fink/LSST endpoint."""

import functools
import json
from dataclasses import dataclass
from importlib import resources

import astropy.units as u
import numpy as np
from astropy.table import MaskedColumn

__all__ = [
    "ColumnInfo",
    "PACKAGED_SCHEMA_VERSION",  # noqa: F822 (provided by the module __getattr__)
    "ENDPOINTS",  # noqa: F822 (provided by the module __getattr__, read on first use)
    "KIND_DTYPES",
    "endpoint_columns",
    "column_info",
    "column_kinds",
    "schema_columns",
    "COMPUTED_GROUPS",
    "selectable_columns",
    "computed_columns",
    "endpoints_serving",
    "type_kind",
    "numpy_dtype",
    "missing_values",
    "missing_column",
]

#: The four kinds every decoded column is normalized to, whatever the wire format, and the numpy
#: dtype of each. Strings are unicode; their width is that of the longest value (1 at the least).
KIND_DTYPES = {
    "int": np.dtype(np.int64),
    "float": np.dtype(np.float64),
    "bool": np.dtype(bool),
    "str": np.dtype(np.str_),
}

# The value types of the column map and the kind each one is decoded to. Bytes (the cutouts'
# images) have no kind: they are not table data, and are kept as the server sends them.
_KIND_OF_TYPE = {
    "long": "int",
    "int": "int",
    "float": "float",
    "double": "float",
    "boolean": "bool",
    "string": "str",
    "bytes": None,
}
_BYTES_DTYPE = np.dtype(object)

#: Groups of the column map whose columns the server computes for each answer (a cone search's
#: separation, the Miriade ephemerides...): they are in every result, and cannot be selected with
#: ``columns`` (the server's storage does not hold them: naming one can make it answer nothing).
COMPUTED_GROUPS = ("computed", "miriade")


@dataclass(frozen=True)
class ColumnInfo:
    """
    Description of one column of a Fink/LSST endpoint.

    Attributes
    ----------
    name : str
        Full column name with its family prefix, e.g. ``"r:psfFlux"``.
    type : str
        Value type carried by the data: ``long``, ``int``, ``float``, ``double``,
        ``string``, ``boolean`` or ``bytes``.
    unit : `~astropy.units.UnitBase` or None
        Physical unit, or `None` for dimensionless and non-numeric columns.
    ucd : str
        IVOA Unified Content Descriptor (empty when none is defined).
    description : str
        Short description of the column.
    nullable : bool
        Whether the value may be missing.
    group : str
        Schema record the column comes from (``diaSource``, ``fink_source``, ...).
    """

    name: str
    type: str
    unit: u.UnitBase | None
    ucd: str
    description: str
    nullable: bool
    group: str


@functools.cache
def _data():
    """Return the parsed ``data/columns.json`` (read once)."""
    path = resources.files("astroquery_fink").joinpath("data", "columns.json")
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _unit(text):
    """Return the astropy unit for a stored unit string, `None` for ''."""
    return u.Unit(text, parse_strict="raise") if text else None


@functools.cache
def _info(group, name):
    """Return the `ColumnInfo` of ``name`` as described by ``group``."""
    entry = _data()["groups"][group][name]
    return ColumnInfo(
        name=name,
        type=entry["type"],
        unit=_unit(entry["unit"]),
        ucd=entry["ucd"],
        description=entry["description"],
        nullable=entry["nullable"],
        group=group,
    )


@functools.cache
def _endpoints():
    return tuple(sorted(_data()["endpoints"]))


def __getattr__(name):
    # ENDPOINTS is read from the packaged map on first use, not at import: building a query
    # payload must not pay for parsing the whole map (start-up time and memory)
    if name == "ENDPOINTS":
        return _endpoints()
    if name == "PACKAGED_SCHEMA_VERSION":
        # the LSST alert schema the map was generated from ("11.0"); see schema.DESCRIBED_MAJORS
        return _data()["alert_schema_version"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _endpoint(endpoint):
    """Return the map entry of an endpoint given as ``"fp"`` or ``"/api/v1/fp"``."""
    key = endpoint.removeprefix("/api/v1/") if isinstance(endpoint, str) else endpoint
    try:
        return _data()["endpoints"][key]
    except (KeyError, TypeError):
        raise ValueError(f"unknown endpoint {endpoint!r}; valid endpoints are: {', '.join(_endpoints())}") from None


@functools.cache
def _endpoint_columns(key):
    return {name: _info(group, name) for name, group in _endpoint(key)["columns"].items()}


def endpoint_columns(endpoint):
    """
    Return the columns that the data rows of an endpoint can contain.

    Parameters
    ----------
    endpoint : str
        Endpoint name, e.g. ``"sources"`` or ``"fp"`` (``"/api/v1/fp"`` is accepted too).

    Returns
    -------
    dict of str to `ColumnInfo`
        Column name to its description, including the columns the API computes at query
        time (e.g. ``v:separation_degree`` for ``conesearch``).

    Raises
    ------
    ValueError
        If the endpoint is unknown; the message lists the valid ones.
    """
    return dict(_endpoint_columns(endpoint))


def column_info(endpoint, name):
    """
    Return the description of one column of an endpoint.

    Parameters
    ----------
    endpoint : str
        Endpoint name, e.g. ``"objects"``.
    name : str
        Full column name, e.g. ``"f:is_sso"``.

    Returns
    -------
    `ColumnInfo` or None
        `None` when the column is not one the endpoint's data rows are known to contain.

    Raises
    ------
    ValueError
        If the endpoint is unknown.
    """
    return _endpoint_columns(endpoint).get(name)


def schema_columns(endpoint):
    """
    Return what ``/api/v1/schema`` lists for an endpoint, grouped by family.

    Parameters
    ----------
    endpoint : str
        Endpoint name, e.g. ``"sources"``.

    Returns
    -------
    dict of str to dict of str to `ColumnInfo`
        Family label as the server prints it (e.g. ``"LSST original fields (r:)"``) to
        column name to description. Empty for endpoints that ``/api/v1/schema`` rejects.

    Raises
    ------
    ValueError
        If the endpoint is unknown.
    """
    return {
        family: {name: _info(group, name) for name, group in names.items()}
        for family, names in _endpoint(endpoint)["schema"].items()
    }


@functools.cache
def _selectable(key):
    computed = set(computed_columns(key))
    stored = {name: info for name, info in _endpoint_columns(key).items() if name not in computed}
    # the schema lists f:sso_name for sso, which the server computes: naming it empties the answer
    listed = {name: _info(group, name) for names in _endpoint(key)["schema"].values() for name, group in names.items()
              if name not in computed and name not in stored}
    return {**stored, **listed}


def selectable_columns(endpoint):
    """
    Return the columns that ``columns=`` may name at an endpoint, as the packaged map knows them.

    They are the columns its storage holds (those of `endpoint_columns` that the server does not
    compute, see `COMPUTED_GROUPS`), and those ``/api/v1/schema`` lists for it even though the
    data never has them (e.g. ``f:clf_slsn_score`` of ``sources``): asking for one is not an
    error, the column is then empty. A computed column is never selectable, even when the schema
    lists it (``f:sso_name`` of ``sso``).

    Parameters
    ----------
    endpoint : str
        Endpoint name, e.g. ``"fp"``.

    Returns
    -------
    dict of str to `ColumnInfo`

    Raises
    ------
    ValueError
        If the endpoint is unknown.

    Examples
    --------
    >>> from astroquery_fink.columns import selectable_columns
    >>> "r:psfFlux" in selectable_columns("fp"), "r:snr" in selectable_columns("fp")
    (True, False)
    >>> "v:separation_degree" in selectable_columns("conesearch")  # computed: always in the result
    False
    """
    return dict(_selectable(endpoint))


def computed_columns(endpoint):
    """
    Return the names of the columns the server computes for each answer of an endpoint.

    They come with every answer and cannot be selected (see `COMPUTED_GROUPS`): e.g.
    ``v:separation_degree`` for ``conesearch``, the Miriade columns for ``sso_ephemerides``.
    An unknown endpoint raises `ValueError`.
    """
    return [name for name, info in _endpoint_columns(endpoint).items() if info.group in COMPUTED_GROUPS]


def endpoints_serving(name):
    """
    Return the endpoints (map entries, e.g. ``"sources"``) whose data rows can hold a column.

    Examples
    --------
    >>> from astroquery_fink.columns import endpoints_serving
    >>> endpoints_serving("r:diaForcedSourceId")
    ['fp']
    >>> endpoints_serving("r:snr")
    ['conesearch', 'skymap', 'sources', 'sso', 'sso_ephemerides', 'tags']
    """
    return [endpoint for endpoint in _endpoints() if name in _endpoint_columns(endpoint)]


@functools.cache
def _column_kinds(key):
    kinds = ((name, type_kind(info.type)) for name, info in _endpoint_columns(key).items())
    return {name: kind for name, kind in kinds if kind is not None}


def column_kinds(endpoint):
    """
    Return the kind each column of an endpoint is decoded to, as ``{name: kind}``.

    The kinds are ``"int"``, ``"float"``, ``"bool"`` and ``"str"`` (see `type_kind`); columns
    without one (bytes) are left out. An unknown endpoint raises `ValueError`, as in
    `endpoint_columns`.
    """
    return dict(_column_kinds(endpoint))


def type_kind(type_name):
    """
    Return the kind a column type of the map (`ColumnInfo.type`) is decoded to.

    ``"int"`` for ``long`` and ``int``, ``"float"`` for ``float`` and ``double``, ``"bool"``
    for ``boolean``, ``"str"`` for ``string``, and `None` for ``bytes``, which is kept as sent.
    An unknown type raises `ValueError`, as in `numpy_dtype`.
    """
    try:
        return _KIND_OF_TYPE[type_name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown column type {type_name!r}; expected one of {', '.join(_KIND_OF_TYPE)}") from None


def numpy_dtype(type_name):
    """
    Return the numpy dtype used for a column type.

    Parameters
    ----------
    type_name : str
        One of ``long``, ``int``, ``float``, ``double``, ``string``, ``boolean``, ``bytes``.

    Returns
    -------
    `numpy.dtype`
        ``int64`` for integers, ``float64`` for floating point, ``bool``, ``str_`` for
        strings and ``object`` for bytes.

    Raises
    ------
    ValueError
        If ``type_name`` is not one of the above.
    """
    kind = type_kind(type_name)
    return _BYTES_DTYPE if kind is None else KIND_DTYPES[kind]


def missing_values(dtype, length):
    """
    Return ``length`` missing values of ``dtype``: a masked array with every entry masked.

    Under the mask lie zeros (``0``, ``False``, ``""``), or NaN for floating point, so that
    unmasking never shows an arbitrary number.
    """
    dtype = np.dtype(dtype)
    data = np.full(length, np.nan, dtype=dtype) if dtype.kind == "f" else np.zeros(length, dtype=dtype)
    return np.ma.MaskedArray(data, mask=np.ones(length, dtype=bool))


def missing_column(name, kind, length, **attributes):
    """
    Return a column of ``length`` missing values of a kind: the form of a column without data.

    Parameters
    ----------
    name : str
        Column name.
    kind : str
        ``"int"``, ``"float"``, ``"bool"`` or ``"str"`` (see `KIND_DTYPES`).
    length : int
        Number of rows.
    **attributes
        Passed on to `~astropy.table.MaskedColumn` (``unit``, ``description``, ``meta``...).

    Returns
    -------
    `~astropy.table.MaskedColumn`
        Every value masked, of the dtype of ``kind``.
    """
    values = missing_values(KIND_DTYPES[kind], length)
    return MaskedColumn(values.data, name=name, mask=values.mask, **attributes)
