"""Which columns a table shows first, and which of the server's internals it leaves out.

The server sends its columns in the code-point order of their names: ``f:`` before ``r:``,
``r:band`` before ``r:midpointMjdTai`` before ``r:psfFlux``. On a terminal or in a notebook,
whose display cuts a wide table at its right edge, the first columns are all one sees; so every
table leads with the columns people read (identifier, time, band, flux, position,
classification), declared once here in `LEADING`, and the others follow in the server's order.

`arrange` is applied where a table is finished (`astroquery_fink.query.finish_table`), after
the rows are ordered and the columns annotated, so that every transport format gives the same
table. It also removes what only the server's storage needs (`INTERNAL`) and turns two computed
columns into what an astronomer expects: the cone search's separation in arcsec instead of
degrees (`SEPARATION`), and the ephemerides' Julian date as an `~astropy.time.Time`
(`EPHEMERIS_DATE`).
"""
import astropy.units as u
import numpy as np
from astropy.table import Column, MaskedColumn, Table
from astropy.time import Time

from .columns import column_info, endpoint_columns

__all__ = ["LEADING", "INTERNAL", "SEPARATION", "SERVER_SEPARATION", "EPHEMERIS_DATE", "CLIENT_COLUMNS",
           "arrange", "leading_first"]

_OBJECT, _TIME, _BAND, _FLUX, _FLUX_ERR = "r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr"
_RA, _DEC = "r:ra", "r:dec"
# what a light curve is read by: whose, when, in which band, how bright, how sure
_PHOTOMETRY = (_OBJECT, _TIME, _BAND, _FLUX, _FLUX_ERR)
# what an object is: where, how often seen, what Fink makes of it
_OBJECT_SUMMARY = ("r:nDiaSources", "f:main_label_crossmatch", "f:main_label_classifier")

#: The client's name of the cone search's separation (arcsec) and the server's (degrees).
SEPARATION, SERVER_SEPARATION = "v:separation_arcsec", "v:separation_degree"
#: Miriade's epoch of each ephemeris, a Julian date in UTC, turned into a `~astropy.time.Time`.
EPHEMERIS_DATE = "Date"

#: The columns each table shows first, in this order (those it has); its other columns follow.
#: Keys are the column-map entries of `astroquery_fink.query.column_key` (``"fp"``,
#: ``"sso_ephemerides"``, ``"resolver_tns"``...), plus ``"schema"`` (`get_schema`) and
#: ``"lightcurve"`` (`get_lightcurve`).
LEADING = {
    "sources": (*_PHOTOMETRY, "r:snr", "r:diaSourceId", _RA, _DEC),
    "fp": (*_PHOTOMETRY, "r:diaForcedSourceId", _RA, _DEC),
    "tags": (*_PHOTOMETRY, _RA, _DEC, "f:xm_tns_fullname", "f:xm_tns_type", "f:xm_simbad_otype", "r:diaSourceId"),
    "objects": (_OBJECT, _RA, _DEC, *_OBJECT_SUMMARY, "f:firstDiaSourceMjdTaiFink", "r:lastDiaSourceMjdTai"),
    "conesearch": (_OBJECT, SEPARATION, _RA, _DEC, *_OBJECT_SUMMARY, _TIME, _BAND, _FLUX, _FLUX_ERR),
    "skymap": (_OBJECT, _RA, _DEC, *_OBJECT_SUMMARY, _TIME, "v:startgwMjdTai", _BAND, _FLUX, _FLUX_ERR),
    "sso": ("f:sso_name", _TIME, _BAND, _FLUX, _FLUX_ERR, _RA, _DEC, "r:ssObjectId", "r:diaSourceId"),
    "sso_ephemerides": ("f:sso_name", _TIME, _BAND, _FLUX, _FLUX_ERR, "i:magpsf_red", _RA, _DEC, "r:ssObjectId",
                        "r:diaSourceId"),
    "statistics": ("f:night", "f:alerts", "f:objects", "f:visits"),
    "resolver_tns": ("f:fullname", "f:internalname", "f:type", "f:redshift", "f:ra", "f:declination",
                     "f:discoverydate"),
    "resolver_tns_reverse": (_OBJECT, "f:xm_tns_fullname", "f:xm_tns_type", "f:xm_tns_redshift"),
    "resolver_simbad": ("name", "otype", "jradeg", "jdedeg", "z"),
    "resolver_simbad_reverse": (_OBJECT, "f:main_label_crossmatch", _RA, _DEC),
    "resolver_ssodnet": ("f:sso_name", "r:ssObjectId", "r:packed_primary_provisional_designation", "r:diaSourceId"),
    "resolver_ssodnet_reverse": ("r:ssObjectId", "r:unpacked_primary_provisional_designation",
                                 "r:packed_primary_provisional_designation", "r:diaSourceId"),
    "schema": ("name", "unit", "type", "description"),
    "lightcurve": (_OBJECT, "time", _BAND, "kind", _FLUX, _FLUX_ERR, "mag", "mag_err", "r:diaSourceId",
                   "r:diaForcedSourceId", _TIME, _RA, _DEC),
}

#: Columns of the server's storage rather than of the data, left out of every table unless asked
#: for by name in ``columns``: what each one is.
INTERNAL = {
    "r:salt": "the row-key prefix that spreads the rows of Fink's HBase tables (not in /api/v1/schema)",
    "f:salt": "the row-key prefix of the TNS resolver's table (last character of the name)",
    "index": "the row number of each object's Miriade answer, added by the server's pandas code",
}

#: The columns the client renames, by table: the client's name to the server's (`SEPARATION`).
CLIENT_COLUMNS = {"conesearch": {SEPARATION: SERVER_SEPARATION}}

# The columns of the ephemerides that come from Miriade (everything the sso alert rows lack)
# follow the alert's own columns, in the server's order: Date first.
_APPENDED_TO = {"sso_ephemerides": "sso"}


def leading_first(names, key, requested=()):
    """
    Return column ``names`` in the order a table of ``key`` shows them.

    The `LEADING` columns of ``key`` come first (those in ``names``), then the ``requested``
    ones in the order given, then the others in their order in ``names``.

    Examples
    --------
    >>> from astroquery_fink.layout import leading_first
    >>> leading_first(["r:band", "r:diaObjectId", "r:midpointMjdTai", "r:psfFlux", "r:visit"], "fp")
    ['r:diaObjectId', 'r:midpointMjdTai', 'r:band', 'r:psfFlux', 'r:visit']
    >>> leading_first(["r:diaObjectId", "r:visit", "r:x", "r:y"], "fp", requested=["r:y", "r:visit"])
    ['r:diaObjectId', 'r:y', 'r:visit', 'r:x']
    """
    present = set(names)
    first = [name for name in LEADING.get(key, ()) if name in present]
    order = dict.fromkeys(first + [name for name in requested if name in present])
    return list(dict.fromkeys([*order, *names]))


def arrange(table, key, requested=None):
    """
    Give a decoded, ordered and annotated table the columns, and the column order, users see.

    1. `INTERNAL` columns are left out, unless ``requested`` names them;
    2. the cone search's ``v:separation_degree`` becomes `SEPARATION`, ``v:separation_arcsec``,
       the same angle in arcsec (a column with unit ``arcsec``: ``Angle(table[SEPARATION])``
       works); the ephemerides' ``Date`` becomes a `~astropy.time.Time` (format ``jd``, scale
       ``utc``: Miriade's Julian date in UTC, the alert's TAI time converted by the server);
    3. the columns are put in the order of `leading_first`: the `LEADING` ones, then the
       ``requested`` ones in the user's order, then the others in the server's order, except
       that the ephemerides' Miriade columns (``Date`` first) come after all the alert's columns.

    Parameters
    ----------
    table : `~astropy.table.Table`
    key : str
        Column-map entry of the table (`astroquery_fink.query.column_key`).
    requested : list of str, optional
        The names sent in ``columns``, the user's first; `None` for a full read.

    Returns
    -------
    `~astropy.table.Table`
        A new table sharing the data of ``table`` (no copy), with the same ``meta``.
    """
    asked = set(requested or ())
    columns = {name: table[name] for name in table.colnames if name not in INTERNAL or name in asked}
    if key == "conesearch" and SERVER_SEPARATION in columns:
        # renamed where it stands, then converted
        columns = {(SEPARATION if name == SERVER_SEPARATION else name): column for name, column in columns.items()}
        columns[SEPARATION] = _in_arcsec(columns[SEPARATION])
    if key == "sso_ephemerides" and EPHEMERIS_DATE in columns:
        columns[EPHEMERIS_DATE] = _as_time(columns[EPHEMERIS_DATE])
    names = list(columns)
    if key in _APPENDED_TO:
        alert = endpoint_columns(_APPENDED_TO[key])
        appended = [name for name in names if name not in alert and name not in LEADING[key]]
        names = [name for name in names if name not in appended] + appended
    names = leading_first(names, key, requested or ())
    if names == table.colnames and all(columns[name] is table[name] for name in names):
        return table
    return Table([columns[name] for name in names], names=names, meta=table.meta, copy=False)


def _in_arcsec(column):
    """The server's separation in degrees as a column in arcsec, described with the server's name."""
    info = column_info("conesearch", SERVER_SEPARATION)
    description = (f"{info.description.rstrip('.')}, in arcsec (the server sends it in degrees, as "
                   f"{SERVER_SEPARATION}).")
    arcsec = np.ma.asarray(column, dtype=float) * 3600.0
    attributes = {"name": SEPARATION, "unit": u.arcsec, "description": description, "meta": {"ucd": "pos.angDistance"}}
    if isinstance(column, MaskedColumn):
        return MaskedColumn(np.ma.getdata(arcsec), mask=np.ma.getmaskarray(arcsec), **attributes)
    return Column(np.ma.getdata(arcsec), **attributes)


def _as_time(column):
    """Miriade's ``Date`` (a Julian date in UTC) as a `~astropy.time.Time`, masked where it is missing."""
    mask = np.ma.getmaskarray(column)
    values = np.ma.getdata(np.ma.asarray(column, dtype=float)).copy()
    # a valid date under the mask: a NaN there would make astropy's scale conversions (ERFA) warn
    values[mask] = 0.0
    time = Time(values, format="jd", scale="utc")
    if mask.any():
        time[mask] = np.ma.masked
    time.info.description = (f"{column.info.description or 'Epoch of the ephemeris'} An astropy Time: scale utc, "
                             "format jd.").strip()
    time.info.meta = dict(column.info.meta or {})
    return time
