"""Pieces shared by the replica's data generators (`dataset`, `extra`, `services.solar_system`): bands, ids, columns."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .fields import lsst_fields

__all__ = [
    "SEED",
    "BANDS",
    "BAND_WEIGHTS",
    "BAND_NOISE",
    "BAND_COLOUR",
    "TEMPLATE_SCALE",
    "BROKER_41_MJD",
    "ObjectSpec",
    "Columns",
    "float32",
    "round_floats",
    "unique_ids",
    "mjd_to_visit",
    "nullable_int",
    "nones",
    "nans",
    "source_columns",
]

#: Seed of the default dataset.
SEED = 20260314
#: LSST bands, in index order (band arrays hold indices into it).
BANDS = np.array(list("ugrizy"))
#: Share of the visits in each band.
BAND_WEIGHTS = np.array([0.06, 0.13, 0.27, 0.27, 0.16, 0.11])
#: 1-sigma flux floor per band, nJy.
BAND_NOISE = np.array([420.0, 180.0, 150.0, 190.0, 290.0, 520.0])
#: Relative amplitude of the flux models per band.
BAND_COLOUR = np.array([0.55, 0.85, 1.0, 0.95, 0.8, 0.7])
#: Host (template) flux per band, relative to a drawn scale.
TEMPLATE_SCALE = np.array([0.3, 0.6, 1.0, 1.2, 1.35, 1.4])
#: First MJD processed by fink-broker 4.1; earlier alerts lack the columns /api/v1/schema stamps as broker 4.1.
BROKER_41_MJD = 61100.0


@dataclass
class ObjectSpec:
    oid: str
    kind: str  # "sn", "var", "agn", "nuclear"
    ra: float
    dec: float
    n_src: int
    n_fp: int
    t_start: float
    span: float
    simbad: str
    tns: tuple = None  # (fullname, type, redshift)


def float32(values):
    """
    The value HBase keeps of an LSST "float": Java's ``Float.toString`` (shortest float32 text) read back as a double.

    Computed through Arrow's float-to-text cast, which gives that shortest text.
    """
    single = pa.array(np.asarray(values, dtype=np.float64).astype(np.float32))
    return pc.cast(pc.cast(single, pa.string()), pa.float64()).to_numpy(zero_copy_only=False)


def round_floats(columns, schema, names=None):
    """
    Round in place the columns that ``schema`` stores as HBase floats (`float32`).

    Parameters
    ----------
    columns : pandas.DataFrame or dict
    schema : dict of str to str
        Column -> HBase type.
    names : iterable of str, optional
        Only these columns (default: all of the schema's).
    """
    for name in schema if names is None else names:
        if schema.get(name) == "float" and name in columns:
            columns[name] = float32(columns[name])


def unique_ids(rng, n, low, high):
    ids = np.unique(rng.integers(low, high, size=int(n * 1.05) + 16, dtype=np.int64))
    rng.shuffle(ids)
    return np.sort(ids[:n])


def mjd_to_visit(t):
    # Rubin visit id = day_obs (UTC-12h calendar date) * 100000 + sequence number of the night
    day = np.floor(t - 0.5).astype(np.int64)
    dates = np.datetime_as_string(np.datetime64("1858-11-17") + day.astype("timedelta64[D]"))
    day_obs = np.char.replace(dates, "-", "").astype(np.int64)
    seq = np.floor((t - 0.5 - day) * 86400 / 60.0).astype(np.int64)
    return day_obs * 100000 + seq


class Columns(dict):
    """Column name -> list of per-object arrays, concatenated at the end."""

    def add(self, name, values):
        self.setdefault(name, []).append(values)

    def frame(self, keys):
        return pd.DataFrame({name: _concat(parts) for name, parts in self.items()}, index=pd.Index(keys))


def _concat(parts):
    if isinstance(parts[0], pd.api.extensions.ExtensionArray):
        return pd.concat([pd.Series(p) for p in parts], ignore_index=True).array
    return np.concatenate(parts)


def nullable_int(values, mask=None):
    arr = pd.array(np.asarray(values, dtype=np.int64), dtype="Int64")
    if mask is not None:
        arr[mask] = pd.NA
    return arr


def nones(n):
    return np.full(n, None, dtype=object)


def nans(n):
    return np.full(n, np.nan)


def _flags(rng, n, rate):
    return rng.random(n) < rate


def source_columns(rng, cols, obj, fp, src_idx, ids, template, *, no_dipole_fit=()):
    """
    Add the LSST diaSource columns of one object's detections to ``cols``.

    Parameters
    ----------
    rng : numpy.random.Generator
    cols : Columns
    obj : ObjectSpec
    fp : dict
        Its visits: arrays ``t``, ``band`` (indices into `BANDS`), ``flux`` and ``err``.
    src_idx : numpy.ndarray
        Visits detected as diaSources.
    ids : numpy.ndarray
        Their diaSourceIds.
    template : numpy.ndarray
        Template flux per band.
    no_dipole_fit : iterable of int, optional
        Positions of detections whose dipole fit is forced unattempted (after the draw).

    Returns
    -------
    t, band, flux, err : numpy.ndarray
    """
    n = len(src_idx)
    t = fp["t"][src_idx]
    band = fp["band"][src_idx]
    err = fp["err"][src_idx] * rng.uniform(0.95, 1.05, n)
    flux = fp["flux"][src_idx]
    # DIA sources are >= 5 sigma detections
    flux = np.where(np.abs(flux) < 5 * err, np.sign(flux + 1e-9) * (5.0 + rng.uniform(0, 3, n)) * err, flux)
    cos_dec = np.cos(np.radians(obj.dec))
    ra = obj.ra + rng.normal(0, 0.06 / 3600, n) / cos_dec
    dec = obj.dec + rng.normal(0, 0.06 / 3600, n)
    ra_err = rng.uniform(0.02, 0.12, n) / 3600
    dec_err = rng.uniform(0.02, 0.12, n) / 3600
    processed = t + rng.uniform(60.0, 600.0, n) / 86400
    add = cols.add
    add("r:diaObjectId", nullable_int(np.full(n, int(obj.oid))))
    add("r:diaSourceId", nullable_int(ids))
    add("r:midpointMjdTai", t)
    add("r:band", BANDS[band].astype(object))
    add("r:ra", ra)
    add("r:dec", dec)
    add("r:raErr", ra_err)
    add("r:decErr", dec_err)
    add("r:ra_dec_Cov", rng.normal(0, 0.3, n) * ra_err * dec_err)
    add("r:visit", nullable_int(mjd_to_visit(t)))
    add("r:detector", nullable_int(rng.integers(0, 189, n)))
    add("r:x", rng.uniform(5, 4067, n))
    add("r:y", rng.uniform(5, 3995, n))
    add("r:xErr", rng.uniform(0.02, 0.3, n))
    add("r:yErr", rng.uniform(0.02, 0.3, n))
    add("r:timeProcessedMjdTai", processed)
    add("r:timeWithdrawnMjdTai", nans(n))
    add("r:psfFlux", flux)
    add("r:psfFluxErr", err)
    add("r:psfLnL", -0.5 * rng.chisquare(400, n))
    add("r:psfChi2", rng.chisquare(400, n))
    add("r:psfNdata", nullable_int(rng.integers(300, 900, n)))
    add("r:snr", np.abs(flux) / err * rng.uniform(0.95, 1.05, n))
    add("r:apFlux", flux * rng.uniform(0.93, 1.07, n))
    add("r:apFluxErr", err * rng.uniform(1.1, 1.3, n))
    add("r:scienceFlux", flux + template[band])
    add("r:scienceFluxErr", err * rng.uniform(1.02, 1.15, n))
    add("r:templateFlux", template[band] * rng.uniform(0.99, 1.01, n))
    add("r:templateFluxErr", rng.uniform(20, 80, n))
    add("r:extendedness", rng.uniform(0, 1, n))
    add("r:reliability", rng.uniform(0.55, 1.0, n))
    add("r:bboxSize", nullable_int(rng.integers(15, 46, n)))
    for name in ("ixx", "iyy", "ixxPSF", "iyyPSF"):
        add(f"r:{name}", (rng.uniform(0.12, 0.45, n)))
    for name in ("ixy", "ixyPSF"):
        add(f"r:{name}", (rng.normal(0, 0.03, n)))
    # trailed-source fit: fails (no cell) for about one alert in six
    trail_ok = rng.random(n) > 0.17

    def trail(values):
        return np.where(trail_ok, values, np.nan)

    add("r:trailFlux", trail(flux * rng.uniform(0.95, 1.1, n)))
    add("r:trailFluxErr", trail(err * 1.2))
    add("r:trailLength", trail(rng.uniform(0.0, 1.5, n)))
    add("r:trailLengthErr", trail(rng.uniform(0.05, 0.4, n)))
    add("r:trailAngle", trail(rng.uniform(-90, 90, n)))
    add("r:trailAngleErr", trail(rng.uniform(1, 20, n)))
    add("r:trailRa", np.where(trail_ok, ra, np.nan))
    add("r:trailDec", np.where(trail_ok, dec, np.nan))
    add("r:trailRaErr", trail(ra_err * 1.3))
    add("r:trailDecErr", trail(dec_err * 1.3))
    add("r:trailChi2", trail(rng.chisquare(500, n)))
    add("r:trailNdata", nullable_int(rng.integers(300, 1000, n)))
    # dipole fit attempted on ~70% of the alerts; isDipole and the dipole values are unset otherwise
    dip = rng.random(n) < 0.7
    for position in no_dipole_fit:
        dip[position] = False
    add("r:dipoleFitAttempted", dip.astype(object))
    is_dipole = (rng.random(n) < 0.08).astype(object)
    is_dipole[~dip] = None
    add("r:isDipole", is_dipole)

    def dipole(values):
        return np.where(dip, values, np.nan)

    add("r:dipoleMeanFlux", dipole(np.abs(flux) * 0.5))
    add("r:dipoleMeanFluxErr", dipole(err * 0.8))
    add("r:dipoleFluxDiff", dipole(rng.normal(0, 200, n)))
    add("r:dipoleFluxDiffErr", dipole(err * 1.1))
    add("r:dipoleLength", dipole(rng.uniform(0.0, 1.2, n)))
    add("r:dipoleAngle", dipole(rng.uniform(-180, 180, n)))
    add("r:dipoleChi2", dipole(rng.chisquare(300, n)))
    add("r:dipoleNdata", nullable_int(rng.integers(0, 600, n)))
    add("r:isNegative", (flux < 0).astype(object))
    add("r:parentDiaSourceId", nullable_int(np.zeros(n), mask=np.ones(n, bool)))
    add("r:ssObjectId", nullable_int(np.zeros(n), mask=np.ones(n, bool)))
    add("r:glint_trail", np.zeros(n, bool).astype(object))
    rare = {"pixelFlags_cr": 0.04, "pixelFlags_saturated": 0.02, "pixelFlags_streak": 0.01,
            "pixelFlags_suspect": 0.05, "pixelFlags_interpolated": 0.06, "pixelFlags_edge": 0.01,
            "centroid_flag": 0.03, "shape_flag": 0.04, "psfFlux_flag": 0.01, "apFlux_flag": 0.01}
    # the remaining diaSource flags, in name order (the order of the random draws)
    for flag in sorted(f["name"] for f in lsst_fields("diaSource") if f["type"] in ("boolean", ["null", "boolean"])):
        if "r:" + flag not in cols:
            add("r:" + flag, _flags(rng, n, rare.get(flag, 0.0)).astype(object))
    return t, band, flux, err
