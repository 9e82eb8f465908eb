"""The replica's /api/v1/resolver over HTTP, answering as the real Fink/LSST server does."""
import pytest

from .replica_http import INTERNAL, assert_error, parquet_frame, post, records

RES = "/api/v1/resolver"
TNS_COLUMNS = ["f:declination", "f:discoverydate", "f:fullname", "f:internalname", "f:ra", "f:redshift", "f:salt",
               "f:type"]


def resolve(http, url, resolver, name, **extra):
    return post(http, url, RES, resolver=resolver, name_or_id=name, **extra)


def test_tns_forward_documentation_example(http, url):
    rows = records(resolve(http, url, "tns", "SN 2022and"))
    assert [row["f:internalname"] for row in rows] == ["ATLAS22cwl", "PS22agq", "ZTF22aaaifcx"]
    for row in rows:
        assert list(row) == TNS_COLUMNS
        assert (row["f:ra"], row["f:declination"], row["f:redshift"], row["f:type"], row["f:discoverydate"]) == (
            "150.027554", "3.757143", "0.043", "SN II", "2022-01-27 10:49:26.400")  # strings, untyped
    assert records(resolve(http, url, "tns", "sn 2022AND")) == rows  # case-insensitive


def test_tns_forward_is_a_salted_prefix_match(http, url):
    # salt = last character of the query: "SN 2022an" also finds "SN 2022ann" (same last letter)
    names = {row["f:fullname"] for row in records(resolve(http, url, "tns", "SN 2022an"))}
    assert names == {"SN 2022an", "SN 2022ann"}
    assert records(resolve(http, url, "tns", "SN 2022a")) == []  # salt "a": no name ends with it
    assert records(resolve(http, url, "tns", "SN 2099zzz")) == []


def test_tns_of_replica_objects(http, url):
    rows = records(resolve(http, url, "tns", "SN 2026bqe"))
    assert {row["f:internalname"] for row in rows} == {"ATLAS26crd", "GOTO26aqp"}
    assert (rows[0]["f:ra"], rows[0]["f:declination"]) == ("7.455000", "-44.635000")


def test_tns_whole_table_limited_by_nmax(http, url):
    assert len(records(resolve(http, url, "tns", ""))) == 10
    three = records(resolve(http, url, "tns", "", nmax=3))
    assert len(three) == 3
    assert len(records(resolve(http, url, "tns", "", nmax=1000))) > 20
    assert records(resolve(http, url, "tns", "SN 2022and", nmax=0)) == []
    assert len(records(resolve(http, url, "tns", "SN 2022and", nmax=2))) == 2


def test_tns_reverse(http, url):
    rows = records(resolve(http, url, "tns", "313888627082919999", reverse=True))
    assert rows == [{"f:xm_tns_fullname": "SN 2026bqe", "f:xm_tns_redshift": "0.054", "f:xm_tns_type": "SN Ia",
                     "r:diaObjectId": "313888627082919999"}]
    # reverse only for JSON true: a string, or a GET, searches the name forward
    assert records(resolve(http, url, "tns", "313888627082919999", reverse="True")) == []
    by_get = http.get(url + RES, params={"resolver": "tns", "name_or_id": "313888627082919999", "reverse": "true"})
    assert records(by_get) == []
    # an object without TNS match: its alerts, deduplicated, have no fullname column at all
    assert records(resolve(http, url, "tns", "314003014107006318", reverse=True)) == [
        {"r:diaObjectId": "314003014107006318"}]


def test_simbad_forward(http, url):
    (row,) = records(resolve(http, url, "simbad", "LEDA 1258009"))
    assert row == {"name": "Si=Simbad, all IDs (via url)", "oid": 10915827, "oname": "LEDA 1258009", "otype": "G",
                   "jpos": "10:00:06.70 +03:45:25.9", "jradeg": 150.02792, "jdedeg": 3.75722,
                   "refPos": "2003A&A...412...45P", "z": None, "nrefs": 3}
    assert records(resolve(http, url, "simbad", "not a known name")) == []
    # nmax is not used on this path: a string does not break it
    assert records(resolve(http, url, "simbad", "LEDA 1258009", nmax="x"))


def test_simbad_reverse(http, url):
    rows = records(resolve(http, url, "simbad", "314003014107006318", reverse=True))
    assert rows == [{"f:main_label_crossmatch": "Unknown", "r:dec": "-27.8608", "r:diaObjectId": "314003014107006318",
                     "r:ra": "53.251"}]


def test_ssodnet_reverse(http, url):
    (row,) = records(resolve(http, url, "ssodnet", "21164728071239491", reverse=True))
    assert list(row) == ["r:diaSourceId", "r:packed_primary_provisional_designation", "r:ssObjectId",
                         "r:unpacked_primary_provisional_designation"]
    assert (row["r:packed_primary_provisional_designation"], row["r:unpacked_primary_provisional_designation"],
            row["r:ssObjectId"]) == ("K15Bt7C", "2015 BC557", "21164728071239491")


def test_ssodnet_forward_is_typed(http, url):
    rows = records(resolve(http, url, "ssodnet", "2015 BC557"))
    sso = records(post(http, url, "/api/v1/sso", n_or_d="2015 BC557", columns="r:diaSourceId"))
    assert len(rows) == len(sso) > 10  # nmax is not applied
    assert {row["r:ssObjectId"] for row in rows} == {21164728071239491}  # JSON integers, not strings
    assert list(rows[0]) == ["r:diaSourceId", "r:packed_primary_provisional_designation", "r:ssObjectId",
                             "f:sso_name"]
    frame = parquet_frame(resolve(http, url, "ssodnet", "2015 BC557", **{"output-format": "parquet"}))
    assert str(frame["r:diaSourceId"].dtype) == "int64"


@pytest.mark.parametrize(("resolver", "name", "extra"), [
    ("vizier", "M 31", {}),
    ("TNS", "SN 2022and", {}),
    ("ssodnet", "kdflsjffld", {}),  # /sso answers 400, which read_json cannot parse
    ("tns", "SN 2022and", {"nmax": "5"}),
    ("tns", "SN 2022and", {"nmax": 2.0}),
    ("ssodnet", "2015 BC557", {"nmax": "5"}),
    ("tns", 313888627082919999, {"reverse": True}),
])
def test_server_crashes(http, url, resolver, name, extra):
    assert_error(resolve(http, url, resolver, name, **extra), 500, INTERNAL, "application/json")


def test_nmax_from_a_query_string_crashes(http, url):
    response = http.get(url + RES, params={"resolver": "tns", "name_or_id": "SN 2022and", "nmax": "2"})
    assert_error(response, 500, INTERNAL, "application/json")
    assert len(records(http.get(url + RES, params={"resolver": "tns", "name_or_id": "SN 2022and"}))) == 3


def test_missing_argument(http, url):
    body = (b"{'status': 'error', 'text': 'A value for `name_or_id` is required. "
            b"See https://api.ztf.fink-portal.org \\n'}")
    assert_error(post(http, url, RES, resolver="tns", name="SN 2022and"), 400, body)  # the ZTF argument name
