"""Tests of the Fink/LSST API replica itself, over real HTTP on loopback (no client code involved)."""
import io
import json
import re
import threading

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import requests
from astropy.io import votable

from astroquery_fink.testing import BIG_FP_OBJECT_ID, KNOWN_SOURCE, REAL_OBJECT_IDS, FinkReplica, create_app
from astroquery_fink.testing.dataset import TABLES, default_dataset, generate_dataset

from .replica_http import (
    CONTENT_TYPES,
    HTML,
    INTERNAL,
    java_hashmap_iteration,
    parquet_frame,
    post,
    records,
)

SOURCES_ID, KNOWN_TIME = KNOWN_SOURCE
OTHER_ID = "170261592629837872"
FP_ID = "313761043604045880"
SALT_TWIN_ID = "170261592629840318"  # shares the salt 318 with SOURCES_ID
UNKNOWN_ID = "123456789012345678"
FP_COLUMNS = [
    "r:band", "r:dec", "r:detector", "r:diaForcedSourceId", "r:diaObjectId", "r:midpointMjdTai", "r:psfFlux",
    "r:psfFluxErr", "r:ra", "r:salt", "r:scienceFlux", "r:scienceFluxErr", "r:timeProcessedMjdTai",
    "r:timeWithdrawnMjdTai", "r:visit",
]
MISSING_ID = (b"{'status': 'error', 'text': 'A value for `diaObjectId` is required. "
              b"See https://api.ztf.fink-portal.org \\n'}")
BAD_JSON = b'{"message": "The browser (or proxy) sent a request that this server could not understand."}\n'


def bad_format_body(fmt):
    return (f"{{'status': 'error', 'text': 'Output format `{fmt}` is not supported. "
            f"Choose among json, csv, votable, or parquet\\n'}}").encode()


# --- plumbing: routes, argument reading, error shapes ------------------------------------------


def test_get_query_string_equals_post_json(http, url):
    params = {"diaObjectId": SOURCES_ID, "columns": "r:midpointMjdTai,r:psfFlux", "output-format": "csv"}
    by_get = http.get(url + "/api/v1/sources", params=params)
    by_post = http.post(url + "/api/v1/sources", json=params)
    assert by_get.status_code == by_post.status_code == 200
    assert by_get.content == by_post.content


def test_query_string_wins_and_body_is_ignored(http, url):
    response = http.post(url + "/api/v1/fp", params={"diaObjectId": FP_ID, "columns": "r:diaObjectId"},
                         json={"diaObjectId": OTHER_ID})
    assert {row["r:diaObjectId"] for row in records(response)} == {int(FP_ID)}
    # the body is not even parsed: garbage with a non-JSON type is fine
    response = http.post(url + "/api/v1/fp", params={"diaObjectId": FP_ID}, data=b"junk",
                         headers={"Content-Type": "text/plain"})
    assert response.status_code == 200


@pytest.mark.parametrize("body", [b"", b"{bad", b'{"diaObjectId": "1",}'])
def test_empty_or_malformed_json_is_400(http, url, body):
    response = http.post(url + "/api/v1/fp", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == BAD_JSON


@pytest.mark.parametrize("body", [
    b"null",
    b'{"diaObjectId": 313761043604045880}',  # ids must be JSON strings: a JSON integer is a 500
    b'["diaObjectId"]',  # a list holding the name passes the presence test, then list["diaObjectId"] raises
    b"5",  # ``"diaObjectId" in 5`` raises TypeError in the server's check_args: a 500
    b'"has diaObjectId inside"',  # substring test passes, then str["diaObjectId"] raises
    b'{"diaObjectId": "313761043604045880", "columns": ["r:ra"]}',
])
def test_server_crashes_are_flask_restx_500(http, url, body):
    response = http.post(url + "/api/v1/fp", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == INTERNAL
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("body", [b"[]", b'["x"]', b'"abc"', b"{}", b'{"objectId": "1"}'])
def test_missing_id_is_python_dict_400(http, url, body):
    response = http.post(url + "/api/v1/fp", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == HTML
    assert response.content == MISSING_ID


def test_missing_id_by_get(http, url):
    response = http.get(url + "/api/v1/sources", params={"columns": "r:ra"})
    assert (response.status_code, response.content) == (400, MISSING_ID)


def test_empty_id_counts_as_present(http, url):
    assert records(post(http, url, "/api/v1/fp", diaObjectId="")) == []


@pytest.mark.parametrize("fmt", ["JSON", "fits", "", "xml"])
def test_unsupported_format_is_python_dict_400(http, url, fmt):
    response = post(http, url, "/api/v1/fp", diaObjectId=FP_ID, **{"output-format": fmt})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == HTML
    assert response.content == bad_format_body(fmt)


def test_body_over_100_mib_is_413():
    # a Content-Length over MAX_CONTENT_LENGTH is refused before reading (in-process, no 100 MiB upload)
    client = create_app().test_client()
    response = client.post("/api/v1/fp", data=b"{}", content_type="application/json",
                           environ_overrides={"CONTENT_LENGTH": str(100 * 1024 * 1024 + 1)})
    assert response.status_code == 413
    assert response.data == b'{"message": "The data value transmitted exceeds the capacity limit."}\n'


# --- serialization: json, csv, votable, parquet bodies and headers --------------------------------


@pytest.mark.parametrize("fmt", sorted(CONTENT_TYPES))
def test_content_types(http, url, fmt):
    response = post(http, url, "/api/v1/fp", diaObjectId=FP_ID, **{"output-format": fmt})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPES[fmt]
    assert "Content-Disposition" not in response.headers


def test_default_format_is_json(http, url):
    response = post(http, url, "/api/v1/fp", diaObjectId=FP_ID)
    assert response.headers["Content-Type"] == "application/json"
    assert isinstance(response.json(), list)


def test_empty_answers_per_format(http, url):
    def empty(fmt):
        response = post(http, url, "/api/v1/fp", diaObjectId=UNKNOWN_ID, **{"output-format": fmt})
        assert response.status_code == 200
        assert response.headers["Content-Type"] == CONTENT_TYPES[fmt]
        return response.content

    assert empty("json") == b"[]"
    assert empty("csv") == b"\n"
    doc = empty("votable")
    assert len(doc) == 415
    assert b' <RESOURCE type="results">\n  <TABLE/>\n </RESOURCE>\n' in doc
    table = votable.parse(io.BytesIO(doc)).get_first_table().to_table()
    assert (len(table), len(table.colnames)) == (0, 0)
    parquet = pq.read_table(io.BytesIO(empty("parquet")))
    assert parquet.num_columns == 0 and parquet.num_rows == 0
    assert parquet.schema.pandas_metadata["index_columns"][0]["kind"] == "range"


def test_json_rounds_floats_to_10_decimals(http, url):
    payload = {"diaObjectId": SOURCES_ID, "columns": "r:midpointMjdTai,r:ra,r:ra_dec_Cov"}
    text = post(http, url, "/api/v1/sources", **payload).text
    exact = parquet_frame(post(http, url, "/api/v1/sources", **payload, **{"output-format": "parquet"}))
    rows = json.loads(text)
    assert len(rows) == len(exact)
    for row, (_, ref) in zip(rows, exact.iterrows(), strict=True):
        for name in ("r:midpointMjdTai", "r:ra", "r:ra_dec_Cov"):
            assert row[name] == float(f"{ref[name]:.10f}"), name
    assert f'"r:midpointMjdTai":{KNOWN_TIME!r}' in text
    # the covariances (~1e-10 deg**2) lose all or most digits in JSON, not in parquet
    assert all(abs(row["r:ra_dec_Cov"]) < 1e-9 for row in rows)
    assert any(len(repr(ref)) > 17 for ref in exact["r:midpointMjdTai"])  # some times need more digits


def test_json_64bit_ids_exact(http, url):
    response = post(http, url, "/api/v1/sources", diaObjectId=SOURCES_ID, columns="r:diaObjectId,r:diaSourceId")
    assert f'"r:diaObjectId":{SOURCES_ID}' in response.text
    ids = {row["r:diaObjectId"] for row in response.json()}
    assert ids == {int(SOURCES_ID)} and int(SOURCES_ID) > 2**53
    source_ids = [row["r:diaSourceId"] for row in response.json()]
    assert all(re.search(rf'"r:diaSourceId":{i}[,}}]', response.text) for i in source_ids)


def test_json_types_and_nulls_pandas3(http, url):
    rows = records(post(http, url, "/api/v1/sources", diaObjectId=SOURCES_ID))
    assert len(rows[0]) == 131
    assert {type(row["r:isDipole"]) for row in rows} == {bool, type(None)}
    assert all(row["r:ssObjectId"] is None for row in rows)  # Int64 null
    assert all(row["f:xm_tns_fullname"] is None for row in rows)  # str column absent from every row
    assert all(row["r:timeWithdrawnMjdTai"] is None for row in rows)
    assert "nan" not in {row["r:target_name"] for row in rows}


def test_csv_spelling(http, url):
    text = post(http, url, "/api/v1/sources", diaObjectId=SOURCES_ID, columns="r:isDipole,r:midpointMjdTai,r:band",
                **{"output-format": "csv"}).text
    lines = text.split("\n")
    assert sorted(lines[0].split(",")) == ["r:band", "r:isDipole", "r:midpointMjdTai"]
    assert text.endswith("\n") and "\r" not in text
    position = lines[0].split(",").index("r:isDipole")
    values = {line.split(",")[position] for line in lines[1:-1]}
    assert values == {"True", "False", ""}
    assert f",{KNOWN_TIME!r}" in text  # full repr precision in csv


def test_parquet_index_holds_row_keys(http, url):
    response = post(http, url, "/api/v1/sources", diaObjectId=SOURCES_ID, columns="r:midpointMjdTai",
                    **{"output-format": "parquet"})
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column_names == ["r:midpointMjdTai", "__index_level_0__"]
    keys = table.column("__index_level_0__").to_pylist()
    times = table.column("r:midpointMjdTai").to_pylist()
    assert keys == [f"318_{SOURCES_ID}_{t!r}" for t in times]
    assert f"318_{SOURCES_ID}_61176.9896294959" in keys
    frame = parquet_frame(post(http, url, "/api/v1/objects", diaObjectId=SOURCES_ID, **{"output-format": "parquet"}))
    assert list(frame.index) == [f"318_{SOURCES_ID}"]


def test_parquet_types_pandas3(http, url):
    schema = pq.read_schema(io.BytesIO(post(http, url, "/api/v1/sources", diaObjectId=SOURCES_ID,
                                            **{"output-format": "parquet"}).content))
    assert str(schema.field("r:band").type) == "large_string"
    assert str(schema.field("r:isDipole").type) == "bool"
    assert str(schema.field("r:diaSourceId").type) == "int64"
    assert str(schema.field("f:xm_tns_fullname").type) == "large_string"


def test_votable_names_ids_and_types(http, url):
    columns = "r:diaSourceId,r:band,r:psfFlux,r:isDipole,r:midpointMjdTai"
    # the newest alert of OTHER_ID has an isDipole value: a boolean first row, which astropy can write
    response = post(http, url, "/api/v1/sources", diaObjectId=OTHER_ID, columns=columns,
                    **{"output-format": "votable"})
    assert response.status_code == 200
    fields = {f.name: f for f in votable.parse(io.BytesIO(response.content)).get_first_table().fields}
    assert fields["r:psfFlux"].ID == "r_psfFlux" and fields["r:psfFlux"].datatype == "double"
    assert fields["r:diaSourceId"].datatype == "long"
    assert fields["r:band"].datatype == "unicodeChar"
    assert (fields["r:isDipole"].datatype, fields["r:isDipole"].arraysize) == ("unicodeChar", "*")


def test_votable_object_column_starting_with_null_is_500(http, url):
    # astropy cannot write an object column whose first value is NaN: rows come newest first, and
    # the newest source of this object has no isDipole (found with the real pandas 3 + astropy 8)
    response = post(http, url, "/api/v1/sources", diaObjectId=FP_ID, columns="r:isDipole,r:midpointMjdTai",
                    **{"output-format": "votable"})
    assert (response.status_code, response.content) == (500, INTERNAL)


def test_votable_full_read_works_on_pandas3(http, url):
    response = post(http, url, "/api/v1/objects", diaObjectId=SOURCES_ID, **{"output-format": "votable"})
    assert response.status_code == 200
    assert len(votable.parse(io.BytesIO(response.content)).get_first_table().fields) == 91


# --- decoding, ordering, selection -------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "count"), [("/api/v1/fp", 15), ("/api/v1/objects", 91), ("/api/v1/sources", 131)])
def test_full_reads_have_every_column_in_code_point_order(http, url, endpoint, count):
    columns = list(records(post(http, url, endpoint, diaObjectId=SOURCES_ID))[0])
    assert len(columns) == count
    assert columns == sorted(columns)
    if endpoint == "/api/v1/fp":
        assert columns == FP_COLUMNS


def test_selected_columns_alphabetical_not_request_order(http, url):
    rows = records(post(http, url, "/api/v1/sources", diaObjectId=SOURCES_ID, columns="r:psfFlux,r:band,r:ra,r:raErr"))
    assert list(rows[0]) == ["r:band", "r:psfFlux", "r:ra", "r:raErr"]


def test_selected_column_order_is_first_appearance(http, url):
    # pandas builds the frame from the rows in Java HashMap order: a column missing from the first
    # of them (the early SN Ia score needs 3 points: the two oldest alerts lack it) comes last
    columns = "f:clf_earlySNIa_score,r:midpointMjdTai"
    for object_id in (SOURCES_ID, OTHER_ID, FP_ID):
        frame = parquet_frame(post(http, url, "/api/v1/sources", diaObjectId=object_id, columns=columns,
                                   **{"output-format": "parquet"}))
        first = java_hashmap_iteration(sorted(frame.index))[0]
        has_score = not np.isnan(frame.loc[first, "f:clf_earlySNIa_score"])
        expected = columns if has_score else "r:midpointMjdTai,f:clf_earlySNIa_score"
        assert list(frame.columns) == expected.split(",")
        csv = post(http, url, "/api/v1/sources", diaObjectId=object_id, columns=columns, **{"output-format": "csv"})
        assert csv.text.split("\n")[0] == expected


def test_rows_newest_first_across_ids(http, url):
    rows = records(post(http, url, "/api/v1/sources", diaObjectId=f"{SOURCES_ID},{OTHER_ID}",
                        columns="r:midpointMjdTai,r:diaObjectId"))
    times = [row["r:midpointMjdTai"] for row in rows]
    assert times == sorted(times, reverse=True)
    assert {row["r:diaObjectId"] for row in rows} == {int(SOURCES_ID), int(OTHER_ID)}


def test_rows_without_time_column_come_in_hashmap_order(http, url):
    # the scans are merged in a Python dict that reaches Gson as a java.util.HashMap
    for ids in ([OTHER_ID, SOURCES_ID], [SOURCES_ID, OTHER_ID]):
        rows = records(post(http, url, "/api/v1/objects", diaObjectId=",".join(ids), columns="r:diaObjectId"))
        expected = java_hashmap_iteration([f"{i[-3:]}_{i}" for i in ids])
        assert [f"{row['r:diaObjectId'] % 1000:03d}_{row['r:diaObjectId']}" for row in rows] == expected
    keys = parquet_frame(post(http, url, "/api/v1/fp", diaObjectId=FP_ID, columns="r:psfFluxErr",
                              **{"output-format": "parquet"})).index
    assert list(keys) == java_hashmap_iteration(sorted(keys))
    assert list(keys) != sorted(keys)


def test_multi_id_is_union_of_singles(http, url):
    def rows(ids):
        return records(post(http, url, "/api/v1/sources", diaObjectId=ids, columns="r:diaSourceId,r:midpointMjdTai"))

    both = rows(f"{SOURCES_ID},{OTHER_ID}")
    singles = rows(SOURCES_ID) + rows(OTHER_ID)
    assert sorted(map(json.dumps, both)) == sorted(map(json.dumps, singles))
    assert rows(f" {OTHER_ID} , {SOURCES_ID},{SOURCES_ID},") == both  # stripped, duplicates collapse


@pytest.mark.parametrize("bad_id", [f" {SOURCES_ID}", f"{SOURCES_ID} ", "12", "18", "abc", UNKNOWN_ID, SOURCES_ID[:-1]])
def test_single_id_unstripped_short_or_unknown_is_empty(http, url, bad_id):
    assert records(post(http, url, "/api/v1/sources", diaObjectId=bad_id)) == []


def test_salt_twins_do_not_leak(http, url):
    rows = records(post(http, url, "/api/v1/fp", diaObjectId=SALT_TWIN_ID, columns="r:diaObjectId"))
    assert rows and {row["r:diaObjectId"] for row in rows} == {int(SALT_TWIN_ID)}


def test_midpoint_prefix_on_sources(http, url):
    def count(**extra):
        return len(records(post(http, url, "/api/v1/sources", diaObjectId=SOURCES_ID,
                                columns="r:midpointMjdTai", **extra)))

    total = count()
    assert count(midpointMjdTai=KNOWN_TIME) == 1  # JSON number, str() of the float
    assert count(midpointMjdTai=str(KNOWN_TIME)) == 1
    assert count(midpointMjdTai="61176") == 2  # prefix match on the time string
    assert count(midpointMjdTai=61176) == 2
    assert count(midpointMjdTai="61176.98962949591") == 0
    assert count(midpointMjdTai=None) == 0  # "..._None"
    assert 2 < total
    # ignored for several ids, and on /fp
    multi = records(post(http, url, "/api/v1/sources", diaObjectId=f"{SOURCES_ID},{OTHER_ID}", midpointMjdTai="61176",
                         columns="r:midpointMjdTai"))
    assert len(multi) > total
    fp = records(post(http, url, "/api/v1/fp", diaObjectId=SOURCES_ID, midpointMjdTai="61176", columns="r:visit"))
    assert len(fp) == 48


@pytest.mark.parametrize("columns", ["r:nope", "r:nope,f:nothing", "", "psfFlux", "v:separation_degree",
                                     "r:psfFlux,v:separation_degree"])
def test_columns_that_select_nothing_give_empty(http, url, columns):
    # unknown names and entries without ':' are dropped; an unknown family fails the scan
    assert records(post(http, url, "/api/v1/fp", diaObjectId=FP_ID, columns=columns)) == []


def test_unknown_columns_dropped_and_spaces_removed(http, url):
    rows = records(post(http, url, "/api/v1/fp", diaObjectId=FP_ID, columns=" r:psfFlux , r:nope,band, r:band"))
    assert list(rows[0]) == ["r:band", "r:psfFlux"]
    assert len(rows) == 36


def test_star_is_a_full_read(http, url):
    star = post(http, url, "/api/v1/fp", diaObjectId=FP_ID, columns="*")
    assert star.content == post(http, url, "/api/v1/fp", diaObjectId=FP_ID).content


def test_rows_without_any_selected_cell_are_not_returned(http, url):
    # HBase only returns rows holding at least one requested cell: the first two alerts have no score
    scores = records(post(http, url, "/api/v1/sources", diaObjectId=SOURCES_ID, columns="f:clf_earlySNIa_score"))
    everything = records(post(http, url, "/api/v1/sources", diaObjectId=SOURCES_ID, columns="r:diaSourceId"))
    assert len(scores) == len(everything) - 2
    assert all(row["f:clf_earlySNIa_score"] is not None for row in scores)


def test_nlimit_caps_each_scan(http, url):
    def frame(ids):
        return parquet_frame(post(http, url, "/api/v1/fp", diaObjectId=ids, columns="r:midpointMjdTai",
                                  **{"output-format": "parquet"}))

    big = frame(BIG_FP_OBJECT_ID)
    assert len(big) == 10_000
    stored = default_dataset().tables[TABLES["fp"]]
    keys = sorted(k for k in stored.index if k.startswith(f"{BIG_FP_OBJECT_ID[-3:]}_{BIG_FP_OBJECT_ID}_"))
    assert len(keys) >= 20_000
    assert set(big.index) == set(keys[:10_000])  # the first rows in row-key order
    assert len(frame(f"{BIG_FP_OBJECT_ID},{FP_ID}")) == 10_000 + 36  # the cap is per id


def test_nlimit_can_be_lifted():
    client = create_app(nlimit=None).test_client()
    response = client.post("/api/v1/fp", json={"diaObjectId": BIG_FP_OBJECT_ID, "columns": "r:band",
                                                "output-format": "parquet"})
    assert len(pd.read_parquet(io.BytesIO(response.data))) >= 20_000


# --- pandas-2 flavour: "nan" strings, VOTable/parquet 500s ------------------------------------


SOURCE_COLUMNS = "r:diaSourceId,r:midpointMjdTai,r:band,r:psfFlux,f:xm_simbad_otype,f:clf_earlySNIa_score,r:isDipole"


def test_pandas2_nan_strings(http, fink_replica_pandas2):
    payload = {"diaObjectId": SOURCES_ID, "columns": SOURCE_COLUMNS}
    text = post(http, fink_replica_pandas2, "/api/v1/sources", **payload).text
    rows = json.loads(text)
    assert '"r:isDipole":"nan"' in text
    assert {row["r:isDipole"] for row in rows} == {True, False, "nan"}
    assert any(row["f:clf_earlySNIa_score"] is None for row in rows)  # floats stay null
    csv = post(http, fink_replica_pandas2, "/api/v1/sources", **payload, **{"output-format": "csv"}).text
    assert ",nan," in csv or csv.rstrip("\n").split("\n")[-1].endswith(",nan")
    # a text column with no cell in any row is null-filled with None: null, not "nan"
    full = records(post(http, fink_replica_pandas2, "/api/v1/sources", diaObjectId=SOURCES_ID))
    assert all(row["f:xm_tns_fullname"] is None for row in full)


def test_pandas2_votable_500_on_wholly_null_text_column(http, url, fink_replica_pandas2):
    payload = {"diaObjectId": OTHER_ID, "output-format": "votable"}
    failed = post(http, fink_replica_pandas2, "/api/v1/sources", **payload)
    assert (failed.status_code, failed.headers["Content-Type"], failed.content) == (500, "application/json", INTERNAL)
    assert post(http, url, "/api/v1/sources", **payload).status_code == 200
    # selecting columns avoids null-filling, hence the failure
    ok = post(http, fink_replica_pandas2, "/api/v1/sources", columns="r:band,r:psfFlux", **payload)
    assert ok.status_code == 200


def test_pandas2_parquet_types(http, fink_replica_pandas2):
    response = post(http, fink_replica_pandas2, "/api/v1/fp", diaObjectId=FP_ID, **{"output-format": "parquet"})
    schema = pq.read_schema(io.BytesIO(response.content))
    assert str(schema.field("r:band").type) == "string"
    assert str(schema.field("__index_level_0__").type) == "string"
    # a boolean column mixing True/False and "nan" cannot become Arrow: pyarrow raises, server 500s
    mixed = post(http, fink_replica_pandas2, "/api/v1/sources", diaObjectId=SOURCES_ID, columns="r:isDipole",
                 **{"output-format": "parquet"})
    assert mixed.status_code == 200  # only rows with a cell: no "nan"
    mixed = post(http, fink_replica_pandas2, "/api/v1/sources", diaObjectId=SOURCES_ID,
                 columns="r:isDipole,r:band", **{"output-format": "parquet"})
    assert (mixed.status_code, mixed.content) == (500, INTERNAL)


# --- /api/v1/schema ----------------------------------------------------------------------------


def schema(http, url, **payload):
    return http.get(url + "/api/v1/schema", params=payload)


def test_schema_shape(http, url):
    response = schema(http, url, endpoint="/api/v1/sources")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.text.startswith('{"LSST original fields (r:)": {"apFlux": {"type": ')
    body = response.json()
    assert {k: len(v) for k, v in body.items()} == {"LSST original fields (r:)": 100,
                                                    "Fink science module outputs (f:)": 32}
    for family in body.values():
        assert list(family) == sorted(family)
    lsst, fink = body["LSST original fields (r:)"], body["Fink science module outputs (f:)"]
    assert list(lsst["psfFlux"]) == ["type", "doc"]
    assert lsst["diaSourceId"]["type"] == "long"  # the alert root's entry wins
    assert lsst["psfFlux"]["type"] == ["null", "float"]
    assert list(fink["xm_simbad_otype"]) == ["type", "doc", "fink_broker_version", "fink_science_version"]
    assert (fink["xm_tns_fullname"]["fink_broker_version"], fink["xm_tns_fullname"]["fink_science_version"]) == (
        "4.1", "8.36.0")
    assert fink["clf_cats_score"]["fink_science_version"] == "8.35.0"
    assert fink["xm_simbad_otype"]["fink_broker_version"] == "4.0"
    assert "xm_spicy_SPICY" in fink and "clf_slsn_score" in fink  # listed though never written
    assert response.text == json.dumps(body)  # json.dumps default separators, ASCII


@pytest.mark.parametrize(("endpoint", "counts"), [
    ("/api/v1/objects", {"LSST original fields (r:)": 85, "Fink science module outputs (f:)": 6}),
    ("/api/v1/fp", {"LSST original fields (r:)": 14}),
    ("/api/v1/cutouts", {"LSST original cutouts (b:)": 3}),
    ("/api/v1/statistics", {"Fink science module outputs (f:)": 22}),
    ("/datatransfer/fink", {"Fink": 38}),
])
def test_schema_families(http, url, endpoint, counts):
    body = schema(http, url, endpoint=endpoint).json()
    assert {k: len(v) for k, v in body.items()} == counts


def test_schema_docs_carry_avsc_units(http, url):
    def docs(endpoint):
        return {name: info["doc"] for name, info in schema(http, url, endpoint=endpoint).json()[
            "LSST original fields (r:)"].items()}

    def units(mapping):
        found = [re.search(r" \[([^\]]+)\]\.?$", doc) for doc in mapping.values()]
        return sorted(m.group(1) for m in found if m)

    sources, objects, fp = docs("/api/v1/sources"), docs("/api/v1/objects"), docs("/api/v1/fp")
    assert fp["psfFlux"].endswith(" [nJy].") or fp["psfFlux"].endswith(" [nJy]")
    assert "[d]" in fp["midpointMjdTai"] and "[" not in fp["timeProcessedMjdTai"]
    assert "[nJy]" in sources["trailLengthErr"] and "[nJy.arcsec**2]" in sources["ixx"]
    assert "[" not in objects["validityStartMjdTai"]
    # bracketed units per record, counted in the avsc docs of schema 11.0 (latest)
    expected_sources = {"nJy": 16, "deg": 10, "nJy.arcsec**2": 6, "pixel": 5, "arcsec": 2, "d": 1, "deg**2": 1}
    assert pd.Series(units(sources)).value_counts().to_dict() == expected_sources
    assert pd.Series(units(objects)).value_counts().to_dict() == {"nJy": 60, "nJy/d": 6, "deg": 4, "deg**2": 1}
    assert pd.Series(units(fp)).value_counts().to_dict() == {"nJy": 4, "deg": 2, "d": 1}
    cutouts = schema(http, url, endpoint="/api/v1/cutouts").json()["LSST original cutouts (b:)"]
    assert cutouts["cutoutScience"] == {"type": ["null", "bytes"], "doc": "TBD"}


@pytest.mark.parametrize("endpoint", ["/api/v1/blocks", "/api/v1/resolver", "/api/v1/skymap", "api/v1/fp", "fp", ""])
def test_schema_unknown_endpoint_404_text(http, url, endpoint):
    response = schema(http, url, endpoint=endpoint)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == HTML
    assert response.content == f"{endpoint} is not a valid endpoint".encode()


@pytest.mark.parametrize(("major", "minor"), [("9", "0"), ("12", "0"), ("10", "1"), ("10.0", "0"), ("x", "y")])
def test_schema_unavailable_version_500(http, url, major, minor):
    response = schema(http, url, endpoint="/api/v1/fp", major_version=major, minor_version=minor)
    assert (response.status_code, response.content) == (500, INTERNAL)


def test_schema_versions(http, url):
    latest = schema(http, url, endpoint="/api/v1/sources").json()
    assert schema(http, url, endpoint="/api/v1/sources", major_version="11", minor_version="0").json() == latest
    assert schema(http, url, endpoint="/api/v1/sources", major_version="9").json() == latest  # both or neither
    v10 = http.post(url + "/api/v1/schema", json={"endpoint": "/api/v1/sources", "major_version": 10,
                                                  "minor_version": 0}).json()
    lsst10, lsst11 = v10["LSST original fields (r:)"], latest["LSST original fields (r:)"]
    changed = sorted(name for name in lsst11 if lsst10[name] != lsst11[name])
    assert changed == ["bboxSize", "dipoleNdata", "psfNdata", "trailNdata"]
    assert lsst10["psfNdata"]["type"] == ["null", "int"] and lsst11["psfNdata"]["type"] == "int"


def test_schema_missing_endpoint_400(http, url):
    response = schema(http, url, major_version="10")
    assert response.status_code == 400
    assert response.content == MISSING_ID.replace(b"diaObjectId", b"endpoint")


# --- dataset and server object --------------------------------------------------------------------


def test_dataset_contents():
    data = default_dataset()
    sources, objects, fp = (data.tables[TABLES[e]] for e in ("sources", "objects", "fp"))
    for table in (sources, objects, fp):
        ids = set(table["r:diaObjectId"].astype("int64"))
        assert {int(i) for i in REAL_OBJECT_IDS} <= ids
        assert ids == set(objects["r:diaObjectId"].astype("int64"))  # the three tables agree
        assert min(ids) > 2**53
    per_object_fp = fp.groupby("r:diaObjectId").size()
    assert per_object_fp[int(BIG_FP_OBJECT_ID)] >= 20_000
    assert per_object_fp.drop(int(BIG_FP_OBJECT_ID)).between(10, 200).all()
    assert sources.groupby("r:diaObjectId").size().between(5, 60).all()
    assert f"318_{SOURCES_ID}_{KNOWN_TIME!r}" in sources.index and repr(KNOWN_TIME) == "61176.9896294959"
    assert sources["r:band"].isin(list("ugrizy")).all()
    assert sources["r:midpointMjdTai"].between(61000, 61400).all()
    assert sources["r:diaSourceId"].is_unique and fp["r:diaForcedSourceId"].is_unique
    first = sources.groupby("r:diaObjectId")["r:midpointMjdTai"].min()
    by_object = objects.set_index(objects["r:diaObjectId"].astype("int64"))["f:firstDiaSourceMjdTaiFink"]
    assert np.allclose(by_object.sort_index(), first.sort_index(), rtol=0, atol=0)


def test_dataset_is_deterministic():
    again = generate_dataset()
    for name, frame in default_dataset().tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name])


def test_replica_object_lifecycle():
    replica = FinkReplica(port=0)
    assert replica.url is None
    url = replica.start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and replica.url == url
    assert requests.get(url + "/api/v1/fp", timeout=5).status_code == 200
    replica.stop()
    assert replica.url is None
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/v1/fp", timeout=5)
    with FinkReplica(pandas_major=2) as other:
        assert requests.get(other + "/api/v1/objects", timeout=5).text == (
            "Get diaObject & aggregated data based on Rubin diaObjectId")


def test_concurrent_requests(url):
    results = {}

    def fetch(oid):
        with requests.Session() as session:
            results[oid] = session.post(url + "/api/v1/fp", json={"diaObjectId": oid, "columns": "r:diaObjectId"},
                                        timeout=30).json()

    threads = [threading.Thread(target=fetch, args=(oid,)) for oid in REAL_OBJECT_IDS if oid != BIG_FP_OBJECT_ID]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for oid, rows in results.items():
        assert rows and {row["r:diaObjectId"] for row in rows} == {int(oid)}


def test_create_app_rejects_unknown_pandas_flavour():
    with pytest.raises(ValueError, match="pandas_major"):
        create_app(pandas_major=1)
