"""Remote-data tests: the real Fink/LSST API by default, the embedded replica with --fink-server=replica.

They assert structure (columns, units, dtypes, exact ids, non-empty) rather than row counts, which
grow on the live service.
"""
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astroquery.exceptions import InvalidQueryError, MaxResultsWarning, NoResultsWarning, RemoteServiceError

from astroquery_fink import query

pytestmark = pytest.mark.remote_data

FP_ID = 313761043604045880
SOURCES_ID = 314003014107006318
OTHER_ID = 170261592629837872
UNKNOWN_ID = 123456789012345678
FP_COLUMNS = {
    "r:band", "r:dec", "r:detector", "r:diaForcedSourceId", "r:diaObjectId", "r:midpointMjdTai", "r:psfFlux",
    "r:psfFluxErr", "r:ra", "r:scienceFlux", "r:scienceFluxErr", "r:timeProcessedMjdTai",
    "r:timeWithdrawnMjdTai", "r:visit",
}
LIGHT_CURVE = ["r:diaObjectId", "r:diaSourceId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr"]


def test_forced_photometry(fink):
    table = fink.query_forced_photometry(FP_ID)
    assert len(table) > 0
    assert FP_COLUMNS <= set(table.colnames)
    assert np.all(table["r:diaObjectId"] == FP_ID)
    assert table["r:diaObjectId"].dtype == np.int64
    assert table["r:psfFlux"].unit == u.nJy
    assert table["r:ra"].unit == u.deg
    assert table["r:midpointMjdTai"].unit == u.day
    assert np.all(np.diff(table["r:midpointMjdTai"]) <= 0)  # newest first
    assert table.meta["url"].endswith("/api/v1/fp")


def test_sources_with_columns(fink):
    table = fink.query_sources(SOURCES_ID, columns=LIGHT_CURVE)
    assert len(table) > 0
    # the light curve's columns lead, in this order; the others follow as asked
    lead = ["r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr"]
    assert table.colnames == lead + [name for name in LIGHT_CURVE if name not in lead]
    assert table["r:diaSourceId"].dtype == np.int64
    assert table["r:band"].dtype.kind == "U"
    assert table["r:psfFluxErr"].unit == u.nJy


def test_sources_at_one_time(fink):
    table = fink.query_sources(SOURCES_ID, midpoint_mjd_tai=61176.9896294959, columns=LIGHT_CURVE)
    assert len(table) == 1
    assert table["r:midpointMjdTai"][0] == pytest.approx(61176.9896294959, abs=1e-9)


def test_object_summary(fink):
    table = fink.query_object(SOURCES_ID)
    assert len(table) == 1
    assert table["r:diaObjectId"][0] == SOURCES_ID
    assert table["r:ra"].unit == u.deg
    assert table["f:firstDiaSourceMjdTaiFink"].unit == u.day
    assert table["f:is_sso"].dtype == bool


def test_several_ids_are_the_union_of_single_queries(fink):
    both = fink.query_sources([SOURCES_ID, OTHER_ID], columns=LIGHT_CURVE)
    first = fink.query_sources(SOURCES_ID, columns=LIGHT_CURVE)
    second = fink.query_sources(OTHER_ID, columns=LIGHT_CURVE)
    assert len(both) == len(first) + len(second)
    assert set(both["r:diaSourceId"]) == set(first["r:diaSourceId"]) | set(second["r:diaSourceId"])


@pytest.mark.parametrize("output_format", ["json", "csv", "parquet"])
def test_same_table_whatever_the_format(fink, output_format):
    reference = fink.query_forced_photometry(FP_ID, output_format="votable")
    other = fink.query_forced_photometry(FP_ID, output_format=output_format)
    assert other.colnames == reference.colnames
    for name in reference.colnames:
        assert other[name].dtype == reference[name].dtype, name
        assert other[name].unit == reference[name].unit, name
    assert list(other["r:diaForcedSourceId"]) == list(reference["r:diaForcedSourceId"])
    np.testing.assert_allclose(other["r:psfFlux"].filled(np.nan), reference["r:psfFlux"].filled(np.nan),
                               rtol=1e-9, equal_nan=True)


def test_unknown_object_is_empty_with_warning(fink):
    with pytest.warns(NoResultsWarning):
        table = fink.query_forced_photometry(UNKNOWN_ID)
    assert len(table) == 0
    assert FP_COLUMNS <= set(table.colnames)


def test_schema_of_forced_photometry(fink):
    schema = fink.get_schema("fp")
    assert FP_COLUMNS == set(schema["name"])
    assert schema.loc["r:psfFlux"]["unit"] == u.nJy
    assert all(schema["description"])


def test_schema_of_sources_has_lsst_and_fink_families(fink):
    schema = fink.get_schema("/api/v1/sources")
    assert {"r", "f"} <= set(schema["family"])
    assert schema.loc["r:psfFlux"]["unit"] == u.nJy


def test_server_crash_is_reported(fink):
    # a JSON integer id makes the real server answer HTTP 500 (ids must be JSON strings); the client never sends one
    with pytest.raises(RemoteServiceError, match="HTTP 500"):
        query.exchange(fink, "POST", "fp", {"diaObjectId": FP_ID, "output-format": "json"}, cache=False,
                       read=lambda response: response)


# --- the other endpoints (issue #3) -------------------------------------------------------------

CENTRE = SkyCoord(53.2514, -27.861, unit="deg")
CUTOUT_SOURCE = 170424319673368579


def test_cone_search(fink):
    table = fink.query_region(CENTRE, 10 * u.arcsec)
    assert len(table) >= 1
    assert table["v:separation_arcsec"].unit == u.arcsec  # the server's v:separation_degree, in arcsec
    assert np.all(table["v:separation_arcsec"] <= 10 + 1e-6)
    assert np.all(np.diff(table["v:separation_arcsec"]) >= 0)  # nearest first
    assert len(set(table["r:diaObjectId"])) == len(table)  # one row per object
    assert table["r:ra"].unit == u.deg


def test_cone_search_smaller_radius_is_a_subset(fink):
    small = fink.query_region(CENTRE, 5, columns="r:diaObjectId")
    large = fink.query_region(CENTRE, 10, columns="r:diaObjectId")
    assert set(small["r:diaObjectId"]) <= set(large["r:diaObjectId"])
    assert {"r:ra", "r:dec", "r:midpointMjdTai", "v:separation_arcsec"} <= set(small.colnames)


def test_cone_search_empty_sky(fink):
    with pytest.warns(NoResultsWarning):
        table = fink.query_region(SkyCoord(0, 80, unit="deg"), 1 * u.arcsec)
    assert len(table) == 0


def test_tags_list_and_latest_alerts(fink):
    tags = fink.list_tags()
    assert "in_tns" in tags["tag"]
    assert tags["api_support"][list(tags["tag"]).index("in_tns")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        latest = fink.query_tags("in_tns", n=5, columns="r:diaObjectId,r:midpointMjdTai,f:xm_tns_fullname")
    assert 0 < len(latest) <= 5
    assert latest["r:diaObjectId"].dtype == np.int64
    assert np.all(np.diff(latest["r:midpointMjdTai"]) <= 0)
    if len(latest) == 5:
        assert any(issubclass(w.category, MaxResultsWarning) for w in caught)


def test_unknown_tag_refused_with_list(fink):
    with pytest.raises(InvalidQueryError, match="in_tns"):
        fink.query_tags("no_such_tag")


def test_solar_system_object(fink):
    table = fink.query_sso("2015 BC557", columns="r:midpointMjdTai,r:psfFlux,r:band,r:ssObjectId")
    assert len(table) > 0
    assert table["r:psfFlux"].unit == u.nJy
    assert "f:sso_name" in table.colnames
    assert table["r:ssObjectId"].dtype == np.int64


def test_solar_system_ephemerides(fink):
    table = fink.query_sso("J96T28C", with_ephemerides=True)
    assert len(table) > 0
    assert table["Phase"].unit == u.deg
    assert table["i:magpsf_red"].unit == u.mag


def test_resolve_tns_name(fink):
    table = fink.resolve("SN 2022and")
    assert len(table) > 0
    assert table["f:ra"].unit == u.deg and table["f:ra"].dtype == np.float64
    assert table["f:redshift"].dtype == np.float64


def test_resolve_ssodnet_reverse(fink):
    table = fink.resolve(21164728071239491, resolver="ssodnet", reverse=True)
    assert "2015 BC557" in set(table["r:unpacked_primary_provisional_designation"])
    assert table["r:ssObjectId"].dtype == np.int64


def test_cutouts_in_every_format(fink):
    hdus = fink.get_cutouts(CUTOUT_SOURCE, kind="Science", output_format="FITS")
    assert hdus[0].data.ndim == 2
    stamp = fink.get_cutouts(CUTOUT_SOURCE, kind="Difference", output_format="array")
    assert stamp.ndim == 2 and stamp.dtype == np.float64
    stamps = fink.get_cutouts(CUTOUT_SOURCE, kind="All", output_format="array")
    assert set(stamps) == {"Science", "Template", "Difference"}
    png = fink.get_cutouts(CUTOUT_SOURCE, output_format="PNG")
    assert png.startswith(b"\x89PNG")


def test_cutouts_unknown_source(fink):
    with pytest.warns(NoResultsWarning):
        png = fink.get_cutouts(123456789012345678, output_format="PNG")
    assert png == b""


def test_statistics_of_one_night(fink):
    table = fink.query_statistics("20251102")
    assert len(table) == 1
    assert table["f:night"][0] == 20251102
    assert table["f:alerts"].dtype == np.int64 and table["f:alerts"][0] > 0


def test_blocks(fink):
    blocks = fink.list_blocks()
    assert "b_is_new" in blocks["block"]
    assert all(blocks["description"])


def test_schema_of_cone_search(fink):
    schema = fink.get_schema("conesearch")
    assert {"r", "f"} <= set(schema["family"])
