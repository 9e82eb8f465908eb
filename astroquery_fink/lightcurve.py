"""Light curves: detections and forced photometry merged into one table with AB magnitudes, and their plot."""
import astropy.units as u
import numpy as np
from astropy.table import Column, MaskedColumn, Table
from astropy.time import Time

from .columns import column_info, missing_column, missing_values, type_kind
from .layout import leading_first

__all__ = [
    "FLUX_COLUMNS",
    "ENDPOINT_FLUXES",
    "DEFAULT_LIMIT_SIGMA",
    "QUALITY_COLUMNS",
    "SHARED_COLUMNS",
    "DETECTION_COLUMNS",
    "FORCED_COLUMNS",
    "BAND_COLORS",
    "BAND_MARKERS",
    "merge_lightcurve",
    "plot_lightcurve",
]

#: The fluxes a light curve can be built from, named as on Fink's portal, and Rubin's columns for
#: them: ``psfFlux`` is the PSF flux on the difference image (science minus template), ``scienceFlux``
#: the PSF flux forced on the science (direct) image, ``templateFlux`` the one forced on the template.
FLUX_COLUMNS = {
    "difference": ("r:psfFlux", "r:psfFluxErr"),
    "science": ("r:scienceFlux", "r:scienceFluxErr"),
    "template": ("r:templateFlux", "r:templateFluxErr"),
}
#: The fluxes each endpoint measures: Rubin's DiaForcedSource has no template flux.
ENDPOINT_FLUXES = {"sources": ("difference", "science", "template"), "fp": ("difference", "science")}
#: Rubin's detection threshold: a forced flux below 5 sigma is an upper limit by default.
DEFAULT_LIMIT_SIGMA = 5.0
#: Quality columns of a detection, carried by every light curve (masked in forced rows: /api/v1/fp
#: has none of them): the real/bogus score, the signal-to-noise of the detection and the four pixel
#: flags Fink's portal shows as badges (bad pixel, cosmic ray, saturated centre, streak centre).
QUALITY_COLUMNS = ("r:reliability", "r:snr", "r:pixelFlags_bad", "r:pixelFlags_cr", "r:pixelFlags_saturatedCenter",
                   "r:pixelFlags_streakCenter")
_WITHDRAWN = "r:timeWithdrawnMjdTai"
#: Columns a detection (``/api/v1/sources``) and a forced measurement (``/api/v1/fp``) share. The time
#: a measurement was withdrawn by Rubin (null when it stands) lets `merge_lightcurve` drop it.
SHARED_COLUMNS = ("r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr", "r:ra", "r:dec",
                  _WITHDRAWN)
#: What `~astroquery_fink.FinkClass.get_lightcurve` asks of ``/api/v1/sources`` (with the flux chosen,
#: when not the difference one): the shared columns, the row's id and the quality columns.
DETECTION_COLUMNS = SHARED_COLUMNS + ("r:diaSourceId",) + QUALITY_COLUMNS
#: What `~astroquery_fink.FinkClass.get_lightcurve` asks of ``/api/v1/fp`` (with the flux chosen, when
#: not the difference one): the shared columns and the row's id.
FORCED_COLUMNS = SHARED_COLUMNS + ("r:diaForcedSourceId",)
# Without these there is no light curve (with the chosen flux and its error); the other columns
# above are masked when an input lacks them.
_REQUIRED = ("r:midpointMjdTai", "r:band")
_DERIVED = ("time", "kind", "mag", "mag_err", "upper_limit", "mag_limit", "withdrawn")
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


def merge_lightcurve(sources, forced=None, *, flux="difference", limit_sigma=DEFAULT_LIMIT_SIGMA,
                     keep_withdrawn=False, min_reliability=None):
    """
    Merge detections and forced photometry into one light curve, with times, AB magnitudes and upper limits.

    Each row is one flux measurement; ``kind`` says which input it comes from. The result has,
    in this order:

    - ``r:diaObjectId``, ``time`` (an `~astropy.time.Time`, scale TAI, format MJD, from
      ``r:midpointMjdTai``), ``r:band``, ``kind`` (``"detection"`` or ``"forced"``);
    - the chosen flux and its error (nJy; ``r:psfFlux`` and ``r:psfFluxErr`` by default, see
      ``flux``), then ``mag``, ``mag_err``: the AB magnitude of that flux,
      ``-2.5 log10(flux / 3631 Jy)`` = ``31.4 - 2.5 log10(flux / nJy)`` (unit ``u.ABmag``), and
      its error ``2.5 / ln(10) * error / flux`` (``u.mag``), masked where the flux is not
      positive or missing, and in upper-limit rows;
    - ``upper_limit`` (bool) and ``mag_limit`` (``u.ABmag``, masked where ``upper_limit`` is
      False): see Notes;
    - ``r:psfFlux``, ``r:psfFluxErr`` when another flux was chosen; ``r:diaSourceId`` (masked in
      forced rows), ``r:diaForcedSourceId`` (masked in detection rows), ``r:midpointMjdTai``,
      ``r:ra``, ``r:dec``;
    - the quality columns `QUALITY_COLUMNS` (``r:reliability``, ``r:snr`` and four pixel flags;
      masked in forced rows, which have none), ``withdrawn`` (with ``keep_withdrawn=True`` only)
      and ``r:timeWithdrawnMjdTai``;
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
        ``r:midpointMjdTai``, ``r:band`` and the chosen flux with its error; the other columns
        of `DETECTION_COLUMNS` are masked when absent. A flux without unit is taken as nJy.
    forced : `~astropy.table.Table`, optional
        Forced photometry: rows of ``/api/v1/fp`` (`~astroquery_fink.FinkClass.query_forced_photometry`), with
        the same needs. Without it the result has detections only, and the same leading columns.
    flux : {"difference", "science", "template"}
        The flux the magnitudes and limits are computed from, named as on Fink's portal:
        ``"difference"`` (default), Rubin's ``psfFlux``, the PSF flux on the difference image,
        i.e. the change of brightness since the template; ``"science"``, ``scienceFlux``, the PSF
        flux forced on the science image, i.e. the total brightness at that position (host
        galaxy included); ``"template"``, ``templateFlux``, forced on the template image
        (detections only: Rubin's forced photometry has no template flux, so ``forced`` must be
        left out). See Notes for why the default is not the portal's.
    limit_sigma : float
        N of the upper limits: a forced flux below N times its error is an upper limit. Rubin's
        detection threshold, 5, by default.
    keep_withdrawn : bool
        Keep the rows Rubin withdrew (``r:timeWithdrawnMjdTai`` set), flagged by a ``withdrawn``
        column. By default they are dropped, and counted in ``meta["dropped"]["withdrawn"]``.
    min_reliability : float, optional
        Drop the detections whose ``r:reliability`` (Rubin's real/bogus score, 0 to 1) is below
        this value or unknown; they are counted in ``meta["dropped"]["low_reliability"]``. Forced
        rows are kept: forced photometry has no reliability (it measures a position, whatever is
        there). Fink advises not to trust ``reliability`` blindly yet (see the light-curve page
        of the documentation).

    Returns
    -------
    `~astropy.table.Table`
        The light curve. ``meta["detections"]`` and ``meta["forced"]`` hold the inputs' meta
        (endpoint, URL, query); ``meta["flux"]`` the flux chosen and ``meta["flux_columns"]`` its
        two columns; ``meta["limit_sigma"]``, ``meta["min_reliability"]``; ``meta["dropped"]``
        the number of rows left out, by reason (``"withdrawn"``, ``"low_reliability"``).
        ``lc.group_by("r:band")`` splits it by band.

    Raises
    ------
    ValueError
        If an input lacks a needed column (forced photometry with ``flux="template"``), forced
        photometry is given as ``sources``, an option is out of range, or ``min_reliability`` is
        given and the detections have no ``r:reliability``.
    astropy.units.UnitConversionError
        If a flux column has a unit that is not a spectral flux density.

    Notes
    -----
    **Which flux.** The difference flux is what Rubin detects and alerts on: it measures the
    transient alone, without its host galaxy, and it is what classifiers and the forced
    photometry of other surveys (ZTF, ATLAS) give; it is the default, as in earlier versions.
    Its magnitude is that of the change of brightness since the template and does not exist
    when the source is fainter than in the template (negative flux). Fink's portal shows
    science-image magnitudes by default, of the detections only: ``flux="science"`` with the
    detections alone gives its numbers. Use the science flux for the total brightness of a
    variable star or an AGN; around a galaxy it includes the galaxy's light. The difference
    flux is not the science flux minus the template flux (the images are matched before
    subtraction), and a detection's science flux is measured at the detection's position, a
    forced one at the object's.

    **Upper limits.** Rubin's alerts carry no limits for the nights an object was not
    detected; forced photometry measures the object's position in every image, so a forced
    row whose chosen flux ``f`` is below ``N`` times its error ``σ`` (``f < N·σ``, negative fluxes
    included; ``N = limit_sigma``) is an upper limit: ``upper_limit`` is True, ``mag`` and
    ``mag_err`` are masked, and ``mag_limit`` holds the N-sigma limiting magnitude
    ``-2.5 log10(N·σ / 3631 Jy)`` = ``31.4 - 2.5 log10(N·σ / nJy)``. Detections are never limits
    (Rubin found them at 5 sigma or more on the difference image), nor are rows whose flux or
    error is missing (``upper_limit`` False, ``mag_limit`` masked).

    **Withdrawn rows.** Rubin may withdraw a measurement after sending it (a reprocessing found
    it wrong); the row then has ``r:timeWithdrawnMjdTai``. An input without that column has no
    withdrawn row.

    ECSV and Parquet keep the whole table (``lc.write``). FITS and VOTable have no unit for AB
    magnitudes, and astropy's VOTable writer takes no time column: write those formats with
    `~astroquery_fink.export.write_lightcurve`, which converts what they cannot hold.

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

    A forced flux below 5 sigma is an upper limit at the magnitude of 5 sigma:

    >>> forced = Table({"r:midpointMjdTai": [61002.0], "r:band": ["g"],
    ...                 "r:psfFlux": [30.0], "r:psfFluxErr": [10.0]})
    >>> lc = merge_lightcurve(detections, forced)
    >>> lc["upper_limit"].tolist(), lc["mag_limit"].tolist()  # 31.4 - 2.5 log10(50)
    ([False, False, True], [None, None, 27.15257498915995])
    """
    problem = lightcurve_option_error(flux, limit_sigma, min_reliability)
    if problem:
        raise ValueError(problem)
    _check_inputs(sources, forced, flux, min_reliability)
    table = _stacked(sources, forced, FLUX_COLUMNS[flux])
    table.add_column(_time_column(table["r:midpointMjdTai"]), name="time")
    _add_photometry(table, flux, float(limit_sigma))
    withdrawn = _withdrawn_rows(table)
    low_reliability = _low_reliability_rows(table, min_reliability)
    if keep_withdrawn:
        table["withdrawn"] = Column(withdrawn, meta={"ucd": "meta.code.qual"}, description=(
            "True where Rubin withdrew the measurement (r:timeWithdrawnMjdTai is set): do not use it."))
    table = table[_lightcurve_order(table.colnames, flux)]
    table.meta["detections"] = dict(sources.meta)
    if forced is not None:
        table.meta["forced"] = dict(forced.meta)
    table.meta.update({
        "flux": flux, "flux_columns": list(FLUX_COLUMNS[flux]), "limit_sigma": float(limit_sigma),
        "min_reliability": min_reliability,
        "dropped": {"withdrawn": 0 if keep_withdrawn else int(withdrawn.sum()),
                    "low_reliability": int(low_reliability.sum())},
    })
    drop = low_reliability | (withdrawn & (not keep_withdrawn))
    order = _time_order(table["r:midpointMjdTai"])
    return table[order[~drop[order]]]


def lightcurve_option_error(flux, limit_sigma, min_reliability, forced=False):
    """
    What is wrong with the light-curve options, as a sentence, or `None` when nothing is.

    `merge_lightcurve` raises it as a `ValueError`, `~astroquery_fink.FinkClass.get_lightcurve`
    as an `~astroquery.exceptions.InvalidQueryError` before any request. ``forced`` says
    whether forced photometry is asked for too (it has no template flux).

    Examples
    --------
    >>> from astroquery_fink.lightcurve import lightcurve_option_error
    >>> lightcurve_option_error("science", 5, None) is None
    True
    >>> lightcurve_option_error("template", 5, None, forced=True)  # doctest: +ELLIPSIS
    "flux='template' cannot be used with forced photometry: ... (forced=False)."
    """
    if not isinstance(flux, str) or flux not in FLUX_COLUMNS:
        return f"flux must be one of {list(FLUX_COLUMNS)}, got {flux!r}."
    if not _is_number(limit_sigma) or not np.isfinite(limit_sigma) or limit_sigma <= 0:
        return f"limit_sigma must be a positive number (Rubin's threshold is 5), got {limit_sigma!r}."
    if min_reliability is not None and not (_is_number(min_reliability) and 0 <= min_reliability <= 1):
        return f"min_reliability must be a number from 0 to 1, or None, got {min_reliability!r}."
    if forced and flux not in ENDPOINT_FLUXES["fp"]:
        return (f"flux={flux!r} cannot be used with forced photometry: Rubin's forced photometry (/api/v1/fp) "
                f"measures no {flux} flux; ask for the detections alone (forced=False).")
    return None


def _is_number(value):
    """True for an int or a float (NumPy's too), not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _check_inputs(sources, forced, flux, min_reliability):
    """Refuse inputs that cannot be merged, before any work."""
    needed = _REQUIRED + FLUX_COLUMNS[flux]
    for argument, table in (("sources", sources), ("forced", forced)):
        if table is None:
            continue
        if not isinstance(table, Table):
            raise ValueError(f"{argument} must be an astropy Table, got {type(table).__name__}.")
        clash = [name for name in _DERIVED if name in table.colnames]
        if clash:
            raise ValueError(f"{argument} already has the column(s) {clash} that merge_lightcurve computes.")
        missing = [name for name in needed if name not in table.colnames]
        if missing:
            why = ""
            if argument == "forced" and flux not in ENDPOINT_FLUXES["fp"]:
                why = (f" Rubin's forced photometry (/api/v1/fp) measures no {flux} flux: merge the detections "
                       "alone (forced=None).")
            raise ValueError(f"{argument} lacks the column(s) {missing}; a light curve of the {flux} flux needs "
                             f"{list(needed)}.{why}")
    if "r:diaForcedSourceId" in sources.colnames and "r:diaSourceId" not in sources.colnames:
        raise ValueError("sources looks like forced photometry (it has r:diaForcedSourceId): pass it as forced=.")
    if min_reliability is not None and "r:reliability" not in sources.colnames:
        raise ValueError("min_reliability needs the detections' r:reliability column, which sources lacks.")


def _stacked(sources, forced, flux_columns):
    """The rows of both inputs in one table (input order), with every light-curve column, absent ones masked."""
    parts = [_part(sources, "sources", "detection", DETECTION_COLUMNS + flux_columns)]
    if forced is not None:
        parts.append(_part(forced, "fp", "forced", FORCED_COLUMNS + flux_columns))
    table = Table([_stack(name, parts) for name in _column_order(parts)], copy=False)
    if "r:diaForcedSourceId" not in table.colnames:  # without forced photometry, the same columns still
        table.add_column(_absent_column("fp", "r:diaForcedSourceId", len(table)))
    return table


def _add_photometry(table, flux, limit_sigma):
    """Add ``mag``, ``mag_err``, ``upper_limit`` and ``mag_limit``, from the chosen flux and its error."""
    value, error = table[FLUX_COLUMNS[flux][0]], table[FLUX_COLUMNS[flux][1]]
    limit = _upper_limits(table, value, error, limit_sigma)
    table.add_columns(_magnitude_columns(value, error, limit, flux))
    table.add_columns(_limit_columns(error, limit, limit_sigma, flux))


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


def _upper_limits(table, flux, flux_err, limit_sigma):
    """True for the forced rows whose flux is known and below ``limit_sigma`` times its (known, positive) error."""
    values, errors = _as_njy(flux), _as_njy(flux_err)
    known = np.isfinite(values) & np.isfinite(errors) & (np.nan_to_num(errors, nan=0.0) > 0)
    below = np.nan_to_num(values, nan=np.inf) < limit_sigma * np.nan_to_num(errors, nan=0.0)
    return (np.asarray(table["kind"]) == "forced") & known & below


def _magnitude_columns(flux, flux_err, limit, flux_kind):
    """``mag`` and ``mag_err`` of the positive, known fluxes (in nJy when a column has no unit) that are no limits."""
    values = _as_njy(flux)
    errors = _as_njy(flux_err)
    # Only positive, known fluxes have a magnitude; the others never reach log10 (no warning).
    good = np.isfinite(values) & (np.nan_to_num(values, nan=-1.0) > 0) & ~limit
    mag = np.full(len(values), np.nan)
    mag[good] = -2.5 * np.log10(values[good] / _AB_ZERO_POINT_NJY)
    good_err = good & np.isfinite(errors)
    mag_err = np.full(len(values), np.nan)
    mag_err[good_err] = _MAG_ERR_FACTOR * errors[good_err] / values[good_err]
    name, error_name = flux.name, flux_err.name
    return (
        MaskedColumn(mag, name="mag", mask=~good, unit=u.ABmag,
                     description=f"AB magnitude of {name} (the {flux_kind} flux), -2.5 log10({name} / 3631 Jy); "
                                 "masked where the flux is not positive or missing, and in upper-limit rows.",
                     meta={"ucd": "phot.mag"}),
        MaskedColumn(mag_err, name="mag_err", mask=~good_err, unit=u.mag,
                     description=f"Error on mag, 2.5 / ln(10) * {error_name} / {name}; masked with mag "
                                 "or where the flux error is missing.",
                     meta={"ucd": "stat.error;phot.mag"}),
    )


def _limit_columns(flux_err, limit, limit_sigma, flux_kind):
    """``upper_limit`` and ``mag_limit``, the N-sigma limiting AB magnitude of the upper-limit rows."""
    errors = _as_njy(flux_err)
    mag_limit = np.full(len(errors), np.nan)
    mag_limit[limit] = -2.5 * np.log10(limit_sigma * errors[limit] / _AB_ZERO_POINT_NJY)
    sigma = f"{limit_sigma:g}"
    return (
        Column(limit, name="upper_limit", description=(
            f"True for a forced measurement whose {flux_kind} flux is below {sigma} times its error "
            f"({flux_err.name}): no detection, see mag_limit. Detections are never upper limits."),
               meta={"ucd": "meta.code.qual"}),
        MaskedColumn(mag_limit, name="mag_limit", mask=~limit, unit=u.ABmag, description=(
            f"{sigma}-sigma limiting AB magnitude of an upper limit, -2.5 log10({sigma} * {flux_err.name} / "
            "3631 Jy); masked where upper_limit is False."), meta={"ucd": "phot.mag;stat.max"}),
    )


def _withdrawn_rows(table):
    """True where Rubin withdrew the measurement: r:timeWithdrawnMjdTai holds a time."""
    return np.isfinite(_as_floats(table[_WITHDRAWN]))


def _low_reliability_rows(table, min_reliability):
    """True for the detections whose reliability is unknown or below ``min_reliability`` (none without it)."""
    if min_reliability is None:
        return np.zeros(len(table), dtype=bool)
    reliability = np.nan_to_num(_as_floats(table["r:reliability"]), nan=-np.inf)
    return (np.asarray(table["kind"]) == "detection") & (reliability < min_reliability)


def _lightcurve_order(names, flux):
    """
    The columns in the order a light curve shows them: the layout's leading columns
    (`astroquery_fink.layout`), with the chosen flux, its magnitude and limits right after
    ``kind``, then the quality columns, then the others.
    """
    photometry = [*FLUX_COLUMNS[flux], "mag", "mag_err", "upper_limit", "mag_limit"]
    order = leading_first(names, "lightcurve", requested=QUALITY_COLUMNS + ("withdrawn", _WITHDRAWN))
    rest = [name for name in order if name not in photometry]
    after_kind = rest.index("kind") + 1
    return rest[:after_kind] + photometry + rest[after_kind:]


def _as_floats(column):
    """The values of a column as floats, NaN where masked."""
    return np.ma.filled(np.ma.asarray(column, dtype=float), np.nan)


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
    labelled ``"<band> detection"`` or ``"<band> forced"``. In magnitude, the upper limits
    (``upper_limit`` True) are open downward triangles in the band's colour at ``mag_limit``,
    without error bar: one line per band, labelled ``"<band> upper limit"``.

    Parameters
    ----------
    table : `~astropy.table.Table`
        A light curve of one object, from `merge_lightcurve`.
    ax : `matplotlib.axes.Axes`, optional
        Where to draw; the current axes (``plt.gca()``) by default.
    y : {"flux", "mag"}
        Draw the flux the light curve was made from (``meta["flux_columns"]``, ``r:psfFlux``
        for a table without it; nJy, with a line at zero; every measured flux, upper limits
        included) or the AB magnitude ``mag`` (axis inverted, bright up; points without a
        magnitude, i.e. with a flux ≤ 0, are left out, and upper limits drawn as such).
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

    Notes
    -----
    Rows kept by ``keep_withdrawn=True`` are drawn like the others: leave them out first,
    ``lc[~lc["withdrawn"]]``.

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
        if y == "mag":
            x, limits = _limits(table, band)
            if len(x):
                ax.plot(x, limits, label=f"{band} upper limit", **_limit_style(band))
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


def _flux_names(table):
    """The flux column and its error of a light curve: those it was made from, r:psfFlux for an older table."""
    return tuple(table.meta.get("flux_columns", FLUX_COLUMNS["difference"]))


def _rows(table, band, *names):
    """The rows of one band that have a time and a value in each of ``names``."""
    rows = np.ma.filled(np.ma.asarray(table["r:band"]), "") == band
    for name in ("r:midpointMjdTai", *names):
        rows &= ~np.ma.getmaskarray(table[name])
    return rows


def _points(table, band, kind, y):
    """x (MJD, TAI), y and y errors of the rows of one band and kind that have a time and a value of ``y``."""
    value_name, error_name = _flux_names(table) if y == "flux" else ("mag", "mag_err")
    rows = _rows(table, band, value_name) & (np.asarray(table["kind"]) == kind)
    return (_as_floats(table["r:midpointMjdTai"])[rows], _as_floats(table[value_name])[rows],
            _as_floats(table[error_name])[rows])


def _limits(table, band):
    """x (MJD, TAI) and limiting magnitude of the upper limits of one band (none in a table without limits)."""
    if "upper_limit" not in table.colnames:
        return np.array([]), np.array([])
    rows = _rows(table, band, "mag_limit") & np.asarray(table["upper_limit"], dtype=bool)
    return _as_floats(table["r:midpointMjdTai"])[rows], _as_floats(table["mag_limit"])[rows]


def _style(band, kind):
    """errorbar keywords: the band's colour and symbol, filled for detections, small and open for forced points."""
    color = BAND_COLORS.get(band, _OTHER_BAND_COLOR)
    style = {"color": color, "marker": BAND_MARKERS.get(band, _OTHER_BAND_MARKER), "linestyle": "none"}
    if kind == "detection":
        return {**style, "markersize": 6, "elinewidth": 1.0, "zorder": 3}
    return {**style, "markersize": 4, "markerfacecolor": "none", "elinewidth": 0.6, "alpha": 0.5, "zorder": 2}


def _limit_style(band):
    """plot keywords of an upper limit: an open downward triangle (fainter than this) in the band's colour,
    larger and more opaque than a forced point, and without error bar."""
    color = BAND_COLORS.get(band, _OTHER_BAND_COLOR)
    return {"color": color, "marker": "v", "markersize": 7, "markerfacecolor": "none", "markeredgewidth": 1.2,
            "linestyle": "none", "alpha": 0.8, "zorder": 2}


def _dress_axes(ax, table, y):
    """Axis labels, the magnitude axis bright side up, the zero-flux line, a title and the legend."""
    ax.set_xlabel("MJD (TAI) [d]")
    flux_name = _flux_names(table)[0]
    flux_kind = table.meta.get("flux", "difference")
    if y == "mag":
        ax.set_ylabel(f"AB magnitude of the {flux_kind} flux [mag]")
        if not ax.yaxis_inverted():  # invert once, even when drawing twice on the same axes
            ax.invert_yaxis()
    else:
        ax.set_ylabel(f"PSF {flux_kind} flux [{table[flux_name].unit or u.nJy}]")
        ax.axhline(0.0, color="0.75", linewidth=0.8, zorder=1)
    objects = np.ma.compressed(np.ma.asarray(table["r:diaObjectId"]))
    if len(objects) and not ax.get_title():
        ax.set_title(f"diaObject {objects[0]}")
    if ax.get_legend_handles_labels()[0]:  # matplotlib warns about a legend without entries
        ax.legend(fontsize="small", ncols=2)
