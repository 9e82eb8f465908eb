"""Synthetic diaObjects added to the replica's objects, sources and fp tables for benchmarks, generated vectorised."""

import numpy as np
import pandas as pd

from .dataset import TABLES, Dataset
from .fields import table_schema
from .generate_helpers import (
    BAND_COLOUR,
    BAND_NOISE,
    BAND_WEIGHTS,
    BANDS,
    BROKER_41_MJD,
    SEED,
    TEMPLATE_SCALE,
    mjd_to_visit,
    nullable_int,
    round_floats,
)

__all__ = ["MAX_EXTRA_OBJECTS", "MAX_EXTRA_FP_ROWS", "add_extra_objects", "extra_object_ids"]

#: Most synthetic objects one dataset can hold (their ids stay 18 digits and distinct).
MAX_EXTRA_OBJECTS = 1_000_000
#: Most forced-photometry rows per synthetic object.
MAX_EXTRA_FP_ROWS = 1_000_000

# Ids of the k-th synthetic object, its sources and its fp rows: arithmetic, hence the same
# whatever the number asked for, and outside the ranges of the generated data (diaObjectIds
# 169-171e15 and 313-314e15, diaSourceIds 169-171e15, diaForcedSourceIds 171-172e15). The odd
# step makes the salts (last three digits) cycle through all 1000 values.
_FIRST_OBJECT_ID = 315_000_000_000_000_000
_OBJECT_ID_STEP = 100_000_000_007
_FIRST_SOURCE_ID = 172_000_000_000_000_000
_FIRST_FP_ID = 173_000_000_000_000_000
_MAX_SOURCES = 5  # sources per object: 1 to 5, at its most significant visits
_BLOCK = 1024  # objects drawn from one generator: object k's values do not depend on how many are asked


def extra_object_ids(count, start=0):
    """
    diaObjectIds of synthetic objects ``start`` to ``start + count - 1``, without generating them.

    A benchmark driving a replica in another process (``python -m astroquery_fink.testing
    --extra-objects N``) gets the ids it serves from here.

    Parameters
    ----------
    count : int
    start : int, optional

    Returns
    -------
    list of str
        18-digit ids.
    """
    k = np.arange(start, start + count, dtype=np.int64)
    return (_FIRST_OBJECT_ID + k * _OBJECT_ID_STEP).astype(str).tolist()


# How each per-visit value is drawn, given a generator and the shape to fill.
_VISIT_DRAWS = {
    "gaps": lambda rng, shape: rng.uniform(0.3, 3.0, shape),
    "band": lambda rng, shape: rng.choice(6, size=shape, p=BAND_WEIGHTS),
    "err": lambda rng, shape: rng.uniform(0.85, 1.25, shape),
    "noise": lambda rng, shape: rng.normal(0.0, 1.0, shape),
    "sci_err": lambda rng, shape: rng.uniform(1.02, 1.15, shape),
    "detector": lambda rng, shape: rng.integers(0, 189, shape),
    "processed": lambda rng, shape: rng.uniform(0.5, 3.0, shape),
    "bad": lambda rng, shape: rng.random(shape) < 0.02,
}
# Up to this many visits a block's generator draws the per-visit values of all its objects (fast,
# and at most _BLOCK x this many values per array); past it, a block would cost _BLOCK x visits
# values whatever the number of objects asked (200,000 visits: gigabytes for one object), so each
# object draws its own from a generator of its own: memory follows the rows generated.
_BLOCK_VISITS = 1000


def _draw(seed, start, count, visits):
    """Random numbers of objects ``start..start+count-1``, drawn block by block (``_BLOCK`` objects each)."""
    parts = []
    first, last = start // _BLOCK, (start + count - 1) // _BLOCK
    by_block = visits <= _BLOCK_VISITS
    for block in range(first, last + 1):
        rng = np.random.default_rng([seed, 4, block])
        n, v = _BLOCK, visits

        def per_visit(name, rng=rng, n=n, v=v):
            return _VISIT_DRAWS[name](rng, (n, v)) if by_block else None

        parts.append({
            "template": rng.random(n),
            "ra": rng.uniform(0.0, 360.0, n),
            "dec": np.degrees(np.arcsin(rng.uniform(-1.0, 0.1, n))),
            "t_start": rng.uniform(61000.0, 61250.0, n),
            "gaps": per_visit("gaps"),
            "band": per_visit("band"),
            "amp": rng.uniform(2_000.0, 40_000.0, n),
            "peak": rng.uniform(0.2, 0.8, n),
            "width": rng.uniform(3.0, 40.0, n),
            "err": per_visit("err"),
            "noise": per_visit("noise"),
            "host": rng.uniform(0.0, 30_000.0, n),
            "sci_err": per_visit("sci_err"),
            "detector": per_visit("detector"),
            "processed": per_visit("processed"),
            "bad": per_visit("bad"),
            "n_src": rng.integers(1, _MAX_SOURCES + 1, n),
            "src_pos": rng.normal(0.0, 0.06 / 3600, (n, _MAX_SOURCES, 2)),
            "src_boost": rng.uniform(0.0, 3.0, (n, _MAX_SOURCES)),
            "src_processed": rng.uniform(60.0, 600.0, (n, _MAX_SOURCES)) / 86400,
            "src_factors": rng.uniform(0.0, 1.0, (n, _MAX_SOURCES, 5)),
            "validity": rng.uniform(100.0, 700.0, n) / 86400,
        })
    offset = start - first * _BLOCK
    drawn = {name: np.concatenate([p[name] for p in parts])[offset:offset + count]
             for name in parts[0] if by_block or name not in _VISIT_DRAWS}
    if not by_block:
        generators = [np.random.default_rng([seed, 5, k]) for k in range(start, start + count)]
        for name, draw in _VISIT_DRAWS.items():
            drawn[name] = np.stack([draw(rng, visits) for rng in generators]) if count else np.zeros((0, visits))
    return drawn


def _templates(sources, objects):
    """Base objects whose newest ``_MAX_SOURCES`` source rows and diaObject row the synthetic objects copy."""
    oid = sources["r:diaObjectId"].astype("int64").to_numpy()
    starts = np.flatnonzero(np.r_[True, oid[1:] != oid[:-1]])
    ends = np.r_[starts[1:], len(oid)]
    object_pos = {int(i): p for p, i in enumerate(objects["r:diaObjectId"].astype("int64").to_numpy())}
    usable = [(end, object_pos[int(oid[s])]) for s, end in zip(starts, ends, strict=True)
              if end - s >= _MAX_SOURCES and int(oid[s]) in object_pos]
    if not usable:
        raise ValueError(f"extra objects need a base object with at least {_MAX_SOURCES} sources")
    ends, rows = (np.array(x) for x in zip(*usable, strict=True))
    return ends, rows


def _keys(salts, oids, times=None):
    # row_key(): parts joined with "_", floats with Python str (shortest repr)
    if times is None:
        return [f"{s}_{o}" for s, o in zip(salts, oids, strict=True)]
    return [f"{s}_{o}_{t!r}" for s, o, t in zip(salts, oids, times.tolist(), strict=True)]


def _visit(t):
    # mjd_to_visit cannot size its strings for no time at all (fp_rows=0)
    return mjd_to_visit(t) if len(t) else np.zeros(0, dtype=np.int64)


def _aggregates(n, src_obj, src_band, src_t, src_flux, src_err, fp_obj, fp_band, fp_flux, fp_err, fp_sci,
                fp_sci_err):
    """The diaObject per-band columns (``r:g_psfFluxMean``...) from the synthetic light curves."""
    # one cell per (object, band): key = object * 6 + band
    key = src_obj * 6 + src_band
    w = 1.0 / src_err**2
    count = np.bincount(key, minlength=n * 6)
    wf = np.bincount(key, w * src_flux, minlength=n * 6)
    sw = np.bincount(key, w, minlength=n * 6)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_plain = np.bincount(key, src_flux, minlength=n * 6) / count
        dev2 = np.bincount(key, (src_flux - mean_plain[key]) ** 2, minlength=n * 6)
        out = {
            "psfFluxMean": wf / sw,
            "psfFluxMeanErr": np.sqrt(1.0 / sw),
            "psfFluxSigma": np.where(count > 1, np.sqrt(dev2 / (count - 1)), np.nan),
            "psfFluxErrMean": np.bincount(key, src_err, minlength=n * 6) / count,
        }
    lo, hi, slope = np.full(n * 6, np.inf), np.full(n * 6, -np.inf), np.full(n * 6, -np.inf)
    np.minimum.at(lo, key, src_flux)
    np.maximum.at(hi, key, src_flux)
    # steepest change between consecutive detections in the band (sources are in time order per object)
    order = np.argsort(key, kind="stable")
    k, t, f = key[order], src_t[order], src_flux[order]
    same = k[1:] == k[:-1]
    np.maximum.at(slope, k[1:][same], (np.abs(np.diff(f)) / np.maximum(np.diff(t), 1e-3))[same])
    out["psfFluxMin"], out["psfFluxMax"] = lo, hi
    out["psfFluxMaxSlope"] = np.where(count > 1, slope, np.nan)
    fkey = fp_obj * 6 + fp_band
    fcount = np.bincount(fkey, minlength=n * 6)
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(np.maximum(fcount, 1))
        out["scienceFluxMean"] = np.bincount(fkey, fp_sci, minlength=n * 6) / fcount
        out["scienceFluxMeanErr"] = np.bincount(fkey, fp_sci_err, minlength=n * 6) / fcount / root
        out["fpFluxMean"] = np.bincount(fkey, fp_flux, minlength=n * 6) / fcount
        out["fpFluxMeanErr"] = np.bincount(fkey, fp_err, minlength=n * 6) / fcount / root
    columns = {}
    for b_idx, b in enumerate(BANDS):
        cells = np.arange(n) * 6 + b_idx
        detected = count[cells] > 0
        columns[f"r:{b}_psfFluxNdata"] = count[cells].astype(np.int64)
        for name, values in out.items():
            # like the base objects: no statistic at all in a band without detection
            columns[f"r:{b}_{name}"] = np.where(detected, values[cells], np.nan)
    return columns


def _check_sizes(dataset, count, fp_rows):
    for name, value, top in (("extra_objects", count, MAX_EXTRA_OBJECTS), ("extra_fp_rows", fp_rows,
                                                                            MAX_EXTRA_FP_ROWS)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value <= top:
            raise ValueError(f"{name} must be an integer in [0, {top}], not {value!r}")
    if len(dataset.extra_object_ids) + count > MAX_EXTRA_OBJECTS:
        raise ValueError(f"a dataset holds at most {MAX_EXTRA_OBJECTS} extra objects")


def _check_new_ids(base_obj, ids):
    taken = set(base_obj["r:diaObjectId"].astype("int64").tolist())
    if taken.intersection(int(i) for i in ids):
        raise ValueError("an extra object id is already in the dataset")


def _follow_new_objects(src_cols, src_oid, src_ra, src_dec):
    """Copied source cells that name the template object: trail positions and cross-match names follow the new one."""
    for name, values in (("r:trailRa", src_ra), ("r:trailDec", src_dec)):
        if name in src_cols:
            src_cols[name] = np.where(pd.isna(np.asarray(src_cols[name], dtype=float)), np.nan, values)
    names = {
        "f:xm_gaiadr3_DR3Name": lambda o: f"Gaia DR3 {o % 10**19:019d}",
        "f:xm_mangrove_HyperLEDA_name": lambda o: f"PGC{o % 10**6:06d}",
        "f:xm_mangrove_2MASS_name": lambda o: f"2MASX J{o % 10**8:08d}",
    }
    for name, make in names.items():
        if name in src_cols:
            values = np.asarray(src_cols[name], dtype=object)
            filled = ~pd.isna(values)
            values = values.copy()
            values[filled] = [make(int(o)) for o in src_oid[filled]]
            src_cols[name] = values


def add_extra_objects(dataset, count, fp_rows=20, *, seed=SEED):
    """
    A copy of a dataset with ``count`` synthetic diaObjects more in its objects, sources and fp tables.

    Each synthetic object has ``fp_rows`` forced-photometry rows (a Gaussian flare over noise,
    every band), 1 to 5 diaSources at its most significant visits, and a diaObject row whose
    per-band statistics are computed from them. The columns not derived from the light curve
    (shape, flags, classifier scores, cross-match labels) are copied from the newest alerts of
    a base object, so rows have the same columns, types and null patterns as the real ones;
    the TNS cross-match is cleared and the Gaia and Mangrove names follow the new id. The
    derived tables (conesearch pixels, tags, cutouts, resolvers) do not list them.

    Ids come from `extra_object_ids`, numbered on from the dataset's own extra objects; the
    values of object k depend only on ``seed``, k and ``fp_rows``.

    Parameters
    ----------
    dataset : astroquery_fink.testing.dataset.Dataset
    count : int
        Number of objects to add (0 returns ``dataset``).
    fp_rows : int, optional
        Forced-photometry rows per object.
    seed : int, optional

    Returns
    -------
    astroquery_fink.testing.dataset.Dataset
        With ``extra_object_ids`` extended by the new ids.
    """
    _check_sizes(dataset, count, fp_rows)
    if count == 0:
        return dataset
    src_name, obj_name, fp_name = TABLES["sources"], TABLES["objects"], TABLES["fp"]
    base_src, base_obj, base_fp = (dataset.tables[name] for name in (src_name, obj_name, fp_name))
    start = len(dataset.extra_object_ids)
    ids = extra_object_ids(count, start)
    _check_new_ids(base_obj, ids)
    oids = np.array([int(i) for i in ids], dtype=np.int64)
    salts = np.array([i[-3:] for i in ids], dtype=object)
    visits = max(fp_rows, _MAX_SOURCES)
    d = _draw(seed, start, count, visits)
    ends, template_rows = _templates(base_src, base_obj)
    template = (d["template"] * len(ends)).astype(np.int64)
    k = np.arange(start, start + count, dtype=np.int64)

    # light curves: one row per object, one column per visit
    t = d["t_start"][:, None] + np.cumsum(d["gaps"], axis=1)
    band = d["band"]
    peak = t[:, 0] + d["peak"] * (t[:, -1] - t[:, 0])
    model = d["amp"][:, None] * BAND_COLOUR[band] * np.exp(-(((t - peak[:, None]) / d["width"][:, None]) ** 2))
    err = np.hypot(BAND_NOISE[band], 0.03 * np.abs(model)) * d["err"]
    flux = model + d["noise"] * err
    host = d["host"][:, None] * TEMPLATE_SCALE  # per object and band
    sci = flux + np.take_along_axis(host, band, axis=1)
    sci_err = err * d["sci_err"]

    # forced photometry: the last fp_rows visits
    first_fp = visits - fp_rows
    fp_sl = np.s_[:, first_fp:]
    n_fp = count * fp_rows
    fp_obj = np.repeat(np.arange(count), fp_rows)
    fp_t = t[fp_sl].ravel()
    fp_band = band[fp_sl].ravel()
    fp_flux, fp_err = flux[fp_sl].ravel(), err[fp_sl].ravel()
    fp_bad = d["bad"][fp_sl].ravel()
    fp_cols = {
        "r:diaObjectId": nullable_int(oids[fp_obj]),
        "r:diaForcedSourceId": nullable_int(_FIRST_FP_ID + np.repeat(k, fp_rows) * 1_000_000
                                            + np.tile(np.arange(fp_rows), count)),
        "r:midpointMjdTai": fp_t,
        "r:band": BANDS[fp_band].astype(object),
        "r:ra": d["ra"][fp_obj],
        "r:dec": d["dec"][fp_obj],
        "r:detector": nullable_int(d["detector"][fp_sl].ravel()),
        "r:visit": nullable_int(_visit(fp_t)),
        "r:timeProcessedMjdTai": fp_t + d["processed"][fp_sl].ravel(),
        "r:timeWithdrawnMjdTai": np.full(n_fp, np.nan),
        "r:psfFlux": np.where(fp_bad, np.nan, fp_flux),
        "r:psfFluxErr": np.where(fp_bad, np.nan, fp_err),
        "r:scienceFlux": sci[fp_sl].ravel(),
        "r:scienceFluxErr": sci_err[fp_sl].ravel(),
        "r:salt": salts[fp_obj],
    }
    round_floats(fp_cols, table_schema("fp"), fp_cols)
    fp_frame = pd.DataFrame(fp_cols, index=pd.Index(_keys(salts[fp_obj], oids[fp_obj], fp_t)))

    # sources: the n_src most significant visits of each object, in time order
    best = np.argsort(-np.abs(flux) / err, axis=1, kind="stable")[:, :_MAX_SOURCES]
    slot = np.arange(_MAX_SOURCES)
    chosen = slot < d["n_src"][:, None]
    picked = np.sort(np.where(chosen, best, visits), axis=1)
    src_obj, src_slot = np.nonzero(chosen)
    vis = picked[chosen]
    src_t, src_band = t[src_obj, vis], band[src_obj, vis]
    factors = d["src_factors"][chosen]
    src_err = err[src_obj, vis] * (0.95 + 0.1 * factors[:, 0])
    raw = flux[src_obj, vis]
    # DIA sources are >= 5 sigma detections
    src_flux = np.where(np.abs(raw) < 5 * src_err, np.sign(raw + 1e-9) * (5.0 + d["src_boost"][chosen]) * src_err,
                        raw)
    n_src = d["n_src"]
    # template rows: the newest n_src alerts of the template object
    tpl_pos = ends[template][src_obj] - n_src[src_obj] + src_slot
    src_cols = {name: base_src[name].array.take(tpl_pos) for name in base_src.columns}
    src_oid = oids[src_obj]
    position = d["src_pos"][chosen]
    cos_dec = np.cos(np.radians(d["dec"][src_obj]))
    src_ra = d["ra"][src_obj] + position[:, 0] / cos_dec
    src_dec = d["dec"][src_obj] + position[:, 1]
    host_flux = host[src_obj, src_band]
    new = src_t >= BROKER_41_MJD  # fink-broker 4.1 processed these
    computed = {
        "r:diaObjectId": nullable_int(src_oid),
        "r:diaSourceId": nullable_int(_FIRST_SOURCE_ID + k[src_obj] * 8 + src_slot),
        "r:midpointMjdTai": src_t,
        "r:band": BANDS[src_band].astype(object),
        "r:ra": src_ra,
        "r:dec": src_dec,
        "r:visit": nullable_int(_visit(src_t)),
        "r:detector": nullable_int(d["detector"][src_obj, vis]),
        "r:timeProcessedMjdTai": src_t + d["src_processed"][chosen],
        "r:psfFlux": src_flux,
        "r:psfFluxErr": src_err,
        "r:snr": np.abs(src_flux) / src_err * (0.95 + 0.1 * factors[:, 1]),
        "r:apFlux": src_flux * (0.93 + 0.14 * factors[:, 2]),
        "r:apFluxErr": src_err * (1.1 + 0.2 * factors[:, 3]),
        "r:scienceFlux": src_flux + host_flux,
        "r:scienceFluxErr": src_err * (1.02 + 0.13 * factors[:, 4]),
        "r:templateFlux": host_flux,
        "r:isNegative": (src_flux < 0).astype(object),
        "r:salt": salts[src_obj],
        "f:fink_broker_version": np.where(new, "4.1", "4.0").astype(object),
        "f:fink_science_version": np.where(new, "8.36.0", "8.26.0").astype(object),
        # one TNS name per transient: the copied ones belong to the template objects
        "f:xm_tns_fullname": np.full(len(src_t), None, dtype=object),
        "f:xm_tns_type": np.full(len(src_t), None, dtype=object),
        "f:xm_tns_redshift": np.full(len(src_t), np.nan),
    }
    src_cols.update(computed)
    _follow_new_objects(src_cols, src_oid, src_ra, src_dec)
    src_cols = {name: values for name, values in src_cols.items() if name in base_src.columns}
    round_floats(src_cols, table_schema("sources"), computed)
    src_frame = pd.DataFrame(src_cols, index=pd.Index(_keys(salts[src_obj], src_oid, src_t)))

    # diaObject rows: the template's row with the identity, dates and per-band statistics of the new object
    obj_cols = {name: base_obj[name].array.take(template_rows[template]) for name in base_obj.columns}
    last = np.cumsum(n_src) - 1
    first = last - n_src + 1
    computed = {
        "r:diaObjectId": oids,
        "r:ra": d["ra"],
        "r:dec": d["dec"],
        "r:nDiaSources": n_src.astype(np.int64),
        "r:lastDiaSourceMjdTai": src_t[last],
        "r:validityStartMjdTai": src_t[last] + d["validity"],
        "r:salt": salts,
        "f:firstDiaSourceMjdTaiFink": src_t[first],
        # the latest alert of an object seen once is its first detection
        "f:is_first": n_src == 1,
        **_aggregates(count, src_obj, src_band, src_t, src_flux, src_err, fp_obj, fp_band, fp_flux, fp_err,
                      sci[fp_sl].ravel(), sci_err[fp_sl].ravel()),
    }
    obj_cols.update(computed)
    obj_cols = {name: values for name, values in obj_cols.items() if name in base_obj.columns}
    round_floats(obj_cols, table_schema("objects"), computed)
    obj_frame = pd.DataFrame(obj_cols, index=pd.Index(_keys(salts, oids)))

    tables = dict(dataset.tables)
    tables[src_name] = pd.concat([base_src, src_frame])
    tables[obj_name] = pd.concat([base_obj, obj_frame])
    tables[fp_name] = pd.concat([base_fp, fp_frame]) if fp_rows else base_fp
    return Dataset(tables=tables, schemas=dataset.schemas, extra_object_ids=dataset.extra_object_ids + tuple(ids))
