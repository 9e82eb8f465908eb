"""Fink filters as the server lists them (tags, blocks of fink-filters 7.35) and the ``rubin.tag_<tag>`` tables."""

import numpy as np
import pandas as pd

from ..store import row_key

__all__ = ["TAGS", "BLOCKS", "table_name", "tag_tables", "TAG_RULES"]

#: tag -> (description, API support) of fink-filters 7.35, in ``pkgutil.iter_modules``
#: order, i.e. sorted module names of ``fink_filters.rubin.livestream`` (as ``GET /api/v1/tags`` lists them).
TAGS = {
    "extragalactic_lt20mag_candidate": (
        "Select alerts that are rising, bright (mag < 20), and extragalactic candidates", True),
    "extragalactic_new_candidate": (
        "Select LSST alerts new (< 5days first apparition), bright (mag < 24), potentially extragalactic with a "
        "fading or rising rate passing the cuts", True),
    "extragalactic_svom": (
        "Select LSST alerts new (< 5days first apparition), bright (mag < 24), potentially extragalactic", False),
    "hostless_candidate": (
        "Select LSST alerts that are hostless according to ELEPHANT. See https://arxiv.org/abs/2404.18165.", True),
    "in_tns": (
        "Select alerts with a known counterpart in TNS (AT or confirmed) at the time of emission by Rubin", True),
    "most_likely_sn": (
        "Selects alerts that are likely to be SN, based on SuperNNova and CATS classifiers.", True),
    "remove_unlikely_transients": (
        "Filters out alerts unlikely to be transients of interest to the DESC community.", False),
    "sn_near_galaxy_candidate": (
        "Select alerts matching in catalogs to a galaxy and properties consistent with SNe", True),
    "uniform_sample": ("Select 1% of all live alerts in a uniformly random way", False),
}

#: block -> first docstring line, fink-filters 7.35 (as ``GET /api/v1/blocks`` lists them).
BLOCKS = {
    "b_extragalactic_loose_candidate": "Flag for alerts in Rubin that are extragalactic candidates",
    "b_extragalactic_near_galaxy_candidate":
        "Flag for alerts in Rubin that are extragalactic candidates near a known galaxy",
    "b_good_quality": "Select alerts with good quality for science",
    "b_is_fading": "Return alerts with fading lightcurve in one filter.",
    "b_is_new": "Return alerts for which the underlying object is seen for the first time by Rubin",
    "b_is_rising": "Return alerts with rising lightcurve in one filter.",
    "b_is_solar_system": "Return alerts that are asteroids according to Rubin",
    "b_outside_galactic_plane_20_deg": "Return alerts outside the galactic plane (+/- |20| deg)",
    "b_outside_galactic_plane_5_deg": "Return alerts outside the galactic plane (+/- |5| deg)",
    "b_xmatched_gaia_star": "Return alerts xmatched to stars with good parallax with Gaia.",
    "b_xmatched_mangrove": "Return alerts xmatched with a Mangrove galaxy.",
    "b_xmatched_simbad_galaxy": "Return alerts xmatched to a galaxy with SIMBAD.",
    "b_xmatched_simbad_unknown": "Return alerts xmatched as unknown or failed with SIMBAD.",
    "b_xmatched_vsx": "Return alerts xmatched with stellar and non-stellar sources from VSX catalogue.",
    "b_xmatched_vsx_star": "Return alerts xmatched with stellar sources from VSX catalogue.",
}

# mag 20 and mag 24 with the zero point 31.4 the server uses for LSST nJy fluxes
_FLUX_MAG20 = 10 ** ((31.4 - 20.0) / 2.5)
_FLUX_MAG24 = 10 ** ((31.4 - 24.0) / 2.5)


def table_name(tag):
    """
    HBase table of a tag: ``rubin.tag_<tag>``.

    Parameters
    ----------
    tag : str

    Returns
    -------
    str
    """
    return f"rubin.tag_{tag}"


def _not_star(src):
    return src["f:xm_gaiadr3_DR3Name"].isna() & ~src["f:xm_simbad_otype"].isin(["Star", "RRLyr", "EB*"])


def _rising(src):
    # flux above the previous alert of the same object, in any band
    by_time = src.sort_values("r:midpointMjdTai", kind="stable")
    previous = by_time.groupby("r:diaObjectId")["r:psfFlux"].shift()
    return (by_time["r:psfFlux"] > previous).reindex(src.index, fill_value=False)


def _age(src):
    first = src.groupby("r:diaObjectId")["r:midpointMjdTai"].transform("min")
    return src["r:midpointMjdTai"] - first


def _sn_like(src):
    return (src["f:clf_cats_class"] == 11).fillna(False) & (src["f:clf_snnSnVsOthers_score"] > 0.5)


def _near_galaxy(src):
    return (src["f:xm_simbad_otype"] == "G") | src["f:xm_mangrove_HyperLEDA_name"].notna()


#: tag -> selection of alerts (a frame of diaSource_static cells -> boolean mask). The real
#: filters run in the broker; these are simplified versions with the same intent [guess].
TAG_RULES = {
    "in_tns": lambda s: s["f:xm_tns_fullname"].notna() | s["f:xm_tns_type"].notna(),
    "most_likely_sn": lambda s: _sn_like(s),
    "sn_near_galaxy_candidate": lambda s: _sn_like(s) & _near_galaxy(s),
    "extragalactic_lt20mag_candidate": lambda s: _not_star(s) & _rising(s) & (s["r:psfFlux"] > _FLUX_MAG20),
    "extragalactic_new_candidate": lambda s: _not_star(s) & (_age(s) < 5.0) & (s["r:psfFlux"] > _FLUX_MAG24),
    "hostless_candidate": lambda s: _not_star(s) & (s["f:clf_elephant_kstest_science"] < 0.25)
    & (s["f:clf_elephant_kstest_template"] < 0.25),
}


def tag_tables(sources):
    """
    The alerts of every tag with API support, keyed ``midpointMjdTai_diaObjectId`` (range-scanned by time).

    Parameters
    ----------
    sources : pandas.DataFrame
        ``rubin.diaSource_static`` cells; a tag table holds the same 131 columns.

    Returns
    -------
    dict of str to pandas.DataFrame
    """
    tables = {}
    for tag, rule in TAG_RULES.items():
        rows = sources[np.asarray(rule(sources), dtype=bool)]
        keys = [row_key(float(t), int(o)) for t, o in zip(rows["r:midpointMjdTai"], rows["r:diaObjectId"], strict=True)]
        tables[tag] = rows.set_axis(pd.Index(keys))
    return tables
