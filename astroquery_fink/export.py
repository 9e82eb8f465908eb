"""
Light curves written to files and turned into time series, without losing what a format can hold.

A light curve (`~astroquery_fink.lightcurve.merge_lightcurve`) has a `~astropy.time.Time`
column in TAI, AB magnitudes (unit ``mag(AB)``, an astropy "function" unit), masked values,
64-bit ids and a ``meta`` of nested dictionaries. ECSV and Parquet hold all of it, so
``lc.write(path)`` is enough for them. FITS and VOTable cannot hold some of it, and astropy
then warns, drops it or refuses the table; `write_lightcurve` converts what they cannot hold
instead (the conversions are listed in its docstring).

`to_timeseries` and `to_qtable` give the same table as an `astropy.timeseries.TimeSeries` or a
`~astropy.table.QTable`, without the warning astropy gives for a masked ``mag(AB)`` column
(which it cannot make a masked quantity of).
"""
import json
import re
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io.votable.exceptions import W03
from astropy.table import MaskedColumn, QTable, Table
from astropy.time import Time
from astropy.utils.masked import Masked

__all__ = ["EXPORT_FORMATS", "write_lightcurve", "to_timeseries", "to_qtable"]

#: The formats `write_lightcurve` writes, and the file name endings it recognises for each.
EXPORT_FORMATS = {
    "ecsv": (".ecsv",),
    "parquet": (".parquet", ".parq", ".pq"),
    "fits": (".fits", ".fit", ".fts", ".fits.gz"),
    "votable": (".xml", ".vot", ".votable"),
}
# The column meta key where write_lightcurve keeps a unit FITS or VOTable cannot write (e.g. "mag(AB)").
_UNIT_KEY = "astropy_unit"
# The VOTable TIMESYS element the converted time column refers to.
_TIMESYS_ID = "tai_mjd"
# A FITS keyword as the standard has it (astropy reads a shorter lower-case key back in upper case)
_FITS_KEYWORD = re.compile(r"[A-Z0-9_-]{1,8}")


def write_lightcurve(lc, path, format=None, overwrite=False):
    """
    Write a light curve to ECSV, Parquet, FITS or VOTable, converting what the format cannot hold.

    ``lc`` itself is never changed, and no format warns. What each format keeps, read back
    with `astropy.table.Table.read` (the user guide's page "Saving and converting light
    curves" shows each):

    - **ECSV** and **Parquet**: everything (``lc.write(path)`` does the same): the ``time``
      column as a `~astropy.time.Time` in TAI, units including ``mag(AB)``, masks of every
      type, descriptions, UCDs and the whole ``meta``.
    - **FITS**: ``time`` as a FITS time column in TAI (``Table.read(path, astropy_native=True)``
      gives the `~astropy.time.Time` back, in format ``jd``; without it the column holds the
      two parts of the Julian date). ``mag(AB)`` has no FITS unit: the magnitudes are written
      with unit ``mag``, and the column's ``meta["astropy_unit"]`` and description say
      ``"mag(AB)"``. Masked floats are NaN and masked integers a null value, both read back
      masked (so is a NaN that was not masked); FITS has no null for booleans, so a boolean
      column with masked values is written as 0/1 integers (``uint8``) with its mask. Text
      comes back as bytes, as from any FITS table (``t.convert_bytestring_to_unicode()``).
      Descriptions and UCDs are kept. Table ``meta`` entries become header keywords (with
      their case); a dictionary or list is written as its JSON text (``json.loads`` gives it
      back).
    - **VOTable** (version 1.4, BINARY2 serialization, which has nulls for every type):
      ``time`` becomes a float column of MJD (unit ``d``, UCD ``time.epoch``) referring to a
      ``TIMESYS`` element that says TAI, so a VO tool knows the scale; astropy reads it as a
      float column (``Time(t["time"], format="mjd", scale="tai")`` restores it).
      ``mag(AB)`` is written as ``mag``, the description saying so (a VOTable FIELD has no
      place for other meta). Masks of every type are kept. Column names such as
      ``r:psfFlux`` are not valid XML identifiers: read the file with
      ``Table.read(path, use_names_over_ids=True)`` to get them back. Table ``meta`` entries
      become ``INFO`` elements of the table (JSON text for a dictionary or list), which
      `astropy.io.votable.parse` shows and `~astropy.table.Table.read` does not.

    Parameters
    ----------
    lc : `~astropy.table.Table`
        A light curve, from `~astroquery_fink.FinkClass.get_lightcurve` or
        `~astroquery_fink.lightcurve.merge_lightcurve` (any table with the same kinds of
        columns works).
    path : str or `~pathlib.Path`
        The file to write.
    format : {"ecsv", "parquet", "fits", "votable"}, optional
        By default, taken from the end of ``path`` (see `EXPORT_FORMATS`).
    overwrite : bool
        Replace an existing file (otherwise an existing file raises `OSError`, as in astropy).

    Raises
    ------
    ValueError
        If the format is not one of the four, or cannot be told from ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from astropy.table import Table
    >>> from astroquery_fink.lightcurve import merge_lightcurve
    >>> from astroquery_fink.export import write_lightcurve
    >>> lc = merge_lightcurve(Table({"r:midpointMjdTai": [61001.0, 61000.0], "r:band": ["g", "r"],
    ...                              "r:psfFlux": [1000.0, -5.0], "r:psfFluxErr": [10.0, 2.0]}))
    >>> folder = tempfile.TemporaryDirectory()
    >>> write_lightcurve(lc, Path(folder.name) / "lc.fits")
    >>> back = Table.read(Path(folder.name) / "lc.fits", astropy_native=True)
    >>> back["time"].scale, back["mag"].unit, back["mag"].meta["astropy_unit"]
    ('tai', Unit("mag"), 'mag(AB)')
    >>> folder.cleanup()
    """
    chosen = _format(path, format)
    if chosen in ("ecsv", "parquet"):
        lc.write(path, format=chosen, overwrite=overwrite)
    elif chosen == "fits":
        _for_fits(lc).write(path, format="fits", overwrite=overwrite)
    else:
        _write_votable(*_for_votable(lc), path, overwrite)


def to_timeseries(lc):
    """
    The light curve as an `astropy.timeseries.TimeSeries`, whose time is the ``time`` column (TAI).

    Every other column is kept, in order, with its description and meta: with a unit as a
    `~astropy.units.Quantity` (a masked one where values are masked; ``mag`` becomes a masked
    `~astropy.units.Magnitude`, so ``ts["mag"].to(u.nJy)`` gives fluxes), without one as a
    column; ``meta`` is copied. ``TimeSeries(lc)`` and ``QTable(lc)`` would instead warn that
    they cannot make a quantity of the masked ``mag`` column, and again at every slice of the
    result. ``lc`` is not changed.

    Rows keep their order (oldest first in a light curve); a table of several objects gives
    one time series with their rows interleaved: split it first
    (``lc[lc["r:diaObjectId"] == id]``) for ``fold`` or ``aggregate_downsample``.

    Parameters
    ----------
    lc : `~astropy.table.Table`
        A light curve, with its ``time`` column (an `~astropy.time.Time`).

    Returns
    -------
    `~astropy.timeseries.TimeSeries`

    Raises
    ------
    ValueError
        If ``lc`` has no ``time`` column of times.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.table import Table
    >>> from astroquery_fink.lightcurve import merge_lightcurve
    >>> from astroquery_fink.export import to_timeseries
    >>> lc = merge_lightcurve(Table({"r:midpointMjdTai": [61001.0, 61000.0], "r:band": ["g", "r"],
    ...                              "r:psfFlux": [1000.0, -5.0] * u.nJy, "r:psfFluxErr": [10.0, 2.0] * u.nJy}))
    >>> ts = to_timeseries(lc)
    >>> ts.time.scale, ts["r:psfFlux"]
    ('tai', <Quantity [  -5., 1000.] nJy>)
    >>> ts["mag"], ts["mag"].to(u.nJy)
    (<MaskedMagnitude [ ———, 23.9] mag(AB)>, <MaskedQuantity [  ———, 1000.] nJy>)
    """
    from astropy.timeseries import TimeSeries  # only here: the module is not needed to write files

    if "time" not in lc.colnames or not isinstance(lc["time"], Time):
        raise ValueError("to_timeseries needs the light curve's 'time' column (an astropy Time), "
                         "as merge_lightcurve and Fink.get_lightcurve give.")
    series = TimeSeries(time=lc["time"], meta=lc.meta)  # astropy copies it, deeply
    _add_columns(series, lc, [name for name in lc.colnames if name != "time"])
    return series


def to_qtable(lc):
    """
    The light curve as a `~astropy.table.QTable`: columns with a unit become quantities.

    The same conversion as `to_timeseries` (a masked ``mag`` becomes a masked
    `~astropy.units.Magnitude`), with ``time`` kept where it is. ``lc`` is not changed.

    Parameters
    ----------
    lc : `~astropy.table.Table`

    Returns
    -------
    `~astropy.table.QTable`

    Examples
    --------
    >>> from astropy.table import Table
    >>> from astroquery_fink.lightcurve import merge_lightcurve
    >>> from astroquery_fink.export import to_qtable
    >>> lc = merge_lightcurve(Table({"r:midpointMjdTai": [61000.0], "r:band": ["g"],
    ...                              "r:psfFlux": [1000.0], "r:psfFluxErr": [10.0]}))
    >>> to_qtable(lc)["mag"]
    <MaskedMagnitude [23.9] mag(AB)>
    """
    table = QTable(meta=lc.meta)  # astropy copies it, deeply
    _add_columns(table, lc, lc.colnames)
    return table


def _add_columns(table, lc, names):
    """Add the columns ``names`` of ``lc`` to the QTable or TimeSeries ``table``: quantities where they have a unit."""
    for name in names:
        column = lc[name]
        if isinstance(column, MaskedColumn) and isinstance(column.unit, u.FunctionUnitBase):
            column = _masked_function_quantity(column)
        table.add_column(column, name=name, copy=True)


def _masked_function_quantity(column):
    """
    A masked column with a logarithmic unit (``mag(AB)``) as a masked `~astropy.units.Magnitude`.

    A QTable makes a masked quantity of a masked column with ``Masked(Quantity)``, which refuses
    logarithmic units: astropy then warns and keeps the column, and warns again at every slice
    of the table. ``Masked(Magnitude)`` holds them: made here, the table takes it as it is.
    """
    quantity = u.Quantity(np.asarray(column.data.data), column.unit, subok=True)  # a Magnitude for mag(AB)
    masked = Masked(quantity, mask=np.array(column.mask))
    for attribute in ("name", "description", "format"):
        setattr(masked.info, attribute, getattr(column.info, attribute))
    masked.info.meta = dict(column.meta)
    return masked


def _format(path, format):
    """The format to write: ``format`` when given, else the one named by the end of ``path``."""
    if format is not None:
        if format not in EXPORT_FORMATS:
            raise ValueError(f"format must be one of {sorted(EXPORT_FORMATS)}, got {format!r}.")
        return format
    name = str(path).lower()
    for candidate, endings in EXPORT_FORMATS.items():
        if name.endswith(endings):
            return candidate
    raise ValueError(f"cannot tell the format of {Path(path).name!r} from its name: give format= "
                     f"(one of {sorted(EXPORT_FORMATS)}), or end the name with one of "
                     f"{[ending for endings in EXPORT_FORMATS.values() for ending in endings]}.")


def _for_fits(lc):
    """A copy of ``lc`` that astropy writes to FITS without loss it could avoid, and without warnings."""
    table = Table(meta=_flat_meta(lc.meta, hierarch=True))
    for name in lc.colnames:
        column = lc[name]
        if isinstance(column, Time):
            # astropy writes a Time as a FITS time column (TCTYPn = 'TAI'), Julian date in two parts
            table.add_column(column.copy(), name=name)
            continue
        column = _with_writable_unit(column, "fits")
        if column.dtype.kind == "b" and isinstance(column, MaskedColumn) and column.mask.any():
            # FITS logicals have no null astropy reads as masked; integers have one (TNULLn)
            # (the null value, TNULLn, is the fill value: 255, never a 0 or 1 of the data)
            column = MaskedColumn(np.asarray(column.data.data, dtype=np.uint8), mask=column.mask, fill_value=255,
                                  name=name, unit=column.unit,
                                  description=_described(column, "Written as 0/1: FITS has no masked booleans."),
                                  meta=column.meta)
        table.add_column(column, name=name)
    return table


def _for_votable(lc):
    """A copy of ``lc`` with its times as MJD floats in TAI and units VOTable can write, and the names of
    the time columns."""
    table = Table(meta=lc.meta)
    times = []
    for name in lc.colnames:
        column = lc[name]
        if isinstance(column, Time):
            times.append(name)
            column = _time_as_mjd(column, name)
        else:
            column = _with_writable_unit(column, "vounit")
        table.add_column(column, name=name)
    return table, times


def _time_as_mjd(time, name):
    """A Time column as MJD floats in TAI (masked where the time is), for a VOTable FIELD."""
    mjd = time.tai.mjd
    mask = np.array(time.mask) if time.masked else np.zeros(np.shape(mjd), dtype=bool)
    values = np.array(getattr(mjd, "unmasked", mjd), dtype=float)
    return MaskedColumn(values, mask=mask, name=name, unit=u.day,
                        description=_described(time, f"MJD in the TAI time scale (TIMESYS {_TIMESYS_ID})."),
                        meta={"ucd": "time.epoch"})


def _with_writable_unit(column, unit_format):
    """
    ``column``, or a copy with a unit the format can write: a magnitude unit such as ``mag(AB)``
    becomes ``mag`` (the values do not change), the full unit kept in the column's meta.
    """
    unit = column.unit
    if unit is None or _writable(unit, unit_format):
        return column
    copy = column.copy()
    copy.meta = {**column.meta, _UNIT_KEY: unit.to_string()}
    if isinstance(unit, u.FunctionUnitBase) and _writable(unit.function_unit, unit_format):
        copy.unit = unit.function_unit
        copy.description = _described(column, f"Unit {unit.to_string()!r} in astropy, written as "
                                               f"{unit.function_unit.to_string()!r}.")
    else:
        copy.unit = None
        copy.description = _described(column, f"Unit {unit.to_string()!r} in astropy, not writable here.")
    return copy


def _writable(unit, unit_format):
    """Whether astropy can write ``unit`` in the unit syntax ``unit_format`` ("fits" or "vounit")."""
    try:
        unit.to_string(format=unit_format)
    except (ValueError, TypeError):
        return False
    return True


def _described(column, note):
    """The column's description followed by ``note``."""
    description = column.info.description
    return f"{description} {note}" if description else note


def _flat_meta(meta, hierarch=False):
    """
    ``meta`` with every value a FITS header or a VOTable INFO can hold: numbers, booleans and
    ASCII text stay; anything else (a dictionary, a list, ``None``, NaN, non-ASCII text) becomes
    its JSON text. With ``hierarch``, keys that are not FITS keywords (longer than 8
    characters, lower case) are marked HIERARCH: astropy would do it for long keys with a
    warning, and read short lower-case keys back in upper case.
    """
    flat = {}
    for key, value in meta.items():
        if key.lower() in ("comments", "history"):  # astropy writes these as COMMENT and HISTORY cards
            flat[key] = value
            continue
        if hierarch and not _FITS_KEYWORD.fullmatch(key):
            key = f"HIERARCH {key}"  # which also keeps the key's case: astropy reads it back as written
        flat[key] = value if _plain(value) else json.dumps(value, default=_json_default)
    return flat


def _plain(value):
    """Whether a FITS header keyword or a VOTable INFO value holds ``value`` as it is."""
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isfinite(value))  # a FITS header refuses NaN and infinities
    return isinstance(value, str) and value.isascii() and value.isprintable()


def _json_default(value):
    """JSON for the values json does not know: numpy scalars and arrays, and anything else as text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _write_votable(table, times, path, overwrite):
    """Write ``table`` as a VOTable 1.4 in BINARY2, the columns ``times`` in TAI (TIMESYS), meta as INFO elements."""
    from astropy.io.votable.tree import Info, TimeSys, VOTableFile

    if Path(path).exists() and not overwrite:
        raise OSError(f"File {path} already exists. If you mean to replace it then use the argument "
                      "overwrite=True.")
    with warnings.catch_warnings():
        # W03 says the FIELD ID of "r:psfFlux" is made from its name ("r_psfFlux"): an XML ID cannot
        # hold ':'; the name stays in the FIELD's name attribute, where use_names_over_ids reads it.
        warnings.simplefilter("ignore", W03)
        votable = VOTableFile.from_table(table)
        votable.version = "1.4"  # TIMESYS needs 1.4
        resource = votable.resources[0]
        element = resource.tables[0]
        if times:
            resource.time_systems.append(TimeSys(ID=_TIMESYS_ID, timeorigin="MJD-origin", timescale="TAI",
                                                 refposition="TOPOCENTER", config={"version_1_4_or_later": True}))
            for field in element.fields:
                if field.name in times:
                    field.ref = _TIMESYS_ID
        # an INFO takes its ID from its name unless given one, which a column may have already
        for number, (key, value) in enumerate(_flat_meta(table.meta).items()):
            element.infos.append(Info(ID=f"lightcurve_meta_{number}", name=str(key), value=str(value)))
    votable.to_xml(str(path), tabledata_format="binary2")
