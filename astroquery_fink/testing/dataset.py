"""Deterministic, LSST-shaped content of the replica's HBase tables: alerts, objects, forced photometry and more."""

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .fields import table_schema
from .generate_helpers import (
    BAND_COLOUR,
    BAND_NOISE,
    BAND_WEIGHTS,
    BANDS,
    BROKER_41_MJD,
    SEED,
    TEMPLATE_SCALE,
    Columns,
    ObjectSpec,
    mjd_to_visit,
    nans,
    nones,
    nullable_int,
    round_floats,
    source_columns,
    unique_ids,
)
from .store import row_key

__all__ = [
    "Dataset",
    "TABLES",
    "REAL_OBJECT_IDS",
    "BIG_FP_OBJECT_ID",
    "KNOWN_SOURCE",
    "SPEC_SOURCE_IDS",
    "DEMO_OBJECT_ID",
    "NULL_BOOLEAN_OBJECT_ID",
    "default_dataset",
    "generate_dataset",
    "table_schema",
]

#: Endpoint -> HBase table its route scans on the server.
TABLES = {
    "sources": "rubin.diaSource_static",
    "objects": "rubin.diaObject",
    "fp": "rubin.fp",
    "conesearch": "rubin.pixel1024",
    "sso": "rubin.diaSource_sso",
    "cutouts": "rubin.cutouts",
    "statistics": "rubin.statistics",
    "tns_resolver": "rubin.tns_resolver",
    "sso_resolver": "rubin.sso_resolver",
}

#: Real diaObjectIds quoted by the server's tests, model examples, user docs and issues; all of them
#: exist in the generated data.
REAL_OBJECT_IDS = (
    "314003014107006318",
    "170261592629837872",
    "313875415113400364",
    "169298438257115164",
    "169298433216610349",
    "313761043604045880",
    "313699514821640259",
    "313756671442681875",
    "313888627082919999",
    "313972183328621131",
    "314051320305156133",
    "170028510532337794",
    "170587115523932323",
    "170635513156862219",
)

#: Object with at least 20 000 forced-photometry rows (benchmarks; one scan returns NLIMIT of them).
BIG_FP_OBJECT_ID = "169298438257115164"

#: (diaObjectId, midpointMjdTai) of a source the server's own tests look up (they expect exactly 1 row).
KNOWN_SOURCE = ("314003014107006318", 61176.9896294959)

#: Real diaSourceIds of the server's cutout tests, model example and docs; each is a source of an
#: existing object, with cutouts.
SPEC_SOURCE_IDS = ("170424319673368579", "169298437355340113", "170050479238676547")

# objects whose rows the recorded fixtures and the replica tests pin down
_UNTOUCHED_OBJECTS = ("314003014107006318", "313761043604045880", "170261592629837872", "170261592629840318")

#: The README's demo object. Its data hold cases a client has to survive, on purpose: its newest
#: diaSource has no ``r:isDipole`` cell (a null boolean first in newest-first tables), exactly one
#: of its forced-photometry rows has no ``r:psfFlux``, and ``r:timeWithdrawnMjdTai`` is never set.
DEMO_OBJECT_ID = "313761043604045880"

#: An object whose diaObject row has no ``f:is_cataloged`` cell (the cross-match did not conclude).
NULL_BOOLEAN_OBJECT_ID = "313699514821640259"


def _north(ra, dec, arcsec):
    """(ra, dec) moved ``arcsec`` along the meridian: separation exactly ``arcsec``."""
    return ra, dec + arcsec / 3600.0


def _east(ra, dec, arcsec):
    """(ra, dec) moved ``arcsec`` along the parallel (separation ``arcsec`` to < 1e-6 arcsec here)."""
    return ra + arcsec / 3600.0 / np.cos(np.radians(dec)), dec


# Objects placed around the conesearch positions of the server's tests and docs at known separations (arcsec from
# the position, for the object's mean position; the latest alert scatters by ~0.1 arcsec).
# (id, kind, ra, dec, n_src, n_fp, t_start, span, simbad, tns)
_EXTRA_OBJECTS = (
    # 7" east of (53.2514, -27.861); alive 2 days from 2026-01-07 10:00 TAI only: the server tests'
    # startdate/window/stopdate cases select it, startdate=2026-01-10 does not
    ("170043582149071227", "sn", *_east(53.2514, -27.861, 7.0), 5, 12, 61047.45, 1.9, "Unknown",
     ("AT 2026ak", None, np.nan)),
    ("313762118806337461", "var", *_north(61.964820, -48.713443, 25.0), 14, 40, 61060.0, 300.0, "Star", None),
    ("313755032990713512", "agn", *_north(8.986275, -42.709834, -9.0), 18, 50, 61040.0, 340.0, "QSO", None),
    ("313889004712635843", "nuclear", *_north(7.4550, -44.635, 45.0), 10, 30, 61100.0, 200.0, "G", None),
    ("313890577316982674", "var", *_north(7.4550, -44.635, -130.0), 20, 60, 61020.0, 360.0, "RRLyr", None),
    ("313887162041295805", "sn", *_north(7.4550, -44.635, 170.0), 8, 20, 61250.0, 70.0, "Unknown", None),
    ("313973390556212789", "sn", *_north(7.893627, -44.771556, -3.5), 6, 14, 61300.0, 40.0, "G", None),
    # around 10h02m38.65s +00d51m02.6s, a sexagesimal cone centre quoted upstream (radius 5")
    ("313907453120558196", "sn", *_north(150.6610416667, 0.8507222222, 1.2), 12, 30, 61160.0, 90.0, "G",
     ("SN 2026fyb", "SN Ia", 0.089)),
    ("313906882749143027", "var", *_north(150.6610416667, 0.8507222222, -6.5), 25, 70, 61010.0, 380.0, "Star", None),
    ("170588203947162415", "agn", *_north(327.088263, -11.829110, 30.0), 16, 45, 61030.0, 330.0, "QSO", None),
    # an early TNS supernova: in_tns alerts from 2025-12 on (the server's tags tests ask in_tns for up to 50)
    ("169001936485221760", "sn", 35.3112, -4.9021, 20, 45, 61012.0, 60.0, "G", ("SN 2025acqz", "SN Ia", 0.041)),
)

_N_SYNTHETIC = 26
_E15 = 1_000_000_000_000_000
_N_BIG_FP = 20_480
_T_MIN, _T_MAX = 61000.0, 61400.0


@dataclass(frozen=True)
class Dataset:
    """
    Content of the emulated HBase tables.

    Attributes
    ----------
    tables : mapping of str to pandas.DataFrame
        HBase table name (``rubin.fp``...) -> cells indexed by row key; NA = no cell. A dict,
        or (from `generate_dataset`) a mapping that makes each table on first use.
    schemas : mapping of str to dict of str to str
        HBase table name -> column -> HBase type (the table's schema row).
    extra_object_ids : tuple of str
        diaObjectIds of the synthetic objects added for benchmarks (`generate_dataset`'s
        ``extra_objects``), in the order they were generated; empty by default.
    """

    tables: dict
    schemas: dict
    extra_object_ids: tuple = ()


def _catalog(rng):
    """The objects: the real ids (``REAL_OBJECT_IDS``) with hand-picked roles, then synthetic ones."""
    fixed = {
        # id: (kind, ra, dec, n_src, n_fp, t_start, span, simbad, tns)
        "314003014107006318": ("sn", 53.2510, -27.8608, 24, 48, 61130.0, 110.0, "Unknown", None),
        "170261592629837872": ("var", 9.4521, -44.0217, 18, 28, 61040.0, 300.0, "RRLyr", None),
        "313875415113400364": ("agn", 35.7083, -4.7512, 30, 64, 61060.0, 320.0, "QSO", None),
        BIG_FP_OBJECT_ID: ("var", 150.1191, 2.2058, 40, _N_BIG_FP, 61005.0, 390.0, "Star", None),
        # TNS names (and the in_tns tag) for a few SN-like objects: only the f:xm_tns_* cells
        # depend on them, no random draw does
        "169298433216610349": ("sn", 150.3125, 2.0411, 15, 40, 61020.0, 90.0, "G", ("SN 2026ah", "SN Ia", 0.067)),
        "313761043604045880": ("sn", 61.964820, -48.713443, 20, 36, 61110.0, 120.0, "Unknown",
                               ("SN 2026dhm", "SN II", 0.022)),
        "313699514821640259": ("nuclear", 61.966190, -48.712110, 12, 30, 61090.0, 200.0, "G", None),
        "313756671442681875": ("var", 8.986275, -42.709834, 35, 90, 61050.0, 330.0, "EB*", None),
        "313888627082919999": ("sn", 7.4550, -44.6350, 22, 45, 61150.0, 100.0, "Unknown",
                               ("SN 2026bqe", "SN Ia", 0.054)),
        "313972183328621131": ("nuclear", 7.893627, -44.771556, 16, 38, 61080.0, 250.0, "G", None),
        "314051320305156133": ("agn", 52.9870, -28.1043, 26, 120, 61030.0, 350.0, "AGN", None),
        "170028510532337794": ("sn", 9.1042, -43.6580, 9, 20, 61200.0, 60.0, "Unknown",
                               ("SN 2026cxf", "SN II", 0.031)),
        "170587115523932323": ("sn", 327.088263, -11.829110, 7, 15, 61217.4109688703, 11.0116, "Unknown",
                               ("AT 2026kqt", None, np.nan)),
        "170635513156862219": ("var", 95.3710, -61.1520, 45, 160, 61010.0, 380.0, "Star", None),
    }
    objects = [ObjectSpec(oid, *spec) for oid, spec in fixed.items()]
    extra_ids = unique_ids(rng, _N_SYNTHETIC - 1, 169_000_000_000_000_000, 171_000_000_000_000_000)
    synthetic = [str(i) for i in extra_ids] + ["170261592629840318"]  # shares salt 318 with a real id
    kinds = np.array(["sn", "var", "agn", "nuclear"])
    labels = {"sn": ["Unknown", "G"], "var": ["Star", "RRLyr", "EB*"], "agn": ["QSO", "AGN"], "nuclear": ["G"]}
    fields = np.array([[53.2, -28.0], [9.45, -44.0], [35.7, -4.75], [150.1, 2.2], [61.24, -48.42]])
    for k, oid in enumerate(synthetic):
        kind = str(kinds[rng.integers(0, 4)])
        if k == 0:
            # an object 15 arcsec east of the conesearch centre of the server tests (53.2514, -27.861),
            # just outside their 10 arcsec radius (the 7 arcsec one is in _EXTRA_OBJECTS)
            ra, dec = 53.2514 + 15.0 / 3600 / np.cos(np.radians(27.861)), -27.861
        else:
            centre = fields[rng.integers(0, len(fields))]
            ra, dec = centre + rng.normal(0.0, 0.8, size=2)
        n_src = int(rng.integers(5, 61))
        n_fp = int(rng.integers(max(10, n_src + 5), 201))
        span = float(rng.uniform(20.0, 300.0)) if kind == "sn" else float(rng.uniform(120.0, 380.0))
        t_start = float(rng.uniform(_T_MIN + 2.0, _T_MAX - span - 2.0))
        simbad = str(rng.choice(labels[kind]))
        objects.append(ObjectSpec(oid, kind, float(ra), float(dec), n_src, n_fp, t_start, span, simbad))
    return objects


def _visit_times(rng, t_start, span, n):
    """n distinct observation times (>= 60 s apart) on Chilean nights within [t_start, t_start+span]."""
    nights = np.arange(np.floor(t_start), np.floor(t_start + span) + 1)
    # night hours in UTC: fraction of MJD in [-0.06, 0.40]; slots 90 s apart, jittered by < 30 s
    slots = min(int(np.ceil(n / len(nights))) + 4, 440)
    grid = -0.06 + np.arange(440) * (90.0 / 86400)
    picks = np.concatenate([
        night + np.sort(rng.choice(grid, size=slots, replace=False)) for night in nights
    ])
    picks = picks[(picks >= t_start) & (picks <= t_start + span)]
    chosen = np.sort(rng.choice(picks, size=n, replace=False))
    return chosen + rng.uniform(0.0, 30.0 / 86400, size=len(chosen))


def _model_flux(kind, t, band_idx, params):
    """Difference-image flux model in nJy."""
    amp, t0, scale = params
    colour = BAND_COLOUR[band_idx]
    if kind == "sn":
        x = t - t0
        return amp * colour * np.exp(-np.clip(x, 0, None) / (scale * 1.8)) / (1.0 + np.exp(-x / (scale * 0.25)))
    if kind == "var":
        return amp * colour * np.sin(2 * np.pi * (t - t0) / (scale / 60.0))
    if kind == "agn":
        return amp * colour * (np.sin(2 * np.pi * (t - t0) / scale) + 0.4 * np.sin(2 * np.pi * (t - t0) / (scale / 7)))
    return amp * colour * np.exp(-(((t - t0) / scale) ** 2))  # "nuclear" flare


def _pin_times(obj, t_fp, src_idx, order):
    """Put the detections of real answers at their exact times; returns the new source indices."""
    last = len(t_fp) - 1
    if obj.oid == "170587115523932323":
        # first and last detections of this object in a real conesearch answer (fink-broker issue #1213)
        t_fp[0], t_fp[last] = 61217.4109688703, 61228.4225541786
        inner = [i for i in order if i not in (0, last)][: obj.n_src - 2]
        src_idx = np.sort(np.asarray([0, last, *inner]))
    if obj.oid == KNOWN_SOURCE[0]:
        # the detection the server tests query, and a second one the same night so that the
        # prefix "61176" matches two sources (the time is matched as a prefix of the row key)
        mid = len(src_idx) // 2
        t_fp[src_idx[mid]] = KNOWN_SOURCE[1]
        t_fp[src_idx[mid - 1]] = 61176.0318245112
    return src_idx


def _sources_and_fp(rng, obj, params, template):
    """Light curve of one object: fp rows at every visit, sources at the most significant ones."""
    t_fp = _visit_times(rng, obj.t_start, obj.span, obj.n_fp)
    band_fp = rng.choice(6, size=len(t_fp), p=BAND_WEIGHTS)
    model = _model_flux(obj.kind, t_fp, band_fp, params)
    err_fp = np.hypot(BAND_NOISE[band_fp], 0.03 * np.abs(model)) * rng.uniform(0.85, 1.25, len(t_fp))
    flux_fp = model + rng.normal(0.0, 1.0, len(t_fp)) * err_fp
    order = np.argsort(-np.abs(model) / err_fp, kind="stable")
    src_idx = _pin_times(obj, t_fp, np.sort(order[: obj.n_src]), order)
    # pinned times may break the time order: re-sort everything, remapping the source indices
    resort = np.argsort(t_fp, kind="stable")
    rank = np.empty_like(resort)
    rank[resort] = np.arange(len(resort))
    t_fp, band_fp, err_fp, flux_fp = t_fp[resort], band_fp[resort], err_fp[resort], flux_fp[resort]
    src_idx = np.sort(rank[src_idx])
    fp = {
        "t": t_fp,
        "band": band_fp,
        "flux": flux_fp,
        "err": err_fp,
        "sci": flux_fp + template[band_fp],
        "sci_err": err_fp * rng.uniform(1.02, 1.15, len(t_fp)),
    }
    return fp, src_idx


def _fp_columns(rng, cols, obj, fp, ids):
    n = len(fp["t"])
    cols.add("r:diaObjectId", nullable_int(np.full(n, int(obj.oid))))
    cols.add("r:diaForcedSourceId", nullable_int(ids))
    cols.add("r:midpointMjdTai", fp["t"])
    cols.add("r:band", BANDS[fp["band"]].astype(object))
    cols.add("r:ra", np.full(n, obj.ra))
    cols.add("r:dec", np.full(n, obj.dec))
    cols.add("r:detector", nullable_int(rng.integers(0, 189, n)))
    cols.add("r:visit", nullable_int(mjd_to_visit(fp["t"])))
    # forced photometry runs with later alerts: processed 0.5 to 3 days after the exposure
    cols.add("r:timeProcessedMjdTai", fp["t"] + rng.uniform(0.5, 3.0, n))
    cols.add("r:timeWithdrawnMjdTai", nans(n))
    # a few measurements fail (no good pixels): missing PSF flux, as LSST's nullable floats allow
    bad = rng.random(n) < 0.02
    if obj.oid == DEMO_OBJECT_ID and bad.sum() != 1:
        # exactly one failed measurement for the demo object, whatever the draw gave
        bad[:] = False
        bad[n // 2] = True
    cols.add("r:psfFlux", np.where(bad, np.nan, fp["flux"]))
    cols.add("r:psfFluxErr", np.where(bad, np.nan, fp["err"]))
    cols.add("r:scienceFlux", fp["sci"])
    cols.add("r:scienceFluxErr", fp["sci_err"])
    cols.add("r:salt", np.full(n, obj.oid[-3:], dtype=object))


def _galaxy_columns(rng, add, obj, n, only_41):
    """The host-galaxy and TNS cross-match cells (``f:xm_legacydr8_*``, ``f:xm_mangrove_*``, ``f:xm_tns_*``)."""
    galaxy = obj.simbad == "G" or obj.kind in ("nuclear", "agn")
    zphot = rng.uniform(0.02, 0.6)
    add("f:xm_legacydr8_zphot", only_41(np.full(n, zphot if galaxy else np.nan)))
    add("f:xm_legacydr8_e_zphot", only_41(np.full(n, 0.08 * (1 + zphot) if galaxy else np.nan)))
    add("f:xm_legacydr8_pstar", only_41(np.full(n, rng.uniform(0, 0.2) if galaxy else np.nan)))
    add("f:xm_legacydr8_fqual", nullable_int(np.ones(n), mask=np.full(n, not galaxy)))
    mangrove = galaxy and obj.kind == "nuclear"
    add("f:xm_mangrove_HyperLEDA_name", np.full(n, f"PGC{int(obj.oid) % 10**6:06d}" if mangrove else None,
                                                dtype=object))
    add("f:xm_mangrove_2MASS_name", np.full(n, f"2MASX J{int(obj.oid) % 10**8:08d}" if mangrove else None,
                                            dtype=object))
    add("f:xm_mangrove_lum_dist", np.full(n, rng.uniform(40, 380) if mangrove else np.nan))
    add("f:xm_mangrove_ang_dist", np.full(n, rng.uniform(1, 30) if mangrove else np.nan))
    tns_name, tns_type, tns_z = obj.tns or (None, None, np.nan)
    add("f:xm_tns_fullname", only_41(np.full(n, tns_name, dtype=object)))
    add("f:xm_tns_type", np.full(n, tns_type, dtype=object))
    add("f:xm_tns_redshift", only_41(np.full(n, tns_z)))


def _crossmatch_columns(rng, add, obj, n, only_41):
    """The ``f:xm_*`` cells of one object's alerts (catalogue labels follow its kind and SIMBAD type)."""
    add("f:xm_simbad_otype", np.full(n, obj.simbad, dtype=object))
    star = obj.kind == "var"
    gaia_name = f"Gaia DR3 {int(obj.oid) % 10**19:019d}" if star else None
    add("f:xm_gaiadr3_DR3Name", np.full(n, gaia_name, dtype=object))
    add("f:xm_gaiadr3_Plx", np.full(n, rng.uniform(0.2, 3.0) if star else np.nan))
    add("f:xm_gaiadr3_e_Plx", np.full(n, rng.uniform(0.02, 0.3) if star else np.nan))
    add("f:xm_gaiadr3_VarFlag", np.full(n, ("VARIABLE" if obj.simbad != "Star" else "NOT_AVAILABLE") if star else None,
                                        dtype=object))
    vsx = {"RRLyr": "RRAB", "EB*": "EA"}.get(obj.simbad)
    add("f:xm_vsx_Type", np.full(n, vsx, dtype=object))
    add("f:xm_gcvs_type", np.full(n, "RRAB" if obj.simbad == "RRLyr" else None, dtype=object))
    add("f:xm_x3hsp_type", nones(n))
    add("f:xm_x4lac_type", np.full(n, "bll" if obj.simbad == "AGN" else None, dtype=object))
    add("f:xm_spicy_class", nones(n))
    _galaxy_columns(rng, add, obj, n, only_41)


def _fink_source_columns(rng, cols, obj, t, kind_scores):
    n = len(t)
    new = t >= BROKER_41_MJD
    add = cols.add

    def only_41(values):
        out = np.array(values, dtype=object if values.dtype == object else float)
        out[~new] = None if out.dtype == object else np.nan
        return out

    add("f:fink_broker_version", np.where(new, "4.1", "4.0").astype(object))
    add("f:fink_science_version", np.where(new, "8.36.0", "8.26.0").astype(object))
    add("f:lsst_schema_version", np.full(n, "lsst.v10_0", dtype=object))
    _crossmatch_columns(rng, add, obj, n, only_41)
    # classifiers: the early-SN Ia score needs 3 points; ELEPHANT runs on ~75% of the stamps
    early = np.clip(kind_scores[0] + rng.normal(0, 0.08, n), 0, 1)
    early[:2] = np.nan
    add("f:clf_earlySNIa_score", early)
    add("f:clf_snnSnVsOthers_score", np.clip(kind_scores[1] + rng.normal(0, 0.1, n), 0, 1))
    cats_class = {"sn": 11, "var": 21, "agn": 22, "nuclear": 13}[obj.kind]
    add("f:clf_cats_class", nullable_int(np.full(n, cats_class)))
    add("f:clf_cats_score", only_41(rng.uniform(0.4, 0.99, n)))
    eleph = rng.random(n) < 0.75
    add("f:clf_elephant_kstest_science", only_41(np.where(eleph, rng.uniform(0, 1, n), np.nan)))
    add("f:clf_elephant_kstest_template", only_41(np.where(eleph, rng.uniform(0, 1, n), np.nan)))
    reasons = np.array(["wfd", "wfd", "wfd", "ddf", "template_blue"], dtype=object)
    add("r:observation_reason", reasons[rng.integers(0, len(reasons), n)])
    targets = np.array(["lowdust", "lowdust", "dusty_plane", "ELAISS1", "COSMOS"], dtype=object)
    target = targets[rng.integers(0, len(targets), n)]
    target[rng.random(n) < 0.1] = None  # not every exposure has a target label
    add("r:target_name", target)
    add("r:salt", np.full(n, obj.oid[-3:], dtype=object))


def _object_row(rng, obj, t, band, flux, err, fp, sources):
    """diaObject record of the latest alert, aggregates per band."""
    row = {
        "r:diaObjectId": int(obj.oid),
        "r:ra": obj.ra,
        "r:dec": obj.dec,
        "r:raErr": rng.uniform(0.01, 0.05) / 3600,
        "r:decErr": rng.uniform(0.01, 0.05) / 3600,
        "r:ra_dec_Cov": rng.normal(0, 1e-13),
        "r:nDiaSources": len(t),
        "r:firstDiaSourceMjdTai": np.nan,  # not populated by Rubin (Fink's f:firstDiaSourceMjdTaiFink is)
        "r:lastDiaSourceMjdTai": float(t[-1]),
        "r:validityStartMjdTai": float(t[-1] + rng.uniform(100, 700) / 86400),
        "r:observation_reason": sources["r:observation_reason"][-1],
        "r:target_name": sources["r:target_name"][-1],
        "r:salt": obj.oid[-3:],
        "f:firstDiaSourceMjdTaiFink": float(t[0]),
        "f:is_sso": False,
        "f:is_first": False,
        "f:is_cataloged": None if obj.oid == NULL_BOOLEAN_OBJECT_ID else obj.simbad != "Unknown" or obj.kind == "var",
        "f:main_label_crossmatch": sources["f:xm_simbad_otype"][-1],
        "f:main_label_classifier": int(sources["f:clf_cats_class"][-1]),
    }
    if obj.oid == "170587115523932323":
        row["r:validityStartMjdTai"] = 61228.4242598533  # as in the real answer of issue #1213
    for b_idx, b in enumerate(BANDS):
        sel = band == b_idx
        f, e = flux[sel], err[sel]
        fp_sel = fp["band"] == b_idx
        row[f"r:{b}_psfFluxNdata"] = int(sel.sum())
        if sel.any():
            w = 1 / e**2
            mean = float(np.sum(w * f) / np.sum(w))
            slope = np.nan
            if sel.sum() > 1:
                dt = np.diff(t[sel])
                slope = float(np.max(np.abs(np.diff(f)) / np.maximum(dt, 1e-3)))
            row.update({
                f"r:{b}_psfFluxMean": mean,
                f"r:{b}_psfFluxMeanErr": float(np.sqrt(1 / np.sum(w))),
                f"r:{b}_psfFluxSigma": float(np.std(f, ddof=1)) if sel.sum() > 1 else np.nan,
                f"r:{b}_psfFluxErrMean": float(np.mean(e)),
                f"r:{b}_psfFluxMin": float(np.min(f)),
                f"r:{b}_psfFluxMax": float(np.max(f)),
                f"r:{b}_psfFluxMaxSlope": slope,
                f"r:{b}_scienceFluxMean": float(np.mean(fp["sci"][fp_sel])) if fp_sel.any() else np.nan,
                f"r:{b}_scienceFluxMeanErr": float(np.mean(fp["sci_err"][fp_sel]) / np.sqrt(max(fp_sel.sum(), 1))),
                f"r:{b}_fpFluxMean": float(np.mean(fp["flux"][fp_sel])) if fp_sel.any() else np.nan,
                f"r:{b}_fpFluxMeanErr": float(np.mean(fp["err"][fp_sel]) / np.sqrt(max(fp_sel.sum(), 1))),
            })
    return row


def _time_ordered_ids(rng, times, low, high):
    """Distinct ids in [low, high) for the concatenated ``times``, growing with time as Rubin's do."""
    times = np.concatenate(times)
    ids = unique_ids(rng, len(times), low, high)
    return ids[np.argsort(np.argsort(times, kind="stable"), kind="stable")]


# the detections whose dipole fit is unset whatever the draw: the oldest alert of the server tests' source,
# the newest of the demo object (r:isDipole is null there)
_NO_DIPOLE_FIT = {KNOWN_SOURCE[0]: (0,), DEMO_OBJECT_ID: (-1,)}
# r:timeProcessedMjdTai of the newest alert in the real answer of issue #1213
_ISSUE_1213 = ("170587115523932323", 61228.4242053883)


def _add_object(rng, batch, obj, fp, src_idx, template, src_ids, fp_ids):
    """Add the fp rows, diaSource rows and diaObject row of one object to ``batch``."""
    salt = obj.oid[-3:]
    _fp_columns(rng, batch.fp_cols, obj, fp, fp_ids)
    batch.fp_keys.extend(row_key(salt, obj.oid, float(x)) for x in fp["t"])
    per_object = Columns()
    t, band, flux, err = source_columns(rng, per_object, obj, fp, src_idx, src_ids, template,
                                        no_dipole_fit=_NO_DIPOLE_FIT.get(obj.oid, ()))
    if obj.oid == _ISSUE_1213[0]:
        per_object["r:timeProcessedMjdTai"][0][-1] = _ISSUE_1213[1]
    scores = {"sn": (0.7, 0.8), "var": (0.1, 0.15), "agn": (0.2, 0.3), "nuclear": (0.35, 0.5)}[obj.kind]
    _fink_source_columns(rng, per_object, obj, t, scores)
    flat = {name: parts[0] for name, parts in per_object.items()}
    for name, values in flat.items():
        batch.src_cols.add(name, values)
    batch.src_keys.extend(row_key(salt, obj.oid, float(x)) for x in t)
    batch.obj_rows.append(_object_row(rng, obj, t, band, flux, err, fp, flat))
    batch.obj_keys.append(row_key(salt, obj.oid))


def _generate_batch(rng, objects):
    """Light curves, forced photometry and diaObject rows of a list of objects, drawn from ``rng``."""
    params = [
        (rng.uniform(2_000, 60_000), o.t_start + rng.uniform(0.1, 0.5) * o.span, rng.uniform(10, 80)) for o in objects
    ]
    templates = [rng.uniform(0, 30_000) * TEMPLATE_SCALE for _ in objects]
    light = [_sources_and_fp(rng, o, p, tpl) for o, p, tpl in zip(objects, params, templates, strict=True)]
    src_ids = _time_ordered_ids(rng, [fp["t"][src] for fp, src in light], 169 * _E15, 171 * _E15)
    fp_ids = _time_ordered_ids(rng, [fp["t"] for fp, _ in light], 171 * _E15, 172 * _E15)
    batch = _Batch(Columns(), Columns(), [], [], [], [])
    i_src = i_fp = 0
    for obj, (fp, src_idx), tpl in zip(objects, light, templates, strict=True):
        n_fp, n_src = len(fp["t"]), len(src_idx)
        _add_object(rng, batch, obj, fp, src_idx, tpl, src_ids[i_src:i_src + n_src], fp_ids[i_fp:i_fp + n_fp])
        i_src += n_src
        i_fp += n_fp
    return batch


@dataclass
class _Batch:
    """Columns and row keys of the three tables for one batch of objects."""

    src_cols: Columns
    fp_cols: Columns
    obj_rows: list
    src_keys: list
    fp_keys: list
    obj_keys: list

    def extend(self, other):
        for mine, theirs in ((self.src_cols, other.src_cols), (self.fp_cols, other.fp_cols)):
            for name, parts in theirs.items():
                mine.setdefault(name, []).extend(parts)
        for name in ("obj_rows", "src_keys", "fp_keys", "obj_keys"):
            getattr(self, name).extend(getattr(other, name))


def _pin_source_ids(sources):
    """Give the real diaSourceIds (``SPEC_SOURCE_IDS``) to the batch-1 sources nearest in id (hence in time)."""
    ids = sources["r:diaSourceId"].astype("int64")
    taken = ids.isin([int(i) for i in SPEC_SOURCE_IDS]).any()
    if taken:
        raise ValueError("a generated diaSourceId equals one of the spec's")
    # leave the objects of the recorded fixtures and of the replica's own tests untouched
    spare = ~sources["r:diaObjectId"].astype("int64").isin([int(i) for i in _UNTOUCHED_OBJECTS])
    for target in SPEC_SOURCE_IDS:
        distance = (ids[spare] - int(target)).abs()
        sources.loc[distance.idxmin(), "r:diaSourceId"] = int(target)
        ids = sources["r:diaSourceId"].astype("int64")


def generate_dataset(seed=SEED, *, extra_objects=0, extra_fp_rows=20):
    """
    Generate the replica's data.

    Same seed, same bytes: the real-id objects and the synthetic ones are drawn from one
    ``numpy.random.default_rng(seed)``; the objects placed for the conesearch tests, the
    Solar-System objects, tags, statistics... from generators seeded with ``[seed, k]``.

    Each table is made on first use (``dataset.tables[name]``), with the tables it is derived
    from, and kept: a replica that answers one forced-photometry query never builds the
    others. The order of first use does not change what a table holds.

    Parameters
    ----------
    seed : int, optional
        Seed of the generator.
    extra_objects : int, optional
        Synthetic diaObjects added to the objects, sources and fp tables for benchmarks
        (see `astroquery_fink.testing.extra.add_extra_objects`); their ids are in
        ``Dataset.extra_object_ids``.
    extra_fp_rows : int, optional
        Forced-photometry rows of each extra object.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> from astroquery_fink.testing.dataset import TABLES, generate_dataset
    >>> data = generate_dataset()
    >>> data.tables
    <tables of the replica's dataset, 0 of 15 made>
    >>> fp = data.tables[TABLES["fp"]]  # made now, from the light curves of every object
    >>> int(fp["r:diaObjectId"].nunique())
    51
    """
    if extra_objects:
        from .extra import add_extra_objects

        return add_extra_objects(generate_dataset(seed), extra_objects, extra_fp_rows, seed=seed)
    tables = _LazyTables(_Generator(seed))
    return Dataset(tables=tables, schemas=_LazySchemas(tables))


class _Generator:
    """
    The steps that make the default dataset, each run once, on first use, under a lock.

    Every step draws from generators of its own (the tables made from one draw are made by
    one step) and never changes what another step returned, so that the tables come out the
    same whatever the order in which they are first used.
    """

    def __init__(self, seed):
        self.seed = seed
        self._lock = threading.RLock()  # reentrant: a step asks for the steps it derives from
        self._done = {}

    def result(self, step):
        """What a step returned (run now if it never ran)."""
        with self._lock:
            if step not in self._done:
                self._done[step] = getattr(self, f"_{step}")()
            return self._done[step]

    def _light_curves(self):
        # one stream for the real-id and synthetic objects; a second, independent batch keeps the
        # first one (and its recorded answers) unchanged
        rng = np.random.default_rng(self.seed)
        catalog = _catalog(rng)
        batch = _generate_batch(rng, catalog)
        extra = [ObjectSpec(*spec) for spec in _EXTRA_OBJECTS]
        batch.extend(_generate_batch(np.random.default_rng([self.seed, 1]), extra))
        tns_names = {o.oid: o.tns for o in catalog + extra if o.tns}
        return batch, tns_names

    def _sources(self):
        batch, _ = self.result("light_curves")
        schema = table_schema("sources")
        frame = batch.src_cols.frame(batch.src_keys)
        round_floats(frame, schema)
        _pin_source_ids(frame)
        return frame, schema

    def _fp(self):
        batch, _ = self.result("light_curves")
        schema = table_schema("fp")
        frame = batch.fp_cols.frame(batch.fp_keys)
        round_floats(frame, schema)
        return frame, schema

    def _objects(self):
        batch, _ = self.result("light_curves")
        schema = table_schema("objects")
        frame = pd.DataFrame(batch.obj_rows, index=pd.Index(batch.obj_keys))
        round_floats(frame, schema)
        return frame, schema

    def _conesearch(self):
        from . import pixels

        sources, objects = self.result("sources")[0], self.result("objects")[0]
        return pixels.pixel_table(sources, objects), table_schema("conesearch")

    def _tags(self):
        from .services import tag_lists

        frames = tag_lists.tag_tables(self.result("sources")[0])
        return {tag_lists.table_name(tag): (frame, table_schema("tags")) for tag, frame in frames.items()}

    def _solar_system(self):
        from .services import solar_system

        sso, sso_resolver = solar_system.tables(np.random.default_rng([self.seed, 2]))
        round_floats(sso, table_schema("sso"))
        return {TABLES["sso"]: (sso, table_schema("sso")),
                TABLES["sso_resolver"]: (sso_resolver, solar_system.RESOLVER_SCHEMA)}

    def _cutouts(self):
        from .services import cutout_service

        frames = [self.result("sources")[0], self.result("solar_system")[TABLES["sso"]][0]]
        return cutout_service.cutout_table(frames), cutout_service.TABLE_SCHEMA

    def _tns_resolver(self):
        from .services import resolvers

        return resolvers.tns_table(self.result("objects")[0], self.result("light_curves")[1])

    def _statistics(self):
        from .services import night_statistics

        return night_statistics.statistics_table(np.random.default_rng([self.seed, 3]))


def _table_steps():
    """HBase table name -> (step of `_Generator` making it, key in the step's dict result or None), in table order."""
    from .services import tag_lists

    steps = {TABLES[name]: (name, None) for name in ("sources", "fp", "objects", "conesearch")}
    steps.update({tag_lists.table_name(tag): ("tags", tag_lists.table_name(tag)) for tag in tag_lists.TAG_RULES})
    steps[TABLES["sso"]] = ("solar_system", TABLES["sso"])
    steps[TABLES["sso_resolver"]] = ("solar_system", TABLES["sso_resolver"])
    steps.update({TABLES[name]: (name, None) for name in ("cutouts", "tns_resolver", "statistics")})
    return steps


class _LazyTables(Mapping):
    """HBase table name -> cells (pandas.DataFrame), each table made on first use (see `generate_dataset`)."""

    def __init__(self, generator):
        self._generator = generator
        self._steps = _table_steps()

    def table_and_schema(self, name):
        """(cells, schema) of one table, made now if it was never used."""
        step, key = self._steps[name]
        result = self._generator.result(step)
        return result if key is None else result[key]

    def __getitem__(self, name):
        return self.table_and_schema(name)[0]

    def __iter__(self):
        return iter(self._steps)

    def __len__(self):
        return len(self._steps)

    def made(self):
        """
        Names of the tables made so far.

        Returns
        -------
        list of str
        """
        done = self._generator._done
        return [name for name, (step, _) in self._steps.items() if step in done]

    def __repr__(self):
        return f"<tables of the replica's dataset, {len(self.made())} of {len(self)} made>"


class _LazySchemas(Mapping):
    """HBase table name -> schema; a table's schema comes with its cells (two are only known then)."""

    def __init__(self, tables):
        self._tables = tables

    def __getitem__(self, name):
        return self._tables.table_and_schema(name)[1]

    def __iter__(self):
        return iter(self._tables)

    def __len__(self):
        return len(self._tables)


@functools.cache
def default_dataset():
    """
    The replica's default data, generated once per process.

    Returns
    -------
    Dataset
    """
    return generate_dataset()
