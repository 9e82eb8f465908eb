"""Replica behaviours that come from the server's machinery: HashMap row order, rows that vanish
under ``columns``, VOTable/parquet failures on nulls, and the inclusive healpix disc of the cone search."""
import io

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import votable

from astroquery_fink.testing.dataset import DEMO_OBJECT_ID, NULL_BOOLEAN_OBJECT_ID, default_dataset
from astroquery_fink.testing.store import java_hashmap_order

from .replica_http import INTERNAL, java_hashmap_iteration, parquet_frame, post, records

OTHER_ID = "170261592629837872"  # newest alert with an isDipole value, objects row without null
KNOWN_ID = "314003014107006318"


def keys_of(ids):
    return [f"{i[-3:]}_{i}" for i in ids]


def fmt(name):
    return {"output-format": name}


# --- row order: java.util.HashMap ---------------------------------------------------------------------


def test_hashmap_order_of_the_documented_example():
    # four objects asked in this order come back in this order from the real server (checked on a JVM)
    asked = ["313761043604045880", "313699514821640259", "314003014107006318", "169830579938263176"]
    shown = ["169830579938263176", "313699514821640259", "314003014107006318", "313761043604045880"]
    keys = keys_of(asked)
    assert [keys[i] for i in java_hashmap_order(keys)] == keys_of(shown)
    assert java_hashmap_iteration(keys) == keys_of(shown)


@pytest.mark.parametrize("n", [1, 12, 13, 24, 25, 97, 400, 3000])
def test_hashmap_order_matches_a_literal_simulation_across_resizes(n):
    # real row keys of the fp table: the table grows from 16 buckets, doubling past 3/4 full
    keys = list(default_dataset().tables["rubin.fp"].index[:n])
    assert [keys[i] for i in java_hashmap_order(keys)] == java_hashmap_iteration(keys)


def test_objects_come_in_hashmap_order(http, url):
    # the documented example without its fourth object (not in the replica): same relative order
    asked = "313761043604045880,313699514821640259,314003014107006318"
    rows = records(post(http, url, "/api/v1/objects", diaObjectId=asked, columns="r:diaObjectId"))
    assert [str(row["r:diaObjectId"]) for row in rows] == ["313699514821640259", "314003014107006318",
                                                           "313761043604045880"]
    many = ["313761043604045880", "313699514821640259", "314003014107006318", OTHER_ID, "313875415113400364",
            "169298438257115164", "169298433216610349", "313756671442681875", "313888627082919999",
            "313972183328621131", "314051320305156133", "170028510532337794", "170587115523932323",
            "170635513156862219"]
    for ids in (many, many[::-1]):
        frame = parquet_frame(post(http, url, "/api/v1/objects", diaObjectId=",".join(ids), **fmt("parquet")))
        assert list(frame.index) == java_hashmap_iteration(keys_of(ids))


@pytest.mark.parametrize("endpoint", ["/api/v1/sources", "/api/v1/fp"])
def test_rows_without_time_column_come_in_hashmap_order(http, url, endpoint):
    ids = [DEMO_OBJECT_ID, KNOWN_ID, OTHER_ID]
    frame = parquet_frame(post(http, url, endpoint, diaObjectId=",".join(ids), columns="r:diaObjectId",
                               **fmt("parquet")))
    # insertion order: one prefix scan per id, each in row-key order
    inserted = [key for i in ids for key in sorted(k for k in frame.index if k.startswith(f"{i[-3:]}_{i}"))]
    assert len(inserted) == len(frame) > 30
    assert list(frame.index) == java_hashmap_iteration(inserted)
    # with the time column: newest first across the ids
    timed = parquet_frame(post(http, url, endpoint, diaObjectId=",".join(ids), columns="r:midpointMjdTai",
                               **fmt("parquet")))
    assert list(timed["r:midpointMjdTai"]) == sorted(timed["r:midpointMjdTai"], reverse=True)
    assert sorted(timed.index) == sorted(frame.index)


def test_tags_without_time_column_are_oldest_first(http, url):
    payload = {"tag": "in_tns", "n": 7}
    newest = records(post(http, url, "/api/v1/tags", columns="r:diaSourceId,r:midpointMjdTai", **payload))
    assert [row["r:midpointMjdTai"] for row in newest] == sorted((row["r:midpointMjdTai"] for row in newest),
                                                                 reverse=True)
    frame = parquet_frame(post(http, url, "/api/v1/tags", columns="r:diaSourceId", **payload, **fmt("parquet")))
    # the same n alerts, in ascending row key (midpointMjdTai_diaObjectId): oldest first
    assert list(frame.index) == sorted(frame.index)
    assert list(frame["r:diaSourceId"]) == [row["r:diaSourceId"] for row in newest[::-1]]


# --- rows vanish under columns= ----------------------------------------------------------------------------


def test_fp_row_without_the_selected_cell_vanishes(http, url):
    full = records(post(http, url, "/api/v1/fp", diaObjectId=DEMO_OBJECT_ID))
    assert sum(row["r:psfFlux"] is None for row in full) == 1
    assert all(row["r:timeWithdrawnMjdTai"] is None for row in full)
    flux = records(post(http, url, "/api/v1/fp", diaObjectId=DEMO_OBJECT_ID, columns="r:psfFlux"))
    assert len(flux) == len(full) - 1
    assert records(post(http, url, "/api/v1/fp", diaObjectId=DEMO_OBJECT_ID, columns="r:timeWithdrawnMjdTai")) == []
    # a never-null column in the selection keeps every row
    kept = records(post(http, url, "/api/v1/fp", diaObjectId=DEMO_OBJECT_ID, columns="r:psfFlux,r:diaObjectId"))
    assert len(kept) == len(full)


def test_rows_vanish_on_the_other_hbase_routes(http, url):
    full = records(post(http, url, "/api/v1/sources", diaObjectId=DEMO_OBJECT_ID))
    dipoles = records(post(http, url, "/api/v1/sources", diaObjectId=DEMO_OBJECT_ID, columns="r:isDipole"))
    assert len(dipoles) == sum(row["r:isDipole"] is not None for row in full) < len(full)
    assert records(post(http, url, "/api/v1/objects", diaObjectId=NULL_BOOLEAN_OBJECT_ID,
                        columns="f:is_cataloged")) == []
    assert records(post(http, url, "/api/v1/tags", tag="in_tns", columns="r:timeWithdrawnMjdTai")) == []


# --- VOTable and parquet 500s, pandas 3 -----------------------------------------------------------------


def test_pandas3_votable_500_when_the_newest_alert_has_a_null_boolean(http, url):
    for columns in ({}, {"columns": "r:isDipole,r:midpointMjdTai"}):
        rows = records(post(http, url, "/api/v1/sources", diaObjectId=DEMO_OBJECT_ID, **columns))
        assert rows[0]["r:isDipole"] is None and any(row["r:isDipole"] is not None for row in rows)
        failed = post(http, url, "/api/v1/sources", diaObjectId=DEMO_OBJECT_ID, **columns, **fmt("votable"))
        assert (failed.status_code, failed.content) == (500, INTERNAL)
        for name in ("csv", "parquet"):
            assert post(http, url, "/api/v1/sources", diaObjectId=DEMO_OBJECT_ID, **columns, **fmt(name)).ok
    # the null in a later row is written (an empty cell)
    ok = post(http, url, "/api/v1/sources", diaObjectId=OTHER_ID, columns="r:isDipole,r:midpointMjdTai",
              **fmt("votable"))
    table = votable.parse(io.BytesIO(ok.content)).get_first_table().to_table(use_names_over_ids=True)
    assert len(table) == len(records(post(http, url, "/api/v1/sources", diaObjectId=OTHER_ID)))


def test_pandas3_votable_500_for_an_object_row_with_a_null_boolean(http, url):
    # HashMap order puts NULL_BOOLEAN_OBJECT_ID (no f:is_cataloged cell) before the demo object
    ids = f"{DEMO_OBJECT_ID},{NULL_BOOLEAN_OBJECT_ID}"
    rows = records(post(http, url, "/api/v1/objects", diaObjectId=ids))
    assert [str(row["r:diaObjectId"]) for row in rows] == [NULL_BOOLEAN_OBJECT_ID, DEMO_OBJECT_ID]
    assert rows[0]["f:is_cataloged"] is None and rows[1]["f:is_cataloged"] is False
    for columns in ({}, {"columns": "f:is_cataloged,f:is_sso"}):
        failed = post(http, url, "/api/v1/objects", diaObjectId=ids, **columns, **fmt("votable"))
        assert (failed.status_code, failed.content) == (500, INTERNAL)
        for name in ("csv", "parquet"):
            assert post(http, url, "/api/v1/objects", diaObjectId=ids, **columns, **fmt(name)).status_code == 200
    # alone, the object's boolean column is null-filled (a str column) or absent: written fine
    for columns in ({}, {"columns": "f:is_cataloged,f:is_sso"}):
        alone = post(http, url, "/api/v1/objects", diaObjectId=NULL_BOOLEAN_OBJECT_ID, **columns, **fmt("votable"))
        assert alone.status_code == 200


# --- VOTable and parquet 500s, pandas 2 -----------------------------------------------------------------


def test_pandas2_votable_500_on_a_full_read(http, fink_replica_pandas2):
    # text columns no row has (here the TNS name) are null-filled with None under pandas 2
    rows = records(post(http, fink_replica_pandas2, "/api/v1/sources", diaObjectId=OTHER_ID))
    assert all(row["f:xm_tns_fullname"] is None for row in rows)
    failed = post(http, fink_replica_pandas2, "/api/v1/sources", diaObjectId=OTHER_ID, **fmt("votable"))
    assert (failed.status_code, failed.content) == (500, INTERNAL)
    assert post(http, fink_replica_pandas2, "/api/v1/sources", diaObjectId=OTHER_ID, **fmt("csv")).status_code == 200
    # an objects row with every text cell is written; one without f:is_cataloged is not (None-filled)
    assert post(http, fink_replica_pandas2, "/api/v1/objects", diaObjectId=OTHER_ID, **fmt("votable")).ok
    objects = post(http, fink_replica_pandas2, "/api/v1/objects", diaObjectId=NULL_BOOLEAN_OBJECT_ID,
                   **fmt("votable"))
    assert (objects.status_code, objects.content) == (500, INTERNAL)
    # with columns=: no null-filling, the VOTable is written
    ok = post(http, fink_replica_pandas2, "/api/v1/sources", diaObjectId=OTHER_ID, columns="r:band,r:psfFlux",
              **fmt("votable"))
    assert ok.status_code == 200


def test_pandas2_booleans_with_nulls_hold_nan_strings_and_break_parquet(http, fink_replica_pandas2):
    url2 = fink_replica_pandas2
    payload = {"diaObjectId": DEMO_OBJECT_ID, "columns": "r:isDipole,r:midpointMjdTai"}
    rows = records(post(http, url2, "/api/v1/sources", **payload))
    assert rows[0]["r:isDipole"] == "nan"
    assert {type(row["r:isDipole"]) for row in rows} == {bool, str}
    # the first row holds the string "nan", not a missing value: the VOTable is written
    assert post(http, url2, "/api/v1/sources", **payload, **fmt("votable")).status_code == 200
    failed = post(http, url2, "/api/v1/sources", **payload, **fmt("parquet"))
    assert (failed.status_code, failed.content) == (500, INTERNAL)
    csv = post(http, url2, "/api/v1/sources", **payload, **fmt("csv"))
    assert csv.status_code == 200 and "\nnan," in csv.text
    # a boolean column without null is fine in parquet
    assert post(http, url2, "/api/v1/sources", diaObjectId=DEMO_OBJECT_ID, columns="r:isNegative",
                **fmt("parquet")).status_code == 200


# --- cone search: healpy's inclusive disc ----------------------------------------------------------------


def _edge_case():
    """An object of the pixel table, and a centre on the far side of it from its pixel's centre."""
    import astropy.units as u
    from astropy_healpix import HEALPix

    grid = HEALPix(nside=1024, order="ring")
    table = default_dataset().tables["rubin.pixel1024"]
    row = table[table["r:diaObjectId"] == int(OTHER_ID)].iloc[0]
    obj = SkyCoord(row["r:ra"], row["r:dec"], unit="deg")
    lon, lat = grid.healpix_to_lonlat([int(row["f:pixel1024"])])
    pixel_centre = SkyCoord(lon[0], lat[0])
    # 12 arcsec beyond the object, away from the pixel centre
    centre = obj.directional_offset_by(pixel_centre.position_angle(obj), 12 * u.arcsec)
    return row, obj, centre, pixel_centre


def test_cone_returns_an_object_just_inside_whose_pixel_centre_is_outside(http, url):
    row, obj, centre, pixel_centre = _edge_case()
    separation = centre.separation(obj).arcsec
    inside = separation + 0.05
    # a disc of pixel centres would not scan the object's pixel: its centre is farther than the radius
    assert centre.separation(pixel_centre).arcsec > inside
    found = records(post(http, url, "/api/v1/conesearch", ra=centre.ra.deg, dec=centre.dec.deg, radius=inside,
                         columns="r:diaObjectId"))
    assert [r["r:diaObjectId"] for r in found] == [int(OTHER_ID)]
    assert found[0]["v:separation_degree"] * 3600 == pytest.approx(separation, abs=1e-6)


def test_cone_leaves_out_an_object_just_outside(http, url):
    row, obj, centre, _ = _edge_case()
    outside = centre.separation(obj).arcsec - 0.05
    payload = {"ra": centre.ra.deg, "dec": centre.dec.deg, "radius": outside}
    assert records(post(http, url, "/api/v1/conesearch", **payload)) == []
    # the row was scanned and decoded, then cut on separation: a CSV header without rows
    csv = post(http, url, "/api/v1/conesearch", columns="r:diaObjectId", **payload, **fmt("csv"))
    assert csv.text == "r:dec,r:diaObjectId,r:midpointMjdTai,r:ra,v:separation_degree\n"


def test_empty_cone_without_rows_scanned(http, url):
    payload = {"ra": 0, "dec": 80, "radius": 1}
    assert records(post(http, url, "/api/v1/conesearch", **payload)) == []
    assert post(http, url, "/api/v1/conesearch", **payload, **fmt("csv")).text == "\n"
    empty = post(http, url, "/api/v1/conesearch", **payload, **fmt("votable"))
    assert len(votable.parse(io.BytesIO(empty.content)).get_first_table().fields) == 0


def test_pandas2_cone_writes_nan_strings_and_its_votable_works(http, url, fink_replica_pandas2):
    # 7" east of (53.2514, -27.861): an object whose latest alert has no target name nor mangrove match,
    # while other rows scanned in the same pixels have them
    payload = {"ra": 53.2514 + 7.0 / 3600 / np.cos(np.radians(27.861)), "dec": -27.861, "radius": 1}
    (row2,) = records(post(http, fink_replica_pandas2, "/api/v1/conesearch", **payload))
    (row3,) = records(post(http, url, "/api/v1/conesearch", **payload))
    nan = sorted(name for name, value in row2.items() if value == "nan")
    assert "r:target_name" in nan
    assert all(row3[name] is None for name in nan)
    vot = post(http, fink_replica_pandas2, "/api/v1/conesearch", **payload, **fmt("votable"))
    assert vot.status_code == 200


def test_pandas2_resolver_keeps_nulls(http, fink_replica_pandas2):
    # raw HBase strings, no astype(str): a missing cell is absent or null, never "nan"
    rows = records(post(http, fink_replica_pandas2, "/api/v1/resolver", resolver="tns", name_or_id="AT 2026ak"))
    assert rows and "nan" not in {value for row in rows for value in row.values()}
