"""Light curves: detections and forced photometry merged into one table with AB magnitudes, and their plot."""
import astropy.units as u
import numpy as np
from astropy.table import Column, MaskedColumn, Table
from astropy.time import Time

from .columns import column_info, missing_column, missing_values, type_kind
from .layout import leading_first

__all__ = [
    "SHARED_COLUMNS",
    "DETECTION_COLUMNS",
    "FORCED_COLUMNS",
    "BAND_COLORS",
    "BAND_MARKERS",
    "merge_lightcurve",
    "plot_lightcurve",
]

#: Columns a detection (``/api/v1/sources``) and a forced measurement (``/api/v1/fp``) share.
SHARED_COLUMNS = ("r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr", "r:ra", "r:dec")
#: What `~astroquery_fink.FinkClass.get_lightcurve` asks of ``/api/v1/sources``: the shared columns and the row's id.
DETECTION_COLUMNS = SHARED_COLUMNS + ("r:diaSourceId",)
#: What `~astroquery_fink.FinkClass.get_lightcurve` asks of ``/api/v1/fp``: the shared columns and the row's id.
FORCED_COLUMNS = SHARED_COLUMNS + ("r:diaForcedSourceId",)
# Without these there is no light curve; the other columns above are masked when an input lacks them.
_REQUIRED = ("r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr")
_DERIVED = ("time", "kind", "mag", "mag_err")
# The AB zero point in nJy (the API's flux unit), as astropy defines it for u.ABmag: 10**(-48.6 / 2.5)
# erg/s/cm2/Hz = 3630.78 Jy ("3631 Jy"), i.e. mag = 31.4 - 2.5 log10(flux / nJy) exactly, as in the
# Rubin pipelines. With it, lc["mag"].quantity.to(u.nJy) gives the flux back.
_AB_ZERO_POINT_NJY = (0 * u.ABmag).to_value(u.nJy)
_MAG_ERR_FACTOR = 2.5 / np.log(10)

#: Band colours of the Rubin plot style guide for a white background (RTN-045), used by `plot_lightcurve`.
BAND_COLORS = {"u": "#1600ea", "g": "#31de1f", "r": "#b52626", "i": "#370201", "z": "#ba52ff", "y": "#61a2b3"}
#: Band symbols of RTN-045, so that bands stay apart without colour vision.
BAND_MARKERS = {"u": "o", "g": "^", "r": "s", "i": "D", "z": "v", "y": "X"}
_OTHER_BAND_COLOR, _OTHER_BAND_MARKER = "0.4", "o"
_KINDS = ("detection", "forced")
_PLOT_EXTRA = 'plot_lightcurve needs matplotlib, an optional dependency: pip install "astroquery-fink[plot]"'


def merge_lightcurve(sources, forced=None):
    """
    Merge detections and forced photometry into one light curve, with times and AB magnitudes.

    Each row is one flux measurement; ``kind`` says which input it comes from. The result has,
    in this order:

    - ``r:diaObjectId``, ``time`` (an `~astropy.time.Time`, scale TAI, format MJD, from
      ``r:midpointMjdTai``), ``r:band``, ``kind`` (``"detection"`` or ``"forced"``);
    - ``r:psfFlux``, ``r:psfFluxErr`` (nJy, difference-image fluxes) and ``mag``, ``mag_err``:
      AB magnitude of ``r:psfFlux``, ``-2.5 log10(flux / 3631 Jy)`` = ``31.4 - 2.5 log10(flux / nJy)``
      (unit ``u.ABmag``), and its error ``2.5 / ln(10) * r:psfFluxErr / r:psfFlux`` (``u.mag``),
      masked where the flux is not positive or is missing;
    - ``r:diaSourceId`` (masked in forced rows), ``r:diaForcedSourceId`` (masked in detection
      rows), ``r:midpointMjdTai``, ``r:ra``, ``r:dec``;
    - then any other column of the inputs, masked in the rows of the input that lacks it.

    Rows are sorted by time, oldest first (the server sends the newest first); a detection and
    a forced measurement of the same exposure keep that order. Units, descriptions, UCDs and
    masks of the inputs are kept; when the two endpoints describe a shared column differently
    (``r:ra`` is the detection's centroid, but the object's position in forced photometry),
    the description gives both.

    Parameters
    ----------
    sources : `~astropy.table.Table`
        Detections: rows of ``/api/v1/sources`` (`~astroquery_fink.FinkClass.query_sources`). It needs
        ``r:midpointMjdTai``, ``r:band``, ``r:psfFlux`` and ``r:psfFluxErr``; the other columns
        of `DETECTION_COLUMNS` are masked when absent. A flux without unit is taken as nJy.
    forced : `~astropy.table.Table`, optional
        Forced photometry: rows of ``/api/v1/fp`` (`~astroquery_fink.FinkClass.query_forced_photometry`), with
        the same needs. Without it the result has detections only, and the same leading columns.

    Returns
    -------
    `~astropy.table.Table`
        The light curve. ``meta["detections"]`` and ``meta["forced"]`` hold the inputs' meta
        (endpoint, URL, query). ``lc.group_by("r:band")`` splits it by band.

    Raises
    ------
    ValueError
        If an input lacks a needed column, or forced photometry is given as ``sources``.
    astropy.units.UnitConversionError
        If a flux column has a unit that is not a spectral flux density.

    Notes
    -----
    ``r:psfFlux`` is measured on the difference image: its magnitude is that of the change of
    brightness since the template, not of the total brightness, and does not exist when the
    source is fainter than in the template (negative flux). ``mag(AB)`` is no FITS or VOUnit
    unit: writing the table to FITS or VOTable warns and stores the magnitudes without it
    (ECSV and Parquet keep it).

    Examples
    --------
    >>> from astropy.table import Table
    >>> from astroquery_fink.lightcurve import merge_lightcurve
    >>> detections = Table({"r:midpointMjdTai": [61001.0, 61000.0], "r:band": ["g", "r"],
    ...                     "r:psfFlux": [1000.0, -5.0], "r:psfFluxErr": [10.0, 2.0]})
    >>> lc = merge_lightcurve(detections)
    >>> lc["r:band"].tolist(), lc["kind"].tolist()  # oldest first
    (['r', 'g'], ['detection', 'detection'])
    >>> lc["mag"].unit, lc["mag"].tolist()  # no magnitude for a negative flux
    (Unit("mag(AB)"), [None, 23.9])
    >>> lc["time"].scale, lc["time"].format
    ('tai', 'mjd')
    """
    _check_inputs(sources, forced)
    parts = [_part(sources, "sources", "detection", DETECTION_COLUMNS)]
    if forced is not None:
        parts.append(_part(forced, "fp", "forced", FORCED_COLUMNS))
    names = _column_order(parts)
    table = Table([_stack(name, parts) for name in names], copy=False)
    if "r:diaForcedSourceId" not in table.colnames:  # without forced photometry, the same columns still
        table.add_column(_absent_column("fp", "r:diaForcedSourceId", len(table)))
    table.add_column(_time_column(table["r:midpointMjdTai"]), name="time")
    mag, mag_err = _magnitude_columns(table["r:psfFlux"], table["r:psfFluxErr"])
    table.add_columns([mag, mag_err])
    # the leading columns of every light curve (astroquery_fink.layout), then the inputs' others
    table = table[leading_first(table.colnames, "lightcurve")]
    table.meta["detections"] = dict(sources.meta)
    if forced is not None:
        table.meta["forced"] = dict(forced.meta)
    return table[_time_order(table["r:midpointMjdTai"])]


def _check_inputs(sources, forced):
    """Refuse inputs that cannot be merged, before any work."""
    for argument, table in (("sources", sources), ("forced", forced)):
        if table is None:
            continue
        if not isinstance(table, Table):
            raise ValueError(f"{argument} must be an astropy Table, got {type(table).__name__}.")
        clash = [name for name in _DERIVED if name in table.colnames]
        if clash:
            raise ValueError(f"{argument} already has the column(s) {clash} that merge_lightcurve computes.")
        missing = [name for name in _REQUIRED if name not in table.colnames]
        if missing:
            raise ValueError(f"{argument} lacks the column(s) {missing}; a light curve needs {list(_REQUIRED)}.")
    if "r:diaForcedSourceId" in sources.colnames and "r:diaSourceId" not in sources.colnames:
        raise ValueError("sources looks like forced photometry (it has r:diaForcedSourceId): pass it as forced=.")


def _part(table, endpoint, kind, core):
    """
    One input as a table with all its ``core`` columns (absent ones masked, typed from the
    column map of ``endpoint``) and a ``kind`` column; a new table, the input is untouched.
    """
    part = Table(table, copy=False)
    length = len(part)
    for name in core:
        if name not in part.colnames:
            part.add_column(_absent_column(endpoint, name, length))
    part["kind"] = Column(np.full(length, kind, dtype="<U9"), description=(
        "Origin of the row: 'detection' (/api/v1/sources, an alert) or 'forced' (/api/v1/fp, "
        "forced photometry at the object position)."))
    return part


def _absent_column(endpoint, name, length):
    """A fully masked column, with the type, unit and description the column map gives ``name``."""
    info = column_info(endpoint, name)
    return missing_column(name, type_kind(info.type), length, unit=info.unit, description=info.description,
                          meta={"ucd": info.ucd} if info.ucd else None)


def _column_order(parts):
    """Every column name of the parts, each once, in the order the parts list them."""
    return list(dict.fromkeys(name for part in parts for name in part.colnames))


def _stack(name, parts):
    """
    The column ``name`` of every part, one after the other, masked where a part lacks it. As in
    the API's tables, a column is a `~astropy.table.MaskedColumn` when it has a masked value;
    the two row ids always are (each is missing from the rows of the other kind).
    """
    present = [part[name] for part in parts if name in part.colnames]
    dtype = np.result_type(*[column.dtype for column in present])
    pieces = [np.ma.asarray(part[name]) if name in part.colnames else missing_values(dtype, len(part))
              for part in parts]
    data = np.ma.concatenate(pieces).astype(dtype)
    mask = np.ma.getmaskarray(data)
    attributes = {"name": name, "unit": _first(column.unit for column in present),
                  "description": _description(parts, name),
                  # the detections' UCD wins when both have one; forced photometry fills the gaps
                  "meta": {key: value for column in reversed(present) for key, value in column.meta.items()}}
    if mask.any() or name in ("r:diaSourceId", "r:diaForcedSourceId"):
        return MaskedColumn(data.data, mask=mask, **attributes)
    return Column(data.data, **attributes)


def _first(values):
    """The first value that is not `None`, else `None`."""
    return next((value for value in values if value is not None), None)


def _description(parts, name):
    """The description of ``name``, or both when detections and forced photometry differ."""
    described = {}
    for part, label in zip(parts, ("Detections", "Forced photometry"), strict=False):
        if name in part.colnames and part[name].description:
            described.setdefault(part[name].description, label)
    if len(described) <= 1:
        return next(iter(described), None)
    return " ".join(f"{label}: {text}" for text, label in described.items())


def _time_column(mjd):
    """An `~astropy.time.Time` (TAI, MJD) of the exposure mid-points; masked only where a time is."""
    values = np.ma.asarray(mjd, dtype=float)
    if not np.ma.is_masked(values):
        values = values.filled(np.nan)
    time = Time(values, format="mjd", scale="tai")
    time.info.description = "Mid-exposure time (TAI), from r:midpointMjdTai."
    return time


def _magnitude_columns(flux, flux_err):
    """``mag`` and ``mag_err`` columns from fluxes in nJy (the unit assumed when a column has none)."""
    values = _as_njy(flux)
    errors = _as_njy(flux_err)
    # Only positive, known fluxes have a magnitude; the others never reach log10 (no warning).
    good = ~np.ma.getmaskarray(flux) & np.isfinite(values) & (np.nan_to_num(values, nan=-1.0) > 0)
    mag = np.full(len(values), np.nan)
    mag[good] = -2.5 * np.log10(values[good] / _AB_ZERO_POINT_NJY)
    good_err = good & ~np.ma.getmaskarray(flux_err) & np.isfinite(errors)
    mag_err = np.full(len(values), np.nan)
    mag_err[good_err] = _MAG_ERR_FACTOR * errors[good_err] / values[good_err]
    return (
        MaskedColumn(mag, name="mag", mask=~good, unit=u.ABmag,
                     description="AB magnitude of r:psfFlux, -2.5 log10(r:psfFlux / 3631 Jy) (of the "
                                 "difference-image flux); masked where the flux is not positive or missing.",
                     meta={"ucd": "phot.mag"}),
        MaskedColumn(mag_err, name="mag_err", mask=~good_err, unit=u.mag,
                     description="Error on mag, 2.5 / ln(10) * r:psfFluxErr / r:psfFlux; masked with mag "
                                 "or where the flux error is missing.",
                     meta={"ucd": "stat.error;phot.mag"}),
    )


def _as_njy(column):
    """The values of a flux column in nJy, as floats with NaN where masked."""
    values = np.ma.filled(np.ma.asarray(column, dtype=float), np.nan)
    if column.unit is None:
        return values
    return (values * column.unit).to_value(u.nJy)


def _time_order(mjd):
    """Row order by time, oldest first, stable (a detection stays before the forced point of its
    exposure); rows without a time go last."""
    values = np.ma.filled(np.ma.asarray(mjd, dtype=float), np.inf)
    return np.argsort(np.nan_to_num(values, nan=np.inf), kind="stable")


def plot_lightcurve(table, ax=None, *, y="flux", bands=None):
    """
    Draw a light curve from `merge_lightcurve` (or `~astroquery_fink.FinkClass.get_lightcurve`) with matplotlib.

    One colour and symbol per band (the Rubin style guide's, `BAND_COLORS` and
    `BAND_MARKERS`), error bars, detections as filled markers and forced photometry as small
    open, translucent ones; time in MJD (TAI) on x. One errorbar container per band and kind,
    labelled ``"<band> detection"`` or ``"<band> forced"``.

    Parameters
    ----------
    table : `~astropy.table.Table`
        A light curve of one object, from `merge_lightcurve`.
    ax : `matplotlib.axes.Axes`, optional
        Where to draw; the current axes (``plt.gca()``) by default.
    y : {"flux", "mag"}
        Draw ``r:psfFlux`` (nJy, with a line at zero) or the AB magnitude ``mag`` (axis
        inverted, bright up; points without a magnitude, i.e. with a flux ≤ 0, are left out).
    bands : str or list of str, optional
        Bands to draw, e.g. ``"gri"``; all by default.

    Returns
    -------
    `matplotlib.axes.Axes`

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "astroquery-fink[plot]"``).
    ValueError
        If ``y`` is not ``"flux"`` or ``"mag"``, the table is not a merged light curve, or it
        holds several objects.

    Examples
    --------
    >>> from astroquery_fink import Fink
    >>> from astroquery_fink.lightcurve import plot_lightcurve
    >>> lc = Fink.get_lightcurve(313761043604045880)  # doctest: +REMOTE_DATA
    >>> ax = plot_lightcurve(lc, y="mag")  # doctest: +REMOTE_DATA +SKIP
    """
    plt = _pyplot()
    _check_plottable(table, y)
    ax = plt.gca() if ax is None else ax
    for band in _bands_to_draw(table, bands):
        for kind in _KINDS:
            x, values, errors = _points(table, band, kind, y)
            if len(x):
                ax.errorbar(x, values, yerr=errors, label=f"{band} {kind}", **_style(band, kind))
    _dress_axes(ax, table, y)
    return ax


def _pyplot():
    """matplotlib.pyplot, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(_PLOT_EXTRA) from error
    return plt


def _check_plottable(table, y):
    """Refuse what plot_lightcurve cannot draw, with the way out."""
    if y not in ("flux", "mag"):
        raise ValueError(f"y must be 'flux' or 'mag', got {y!r}.")
    if "kind" not in getattr(table, "colnames", ()):
        raise ValueError("plot_lightcurve draws the table of merge_lightcurve() or Fink.get_lightcurve().")
    objects = np.unique(np.ma.compressed(np.ma.asarray(table["r:diaObjectId"])))
    if len(objects) > 1:
        raise ValueError(f"the table holds {len(objects)} objects; plot one at a time, e.g. "
                         f"table[table['r:diaObjectId'] == {objects[0]}].")


def _bands_to_draw(table, bands):
    """The bands to draw, in ugrizy order then any other in alphabetical order."""
    present = set(np.ma.compressed(np.ma.asarray(table["r:band"])).tolist())
    wanted = present if bands is None else set(bands) & present
    return sorted(wanted, key=lambda band: ("ugrizy".find(band) if band in BAND_COLORS else 6, band))


def _points(table, band, kind, y):
    """x (MJD, TAI), y and y errors of the rows of one band and kind that have a time and a value of ``y``."""
    value_name, error_name = ("r:psfFlux", "r:psfFluxErr") if y == "flux" else ("mag", "mag_err")
    values = np.ma.asarray(table[value_name], dtype=float)
    mjd = np.ma.asarray(table["r:midpointMjdTai"], dtype=float)
    rows = ((np.ma.filled(np.ma.asarray(table["r:band"]), "") == band) & (np.asarray(table["kind"]) == kind)
            & ~np.ma.getmaskarray(values) & ~np.ma.getmaskarray(mjd))
    errors = np.ma.filled(np.ma.asarray(table[error_name], dtype=float)[rows], np.nan)
    return mjd[rows].filled(np.nan), values[rows].filled(np.nan), errors


def _style(band, kind):
    """errorbar keywords: the band's colour and symbol, filled for detections, small and open for forced points."""
    color = BAND_COLORS.get(band, _OTHER_BAND_COLOR)
    style = {"color": color, "marker": BAND_MARKERS.get(band, _OTHER_BAND_MARKER), "linestyle": "none"}
    if kind == "detection":
        return {**style, "markersize": 6, "elinewidth": 1.0, "zorder": 3}
    return {**style, "markersize": 4, "markerfacecolor": "none", "elinewidth": 0.6, "alpha": 0.5, "zorder": 2}


def _dress_axes(ax, table, y):
    """Axis labels, the magnitude axis bright side up, the zero-flux line, a title and the legend."""
    ax.set_xlabel("MJD (TAI) [d]")
    if y == "mag":
        ax.set_ylabel("AB magnitude of the difference flux [mag]")
        if not ax.yaxis_inverted():  # invert once, even when drawing twice on the same axes
            ax.invert_yaxis()
    else:
        ax.set_ylabel(f"PSF difference flux [{table['r:psfFlux'].unit or u.nJy}]")
        ax.axhline(0.0, color="0.75", linewidth=0.8, zorder=1)
    objects = np.ma.compressed(np.ma.asarray(table["r:diaObjectId"]))
    if len(objects) and not ax.get_title():
        ax.set_title(f"diaObject {objects[0]}")
    if ax.get_legend_handles_labels()[0]:  # matplotlib warns about a legend without entries
        ax.legend(fontsize="small", ncols=2)
