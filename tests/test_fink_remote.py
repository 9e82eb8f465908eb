"""Remote-data tests: the real Fink/LSST API by default, the embedded replica with --fink-server=replica.

They assert structure (columns, units, dtypes, exact ids, non-empty) rather than row counts, which
grow on the live service.
"""
import numpy as np
import pytest
from astropy import units as u
from astroquery.exceptions import NoResultsWarning, RemoteServiceError

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
    assert table.colnames == sorted(LIGHT_CURVE)
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
    # a JSON integer id crashes the real server (spec §1.2); the client never sends one itself
    with pytest.raises(RemoteServiceError, match="HTTP 500"):
        fink._send("POST", "fp", {"diaObjectId": FP_ID, "output-format": "json"}, cache=False)
