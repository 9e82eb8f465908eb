"""
Triage summaries: one row per object, computed from its light curve and its ``/objects`` row.

`summarize` is pure (no request): it takes the table of
`~astroquery_fink.FinkClass.get_lightcurve` (or `~astroquery_fink.lightcurve.merge_lightcurve`)
and, optionally, the table of `~astroquery_fink.FinkClass.query_object`, and returns one row per
object. `~astroquery_fink.FinkClass.summarize` fetches both for a list of ids and calls it.

**Which points count.** Counts and the first and last detection use every row of the light
curve. The peak, the latest magnitude, the rate and the colour use the *measured points* only:
rows with a magnitude (a positive flux), a magnitude error, a signal-to-noise ratio of at least
``min_snr`` (5 by default, Rubin's detection threshold; the ratio is read from the magnitude
error, ``S/N = 2.5 / ln(10) / mag_err``, so it holds for whichever flux the magnitudes come from),
and not flagged ``upper_limit`` when the light curve has that column. A detection and a forced
measurement of the same exposure (same band, same time) are one measurement: the detection is
kept, so that no exposure weighs twice in the fit.
"""
import astropy.units as u
import numpy as np
from astropy.table import Column, MaskedColumn, Table
from astropy.time import Time
from astroquery.exceptions import InvalidQueryError

__all__ = ["BANDS", "RATE_WINDOW", "COLOR", "COLOR_TOLERANCE", "MIN_SNR", "OBJECT_COLUMNS",
           "LATEST_ALERT_COLUMNS", "check_options", "summarize", "note_missing"]

#: Rubin's six bands, the default bands of a summary.
BANDS = "ugrizy"
#: Default length of the rate's window in days: the fit uses the measured points of each band's last 10 days.
RATE_WINDOW = 10.0
#: Default colour: the two bands, as "first-second" (the colour is first minus second).
COLOR = "g-r"
#: Default greatest time in days between the two measurements of a colour.
COLOR_TOLERANCE = 1.0
#: Default least signal-to-noise ratio of a measured point (Rubin's detection threshold).
MIN_SNR = 5.0
#: The ``/objects`` columns `~astroquery_fink.FinkClass.summarize` asks for and carries as they are.
OBJECT_COLUMNS = ("r:ra", "r:dec", "f:main_label_classifier", "f:main_label_crossmatch", "f:is_cataloged",
                  "f:is_sso")
#: The alert columns `~astroquery_fink.FinkClass.summarize` asks of ``/sources`` with the light
#: curve; the summary gives each one's value in the object's latest detection.
LATEST_ALERT_COLUMNS = ("f:clf_cats_class", "f:clf_cats_score", "f:clf_earlySNIa_score",
                        "f:clf_snnSnVsOthers_score", "f:xm_tns_fullname", "f:xm_tns_type")

_OBJECT = "r:diaObjectId"
_NEEDED = (_OBJECT, "time", "r:band", "kind", "mag", "mag_err")
# S/N of a flux from the error of its magnitude: mag_err = 2.5 / ln(10) * err / flux
_MAG_ERR_FACTOR = 2.5 / np.log(10)


def check_options(*, bands=BANDS, rate_window=RATE_WINDOW, color=COLOR, color_tolerance=COLOR_TOLERANCE,
                  min_snr=MIN_SNR):
    """
    Check the options of a summary and put them in one form (see `summarize` for their meaning).

    Returns
    -------
    dict
        ``bands`` (list of str, each once), ``rate_window`` and ``color_tolerance`` (days, float),
        ``color`` (a pair of bands), ``min_snr`` (float).

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        For a band other than u, g, r, i, z, y, a window or tolerance that is not a positive time,
        a colour that is not two different bands such as ``"g-r"``, or a negative ``min_snr``.
    """
    return {"bands": _bands(bands), "rate_window": _days(rate_window, "rate_window"), "color": _color(color),
            "color_tolerance": _days(color_tolerance, "color_tolerance"), "min_snr": _min_snr(min_snr)}


def _bands(bands):
    values = list(bands) if isinstance(bands, (str, list, tuple)) else None
    if not values or not all(isinstance(band, str) and band in BANDS for band in values):
        raise InvalidQueryError(f"bands must be Rubin bands, e.g. 'gri' or ['g', 'r']; got {bands!r}.")
    return list(dict.fromkeys(values))


def _days(value, name):
    if isinstance(value, (bool, np.bool_, str)):
        raise InvalidQueryError(f"{name} must be a number of days or a time Quantity, got {value!r}.")
    try:
        days = float(value.to_value(u.day)) if isinstance(value, u.Quantity) else float(value)
    except (TypeError, ValueError, u.UnitsError) as error:
        raise InvalidQueryError(f"{name} must be a number of days or a time Quantity, got {value!r}.") from error
    if not np.isfinite(days) or days <= 0:
        raise InvalidQueryError(f"{name} must be a positive time, got {value!r}.")
    return days


def _color(color):
    parts = color.split("-") if isinstance(color, str) else list(color) if isinstance(color, (tuple, list)) else []
    if len(parts) != 2 or not all(part in BANDS and len(part) == 1 for part in parts) or parts[0] == parts[1]:
        raise InvalidQueryError(f"color must be two different Rubin bands as 'first-second', e.g. 'g-r'; "
                                f"got {color!r}.")
    return tuple(parts)


def _min_snr(min_snr):
    if isinstance(min_snr, (bool, np.bool_, str)):
        raise InvalidQueryError(f"min_snr must be a number, got {min_snr!r}.")
    try:
        value = float(min_snr)
    except (TypeError, ValueError) as error:
        raise InvalidQueryError(f"min_snr must be a number, got {min_snr!r}.") from error
    if not np.isfinite(value) or value < 0:
        raise InvalidQueryError(f"min_snr must be zero or positive, got {min_snr!r}.")
    return value


def summarize(lightcurve, objects=None, *, ids=None, bands=BANDS, rate_window=RATE_WINDOW, color=COLOR,
              color_tolerance=COLOR_TOLERANCE, min_snr=MIN_SNR):
    """
    One row per object: when it was detected, how often, how bright, how fast it changes, its colour and labels.

    Counts and detection times come from every row of the light curve; the peak, latest
    magnitude, rate and colour from its *measured points* (see the module's docstring: a
    magnitude, S/N ≥ ``min_snr``, not an upper limit, each exposure once).

    Parameters
    ----------
    lightcurve : `~astropy.table.Table`
        A light curve of one or several objects, as `~astroquery_fink.FinkClass.get_lightcurve`
        gives it: columns ``r:diaObjectId``, ``time`` (`~astropy.time.Time`), ``r:band``,
        ``kind`` (``"detection"`` or ``"forced"``), ``mag`` and ``mag_err``; a boolean
        ``upper_limit`` column, when present, keeps its rows out of the peak, latest magnitude,
        rate and colour. Columns of `LATEST_ALERT_COLUMNS` it has are carried (see Returns).
    objects : `~astropy.table.Table`, optional
        Rows of ``/objects`` (`~astroquery_fink.FinkClass.query_object`) with ``r:diaObjectId``;
        all its other columns are carried as they are, masked for objects it lacks.
    ids : iterable of int, optional
        The objects, in the order of the rows; by default those of ``objects`` then the others of
        the light curve, in order of appearance. An id with no data gets a row of masked values
        (zero counts), and is listed in ``meta["ids_without_data"]``.
    bands : str or list of str
        The bands with columns of their own, ``"ugrizy"`` by default.
    rate_window : float or `~astropy.units.Quantity`
        Days (a bare number) or a time: the rate of a band is fitted to its measured points of
        this long before its latest one, included. 10 days by default.
    color : str or tuple of str
        ``"first-second"`` or ``(first, second)``, the bands of the colour (first minus second),
        ``"g-r"`` by default.
    color_tolerance : float or `~astropy.units.Quantity`
        Days (a bare number) or a time: the largest time between the two points of a colour, 1 day
        by default.
    min_snr : float
        The least signal-to-noise ratio of a measured point, 5 by default; 0 takes every point
        with a magnitude.

    Returns
    -------
    `~astropy.table.Table`
        One row per object, values masked where they cannot be computed:

        - ``r:diaObjectId`` (int64), then the columns of ``objects`` (``r:ra``, ``r:dec``,
          ``f:main_label_classifier``, ... for `~astroquery_fink.FinkClass.summarize`);
        - the columns of `LATEST_ALERT_COLUMNS` in the light curve, valued as in the latest
          detection (masked when that alert has no value, even if an older one had);
        - ``first_detection``, ``last_detection`` (`~astropy.time.Time`, TAI), ``n_detections``,
          ``n_forced`` (all bands);
        - ``color_<a>_<b>`` (mag) and ``color_<a>_<b>_err`` (mag), the colour of the latest pair of
          measured points of the two bands that are each the other's nearest in time in its band
          and at most ``color_tolerance`` apart; ``color_<a>_<b>_time``, the mid-time of the pair;
        - for each band ``<b>``: ``n_detections_<b>``, ``n_forced_<b>`` (all rows of the band);
          ``peak_mag_<b>`` (mag(AB), the brightest measured point) and ``peak_time_<b>``;
          ``latest_mag_<b>``, ``latest_mag_err_<b>``, ``latest_time_<b>`` (the latest measured
          point); ``rate_<b>`` and ``rate_err_<b>`` (mag/d), the slope of the weighted linear fit
          of magnitude against time over the band's measured points of the last ``rate_window``
          days ending at its latest one, weights ``1 / mag_err**2`` and error
          ``1 / sqrt(sum(w * (t - t_mean)**2))`` from the magnitude errors alone; positive when
          fading, negative when brightening; masked with fewer than two distinct times.

        ``meta["summary"]`` holds the options, ``meta["ids_without_data"]`` the ids with neither
        a light curve nor an ``/objects`` row, ``meta["lightcurve"]`` and ``meta["objects"]``
        the inputs' meta (their queries).

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        For an option out of range (`check_options`).
    ValueError
        If the light curve lacks a needed column.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from astropy.time import Time
    >>> from astroquery_fink.summary import summarize
    >>> lc = Table({"r:diaObjectId": [7, 7, 7], "time": Time([61000.0, 61002.0, 61004.0], format="mjd", scale="tai"),
    ...             "r:band": ["r", "r", "r"], "kind": ["detection"] * 3,
    ...             "mag": [20.0, 19.5, 19.0], "mag_err": [0.1, 0.1, 0.1]})
    >>> row = summarize(lc, bands="r")[0]
    >>> float(row["peak_mag_r"]), round(float(row["rate_r"]), 6)
    (19.0, -0.25)
    """
    options = check_options(bands=bands, rate_window=rate_window, color=color, color_tolerance=color_tolerance,
                            min_snr=min_snr)
    missing = [name for name in _NEEDED if name not in lightcurve.colnames]
    if missing:
        raise ValueError(f"the light curve lacks the column(s) {missing}; summarize needs {list(_NEEDED)}.")
    points = _Points(lightcurve, options["min_snr"])
    object_rows = _object_rows(objects)
    order = _row_ids(ids, object_rows, points)
    rows = [_summary_row(points, points.rows(identifier), options) for identifier in order]
    table = Table([Column(np.array(order, dtype=np.int64), name=_OBJECT,
                          description=_description(lightcurve, objects, _OBJECT))], copy=False)
    if objects is not None:
        _add_object_columns(table, objects, object_rows, order)
    _add_latest_alert_columns(table, lightcurve, points, order)
    _add_computed_columns(table, rows, options, lightcurve["mag"].unit or u.ABmag)
    table.meta["summary"] = {"bands": "".join(options["bands"]), "rate_window_days": options["rate_window"],
                             "color": "-".join(options["color"]),
                             "color_tolerance_days": options["color_tolerance"], "min_snr": options["min_snr"]}
    table.meta["ids_without_data"] = [identifier for identifier, row in zip(order, rows, strict=True)
                                      if row["empty"] and identifier not in object_rows]
    # where the inputs came from (queries, URLs, the flux of the magnitudes when the light curve says)
    table.meta["lightcurve"] = dict(lightcurve.meta)
    if objects is not None:
        table.meta["objects"] = dict(objects.meta)
    return table


def note_missing(table, lightcurve, objects):
    """
    Record in ``table.meta["failed_ids"]`` the ids whose requests failed (``on_error="warn"``), and
    return the sentence for the other ids without data, or `None` when every id has some.
    """
    metas = (lightcurve.meta.get("detections", {}), lightcurve.meta.get("forced", {}), objects.meta)
    failed = sorted({int(identifier) for meta in metas for identifier in meta.get("failed_ids", ())})
    if failed:
        table.meta["failed_ids"] = failed
    missing = [identifier for identifier in table.meta["ids_without_data"] if identifier not in set(failed)]
    if not missing:
        return None
    shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
    return (f"The Fink API has no data (no light curve, no /objects row) for {len(missing)} of {len(table)} "
            f"diaObjectId(s): {shown}; their rows are masked, with zero counts.")


class _Points:
    """The light curve's rows as plain arrays, with each object's rows sorted by time."""

    def __init__(self, lightcurve, min_snr):
        # plain numpy arrays: an astropy Column would carry its attributes through every slice below
        time = lightcurve["time"]
        self.object = _plain(lightcurve[_OBJECT], np.int64, -1)
        self.mjd = _plain(time.mjd if isinstance(time, Time) else time, float, np.nan)
        self.band = _plain(lightcurve["r:band"], str, "")
        self.detection = _plain(lightcurve["kind"], str, "") == "detection"
        self.mag = _plain(lightcurve["mag"], float, np.nan)
        self.mag_err = _plain(lightcurve["mag_err"], float, np.nan)
        self.measured = _measured(self, lightcurve, min_snr)
        # each object's rows by time (rows without a time last), detections before forced points
        # of the same time: the order in which an exposure's detection is the one kept
        order = np.lexsort((~self.detection, np.nan_to_num(self.mjd, nan=np.inf), self.object))
        starts = np.flatnonzero(np.r_[True, self.object[order][1:] != self.object[order][:-1]]) if len(order) else []
        ends = list(starts[1:]) + [len(order)] if len(order) else []
        self._rows = {int(self.object[order[start]]): order[start:end] for start, end in zip(starts, ends,
                                                                                              strict=True)}

    def ids(self):
        return list(self._rows)

    def rows(self, identifier):
        """Indices of the rows of one object, by time."""
        return self._rows.get(identifier, np.array([], dtype=int))


def _plain(column, dtype, fill):
    """The values of a (masked) column as a plain numpy array of ``dtype``, ``fill`` where masked."""
    values = np.ma.asarray(column)
    return np.asarray(np.ma.filled(values.astype(dtype), fill) if np.ma.is_masked(values) else
                      np.ma.getdata(values).astype(dtype))


def _measured(points, lightcurve, min_snr):
    """Whether each row is a measured point: a magnitude, its error, S/N >= min_snr, not an upper limit."""
    good = np.isfinite(points.mag) & np.isfinite(points.mag_err) & (points.mag_err > 0) & np.isfinite(points.mjd)
    if min_snr > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            good &= _MAG_ERR_FACTOR / np.where(good, points.mag_err, np.inf) >= min_snr
    if "upper_limit" in lightcurve.colnames:
        good &= ~np.ma.filled(np.ma.asarray(lightcurve["upper_limit"]).astype(bool), False)
    return good


def _object_rows(objects):
    """``{diaObjectId: row index}`` of the objects table (its first row for an id given twice)."""
    if objects is None:
        return {}
    if _OBJECT not in objects.colnames:
        raise ValueError(f"the objects table lacks {_OBJECT}.")
    rows = {}
    for index, identifier in enumerate(np.ma.asarray(objects[_OBJECT]).astype(np.int64).tolist()):
        if identifier is not None:
            rows.setdefault(int(identifier), index)
    return rows


def _row_ids(ids, object_rows, points):
    """The ids of the rows, in order, each once."""
    if ids is None:
        return list(dict.fromkeys(list(object_rows) + points.ids()))
    values = [ids] if np.isscalar(ids) else list(ids)
    return list(dict.fromkeys(int(value) for value in values))


def _summary_row(points, rows, options):
    """The computed values of one object (its ``rows`` of ``points``): a dict of numbers, NaN where not computable."""
    detections = rows[points.detection[rows]]
    detection_times = points.mjd[detections][np.isfinite(points.mjd[detections])]
    row = {"empty": len(rows) == 0, "n_detections": len(detections), "n_forced": len(rows) - len(detections),
           "first_detection": detection_times.min() if len(detection_times) else np.nan,
           "last_detection": detection_times.max() if len(detection_times) else np.nan}
    measured = _one_per_exposure(points, rows[points.measured[rows]])
    by_band = {}
    for band in set(options["bands"]) | set(options["color"]):
        in_band = points.band[rows] == band
        band_points = measured[points.band[measured] == band]
        by_band[band] = band_points
        row[f"n_detections_{band}"] = int(np.count_nonzero(in_band & points.detection[rows]))
        row[f"n_forced_{band}"] = int(np.count_nonzero(in_band & ~points.detection[rows]))
        row.update({f"{name}_{band}": value for name, value in _band_values(points, band_points, options).items()})
    row["color"] = _latest_color(points, by_band[options["color"][0]], by_band[options["color"][1]],
                                 options["color_tolerance"])
    return row


def _one_per_exposure(points, rows):
    """The rows (by time, detections first at a time) without the second measurement of an exposure."""
    if len(rows) < 2:
        return rows
    # by band, then time, a detection before the forced point of its exposure
    order = np.lexsort((~points.detection[rows], points.mjd[rows], points.band[rows]))
    sorted_rows = rows[order]
    repeat = np.r_[False, (points.band[sorted_rows][1:] == points.band[sorted_rows][:-1])
                   & (points.mjd[sorted_rows][1:] == points.mjd[sorted_rows][:-1])]
    kept = sorted_rows[~repeat]
    return kept[np.argsort(points.mjd[kept], kind="stable")]


def _band_values(points, rows, options):
    """Peak, latest point and rate of one band's measured points (sorted by time)."""
    values = dict.fromkeys(("peak_mag", "peak_time", "latest_mag", "latest_mag_err", "latest_time", "rate",
                            "rate_err"), np.nan)
    if len(rows) == 0:
        return values
    brightest = rows[np.argmin(points.mag[rows])]  # the first of equal magnitudes
    latest = rows[-1]
    values.update(peak_mag=points.mag[brightest], peak_time=points.mjd[brightest], latest_mag=points.mag[latest],
                  latest_mag_err=points.mag_err[latest], latest_time=points.mjd[latest])
    recent = rows[points.mjd[rows] >= points.mjd[latest] - options["rate_window"]]
    values["rate"], values["rate_err"] = _weighted_slope(points.mjd[recent], points.mag[recent],
                                                         points.mag_err[recent])
    return values


def _weighted_slope(time, mag, mag_err):
    """Slope of the weighted least-squares line mag = a + b t, and its error from the weights; NaN if undefined."""
    if len(np.unique(time)) < 2:
        return np.nan, np.nan
    weight = 1.0 / mag_err**2
    centred = time - np.sum(weight * time) / np.sum(weight)
    spread = np.sum(weight * centred**2)
    return np.sum(weight * centred * mag) / spread, 1.0 / np.sqrt(spread)


def _latest_color(points, first, second, tolerance):
    """
    ``(colour, error, mid-time)`` of the latest pair of points of the two bands that are each the
    other's nearest in time in its band and at most ``tolerance`` days apart; NaNs without one.
    """
    if len(first) == 0 or len(second) == 0:
        return np.nan, np.nan, np.nan
    t1, t2 = points.mjd[first], points.mjd[second]
    partner = _nearest(t2, t1)       # for each point of the first band, its nearest of the second
    back = _nearest(t1, t2[partner])  # and that point's nearest of the first band
    mutual = (back == np.arange(len(first))) & (np.abs(t2[partner] - t1) <= tolerance)
    if not mutual.any():
        return np.nan, np.nan, np.nan
    candidates = np.flatnonzero(mutual)
    mid = (t1[candidates] + t2[partner[candidates]]) / 2
    pick = candidates[np.argmax(mid)]
    a, b = first[pick], second[partner[pick]]
    return (points.mag[a] - points.mag[b], np.hypot(points.mag_err[a], points.mag_err[b]),
            (points.mjd[a] + points.mjd[b]) / 2)


def _nearest(sorted_times, times):
    """Index in ``sorted_times`` (ascending) of the nearest to each of ``times``; the earlier one on a tie."""
    right = np.clip(np.searchsorted(sorted_times, times), 0, len(sorted_times) - 1)
    left = np.clip(right - 1, 0, len(sorted_times) - 1)
    return np.where(np.abs(times - sorted_times[left]) <= np.abs(sorted_times[right] - times), left, right)


def _description(lightcurve, objects, name):
    for table in (objects, lightcurve):
        if table is not None and name in table.colnames and table[name].description:
            return table[name].description
    return None


def _add_object_columns(table, objects, object_rows, order):
    """The columns of ``objects`` for each id, masked where ``objects`` has no row for it."""
    index = np.array([object_rows.get(identifier, -1) for identifier in order], dtype=int)
    absent = index < 0
    for name in objects.colnames:
        if name == _OBJECT:
            continue
        table.add_column(_taken(objects[name], index, absent), name=name)


def _add_latest_alert_columns(table, lightcurve, points, order):
    """The `LATEST_ALERT_COLUMNS` of the light curve as they are in each object's latest detection."""
    names = [name for name in LATEST_ALERT_COLUMNS if name in lightcurve.colnames]
    if not names:
        return
    latest = []
    for identifier in order:
        rows = points.rows(identifier)
        timed = rows[points.detection[rows] & np.isfinite(points.mjd[rows])]
        latest.append(timed[-1] if len(timed) else -1)
    index = np.array(latest, dtype=int)
    absent = index < 0
    for name in names:
        column = _taken(lightcurve[name], index, absent)
        if column.description:
            column.description = f"In the object's latest detection: {column.description}"
        table.add_column(column, name=name)


def _taken(column, index, absent):
    """``column[index]`` as a masked column, masked where ``absent`` (index -1); unit, description, meta kept."""
    data = np.ma.asarray(column)
    values = data[np.where(absent, 0, index)] if len(data) else np.ma.masked_all(len(index), dtype=data.dtype)
    mask = np.ma.getmaskarray(values) | absent
    return MaskedColumn(np.ma.getdata(values), mask=mask, unit=column.unit, description=column.info.description,
                        meta=dict(column.meta))


def _add_computed_columns(table, rows, options, mag_unit):
    """Detection times and counts, the colour, then each band's block of columns."""
    def values(key):
        return np.array([row[key] for row in rows], dtype=float)

    table.add_column(_time(values("first_detection"), "Time of the first detection (TAI), any band."),
                     name="first_detection")
    table.add_column(_time(values("last_detection"), "Time of the latest detection (TAI), any band."),
                     name="last_detection")
    table.add_column(Column([row["n_detections"] for row in rows], dtype=np.int64, name="n_detections",
                            description="Number of detections (alerts, /api/v1/sources rows), all bands."))
    table.add_column(Column([row["n_forced"] for row in rows], dtype=np.int64, name="n_forced",
                            description="Number of forced measurements (/api/v1/fp rows), all bands."))
    first, second = options["color"]
    name = f"color_{first}_{second}"
    pairs = np.array([row["color"] for row in rows], dtype=float).reshape(len(rows), 3)
    within = f"at most {options['color_tolerance']:g} d apart"
    table.add_column(_quantity(pairs[:, 0], name, u.mag, (
        f"Colour {first} - {second} of the latest pair of measured {first} and {second} points that are each "
        f"the other's nearest in time in its band, {within}.")))
    table.add_column(_quantity(pairs[:, 1], f"{name}_err", u.mag, f"Error on {name}, from the two magnitude errors."))
    table.add_column(_time(pairs[:, 2], f"Mid-time (TAI) of the two points of {name}."), name=f"{name}_time")
    for band in options["bands"]:
        _add_band_columns(table, band, values, rows, options, mag_unit)


def _add_band_columns(table, band, values, rows, options, mag_unit):
    points = "measured points (S/N >= {:g}, not an upper limit)".format(options["min_snr"])
    table.add_column(Column([row[f"n_detections_{band}"] for row in rows], dtype=np.int64,
                            name=f"n_detections_{band}", description=f"Number of detections in band {band}."))
    table.add_column(Column([row[f"n_forced_{band}"] for row in rows], dtype=np.int64,
                            name=f"n_forced_{band}", description=f"Number of forced measurements in band {band}."))
    table.add_column(_quantity(values(f"peak_mag_{band}"), f"peak_mag_{band}", mag_unit,
                               f"Brightest magnitude in band {band}, over its {points}."))
    table.add_column(_time(values(f"peak_time_{band}"), f"Time (TAI) of peak_mag_{band}."), name=f"peak_time_{band}")
    table.add_column(_quantity(values(f"latest_mag_{band}"), f"latest_mag_{band}", mag_unit,
                               f"Magnitude of the latest of the {points} in band {band}."))
    table.add_column(_quantity(values(f"latest_mag_err_{band}"), f"latest_mag_err_{band}", u.mag,
                               f"Error on latest_mag_{band}."))
    table.add_column(_time(values(f"latest_time_{band}"), f"Time (TAI) of latest_mag_{band}."),
                     name=f"latest_time_{band}")
    table.add_column(_quantity(values(f"rate_{band}"), f"rate_{band}", u.mag / u.day, (
        f"Rate of change of the magnitude in band {band} (positive: fading), slope of the weighted linear fit "
        f"over its {points} of the {options['rate_window']:g} d up to latest_time_{band}.")))
    table.add_column(_quantity(values(f"rate_err_{band}"), f"rate_err_{band}", u.mag / u.day,
                               f"Error on rate_{band}, from the magnitude errors."))


def _quantity(values, name, unit, description):
    return MaskedColumn(values, name=name, mask=~np.isfinite(values), unit=unit, description=description)


def _time(mjd, description):
    """A `~astropy.time.Time` (TAI, MJD), masked where ``mjd`` is NaN."""
    time = Time(np.ma.masked_invalid(mjd), format="mjd", scale="tai")
    time.info.description = description
    return time
