"""Offline tests of the Fink client: payloads, decoding of recorded answers, units, errors, cache."""
import warnings
from pathlib import Path

import numpy as np
import pytest
import requests
from astropy import units as u
from astropy.table import Column, MaskedColumn, Table
from astropy.time import Time
from astroquery.exceptions import (
    InputWarning,
    InvalidQueryError,
    NoResultsWarning,
    RemoteServiceError,
    TableParseError,
)
from astroquery.exceptions import TimeoutError as AstroqueryTimeoutError

from astroquery_fink import Fink, FinkClass, conf

from .recorded import DATA, FORMAT_OF_SUFFIX, MANIFEST, assert_same_table, recorded_response

FP_ID = 313761043604045880
SOURCES_ID = 314003014107006318
# whose, when, in which band, how bright, then the rest in the server's order; no r:salt (a storage key)
FP_COLUMNS = [
    "r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr", "r:diaForcedSourceId", "r:ra",
    "r:dec", "r:detector", "r:scienceFlux", "r:scienceFluxErr", "r:timeProcessedMjdTai", "r:timeWithdrawnMjdTai",
    "r:visit",
]


def fetch(client, server, name, **kwargs):
    """Run the query that produced recorded file ``name`` and return the table."""
    entry = MANIFEST[name]
    server.answer(name)
    method = {"/api/v1/fp": client.query_forced_photometry, "/api/v1/sources": client.query_sources,
              "/api/v1/objects": client.query_object}[entry["endpoint"]]
    payload = entry["payload"]
    return method(payload["diaObjectId"], columns=payload.get("columns"),
                  output_format=FORMAT_OF_SUFFIX[Path(name).suffix], **kwargs)


# --- payloads (no network) -------------------------------------------------------------------


def test_payload_sends_ids_as_json_string():
    payload = Fink.query_forced_photometry(FP_ID, get_query_payload=True)
    assert payload == {"diaObjectId": "313761043604045880", "output-format": "votable"}


@pytest.mark.parametrize("ids", [
    [FP_ID, 170261592629837872],
    ("313761043604045880", "170261592629837872"),
    np.array([FP_ID, 170261592629837872], dtype=np.int64),
    Column([FP_ID, 170261592629837872], name="r:diaObjectId"),
    "313761043604045880, 170261592629837872",
])
def test_payload_several_ids_one_comma_string(ids):
    payload = Fink.query_sources(ids, get_query_payload=True)
    assert payload["diaObjectId"] == "313761043604045880,170261592629837872"


def test_payload_duplicate_ids_sent_once_in_order():
    payload = Fink.query_object([3, FP_ID, 3, "0003"], get_query_payload=True)
    assert payload["diaObjectId"] == f"3,{FP_ID}"


def test_payload_largest_int64_id_kept_exactly():
    payload = Fink.query_object(np.iinfo(np.int64).max, get_query_payload=True)
    assert payload["diaObjectId"] == "9223372036854775807"


def test_payload_columns_list_and_string_agree():
    from_list = Fink.query_forced_photometry(FP_ID, columns=["r:psfFlux", " r:band"], get_query_payload=True)
    from_text = Fink.query_forced_photometry(FP_ID, columns="r:psfFlux, r:band", get_query_payload=True)
    assert from_list == from_text
    # the client adds the columns it needs to keep every row and to sort them
    assert from_list["columns"] == "r:psfFlux,r:band,r:diaObjectId,r:midpointMjdTai"


@pytest.mark.parametrize("output_format", ["votable", "json", "csv", "parquet", "VOTable"])
def test_payload_output_format(output_format):
    payload = Fink.query_object(FP_ID, output_format=output_format, get_query_payload=True)
    assert payload["output-format"] == output_format.lower()


def test_payload_midpoint_float_is_exact_text():
    payload = Fink.query_sources(SOURCES_ID, midpoint_mjd_tai=61176.9896294959, get_query_payload=True)
    assert payload["midpointMjdTai"] == "61176.9896294959"


def test_payload_midpoint_time_converted_to_tai():
    utc = Time(61176.5, format="mjd", scale="utc")
    payload = Fink.query_sources(SOURCES_ID, midpoint_mjd_tai=utc, get_query_payload=True)
    assert float(payload["midpointMjdTai"]) == pytest.approx(61176.5 + 37 / 86400, abs=1e-9)


def test_payload_midpoint_day_prefix_kept_as_text():
    payload = Fink.query_sources(SOURCES_ID, midpoint_mjd_tai="61176", get_query_payload=True)
    assert payload["midpointMjdTai"] == "61176"


@pytest.mark.parametrize("endpoint", ["fp", "/api/v1/fp", "api/v1/fp", "api/v1/fp/"])
def test_schema_payload_accepts_endpoint_spellings(endpoint):
    assert Fink.get_schema(endpoint, get_query_payload=True) == {"endpoint": "/api/v1/fp"}


# --- invalid input is refused before any request ---------------------------------------------


@pytest.mark.parametrize("bad, fragment", [
    ("", "only digits"),
    ("12-34", "only digits"),  # no letter: not a name (names: tests/test_names.py)
    ([], "empty"),
    (-5, "non-negative"),
    ("12345678901234567890", "more than 19 digits"),
    (2**63, "64-bit"),
    (3.137610436040459e17, "float"),
    (True, "boolean"),
    ([FP_ID, None], "NoneType"),
    (MaskedColumn([FP_ID, 1], mask=[False, True]), "masked"),
])
def test_invalid_ids_refused_before_request(server, client, bad, fragment):
    with pytest.raises(InvalidQueryError, match=fragment):
        client.query_forced_photometry(bad)
    assert server.calls == []


@pytest.mark.parametrize("kwargs, fragment", [
    ({"output_format": "fits"}, "not supported"),
    ({"columns": "psfFlux"}, "family prefix"),
    ({"columns": ["r:psfFlux", "band"]}, "band"),
    ({"columns": ""}, "empty"),
    ({"columns": []}, "empty"),
])
def test_invalid_options_refused_before_request(server, client, kwargs, fragment):
    with pytest.raises(InvalidQueryError, match=fragment):
        client.query_sources(FP_ID, **kwargs)
    assert server.calls == []


def test_midpoint_with_several_ids_refused(server, client):
    with pytest.raises(InvalidQueryError, match="single dia_object_id"):
        client.query_sources([1, 2], midpoint_mjd_tai=61176.5)
    assert server.calls == []


@pytest.mark.parametrize("bad", ["-3", "soon", float("nan"), True])
def test_invalid_midpoint_refused(server, client, bad):
    with pytest.raises(InvalidQueryError, match="midpoint_mjd_tai"):
        client.query_sources(SOURCES_ID, midpoint_mjd_tai=bad)
    assert server.calls == []


@pytest.mark.parametrize("endpoint", ["resolver", "blocks", "/api/v1/skymap", "photometry"])
def test_schema_of_undescribed_endpoint_refused(server, client, endpoint):
    with pytest.raises(InvalidQueryError, match="has no schema"):
        client.get_schema(endpoint)
    assert server.calls == []


# --- requests as sent -------------------------------------------------------------------------


def test_request_is_post_json_to_endpoint_with_timeout(server, client):
    fetch(client, server, "fp_313761043604045880.xml")
    (call,) = server.calls
    assert call["method"] == "POST"
    assert call["url"] == "https://fink.example.org/api/v1/fp"
    assert call["json"] == {"diaObjectId": "313761043604045880", "output-format": "votable"}
    assert call["timeout"] == conf.timeout


def test_server_and_timeout_read_from_conf_at_call_time(server):
    fink = FinkClass()
    server.answer("fp_313761043604045880.json")
    with conf.set_temp("server", "http://127.0.0.1:9/"), conf.set_temp("timeout", 7):
        fink.query_forced_photometry(FP_ID, output_format="json")
    assert server.calls[0]["url"] == "http://127.0.0.1:9/api/v1/fp"
    assert server.calls[0]["timeout"] == 7


def test_instance_settings_override_conf(server):
    fink = FinkClass(server="http://replica.test", timeout=3)
    server.answer("fp_313761043604045880.json")
    fink.query_forced_photometry(FP_ID, output_format="json")
    assert server.calls[0]["url"] == "http://replica.test/api/v1/fp"
    assert server.calls[0]["timeout"] == 3


def test_user_agent_names_the_package(client):
    assert "astroquery_fink/" in client._session.headers["User-Agent"]


# --- decoding: one table whatever the format -------------------------------------------------


@pytest.mark.parametrize("name", [
    "fp_313761043604045880.csv", "fp_313761043604045880.parquet", "fp_313761043604045880.json",
])
def test_fp_identical_across_formats(server, client, name):
    reference = fetch(client, server, "fp_313761043604045880.xml")
    other = fetch(client, server, name)
    # json floats are rounded by the server to 10 decimal places; csv, votable and parquet are exact
    assert_same_table(reference, other, float_rtol=1e-9 if name.endswith(".json") else 0.0)


@pytest.mark.parametrize("stem", ["sources_314003014107006318", "objects_314003014107006318"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_sources_and_objects_identical_across_formats(server, client, stem, suffix):
    reference = fetch(client, server, stem + ".xml")
    other = fetch(client, server, stem + suffix)
    assert_same_table(reference, other, float_rtol=1e-9 if suffix == ".json" else 0.0)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_pandas2_nan_strings_are_masked(server, client, suffix):
    pandas3 = fetch(client, server, "sources_314003014107006318" + suffix)
    pandas2 = fetch(client, server, "sources_314003014107006318_pandas2" + suffix)
    assert b'"nan"' in (DATA / "sources_314003014107006318_pandas2.json").read_bytes()
    assert_same_table(pandas3, pandas2)
    for name in pandas2.colnames:
        if pandas2[name].dtype.kind == "U":
            assert "nan" not in list(np.ma.filled(pandas2[name], "")), name


def test_fp_columns_names_and_dtypes(server, client):
    table = fetch(client, server, "fp_313761043604045880.xml")
    assert table.colnames == FP_COLUMNS
    assert len(table) > 0
    for name in ("r:diaObjectId", "r:diaForcedSourceId", "r:visit", "r:detector"):
        assert table[name].dtype == np.int64, name
    for name in ("r:psfFlux", "r:ra", "r:midpointMjdTai"):
        assert table[name].dtype == np.float64, name
    assert table["r:band"].dtype.kind == "U"
    assert set(table["r:band"]) <= set("ugrizy")


def test_ids_are_exact_int64(server, client):
    for name in ("fp_313761043604045880.xml", "fp_313761043604045880.json", "fp_313761043604045880.csv"):
        table = fetch(client, server, name)
        assert np.all(table["r:diaObjectId"] == FP_ID)
        assert int(table["r:diaObjectId"][0]) == FP_ID  # 313761043604045880, not ...045888 via a double


def test_fp_units(server, client):
    table = fetch(client, server, "fp_313761043604045880.parquet")
    expected = {"r:psfFlux": u.nJy, "r:psfFluxErr": u.nJy, "r:scienceFlux": u.nJy, "r:ra": u.deg, "r:dec": u.deg,
                "r:midpointMjdTai": u.day, "r:timeProcessedMjdTai": u.day}
    for name, unit in expected.items():
        assert table[name].unit == unit, name
    for name in ("r:diaObjectId", "r:band", "r:visit"):
        assert table[name].unit is None, name
    assert all(table[name].description for name in table.colnames)
    assert table["r:ra"].meta["ucd"] == "pos.eq.ra"


def test_fp_sorted_newest_first(server, client):
    table = fetch(client, server, "fp_313761043604045880.csv")
    assert np.all(np.diff(table["r:midpointMjdTai"]) <= 0)


def test_parquet_row_keys_dropped(server, client):
    table = fetch(client, server, "fp_313761043604045880.parquet")
    assert "__index_level_0__" not in table.colnames
    assert b"__index_level_0__" in (DATA / "fp_313761043604045880.parquet").read_bytes()


def test_sources_types_and_masks(server, client):
    table = fetch(client, server, "sources_314003014107006318.xml")
    assert table["r:dipoleFitAttempted"].dtype == bool
    assert table["f:xm_simbad_otype"].dtype.kind == "U"
    assert table["r:diaSourceId"].dtype == np.int64
    masked = [name for name in table.colnames if isinstance(table[name], MaskedColumn) and table[name].mask.any()]
    assert masked, "the recorded light curve has nulls; they must come back masked"


def test_meta_records_query(server, client):
    table = fetch(client, server, "sources_314003014107006318.json")
    assert table.meta["endpoint"] == "/api/v1/sources"
    assert table.meta["url"] == "https://fink.example.org/api/v1/sources"
    assert table.meta["query"]["diaObjectId"] == str(SOURCES_ID)
    assert table.meta["query"]["output-format"] == "json"


def test_several_ids_one_table(server, client):
    table = fetch(client, server, "fp_multi.xml")
    assert set(table["r:diaObjectId"]) == {FP_ID, 170261592629837872}
    single = fetch(client, server, "fp_313761043604045880.xml")
    assert np.sum(table["r:diaObjectId"] == FP_ID) == len(single)


def test_requested_column_missing_from_answer_added_masked(server, client):
    server.answer("sources_314003014107006318.json")
    columns = MANIFEST["sources_314003014107006318.json"]["payload"]["columns"] + ",r:trailLength"
    table = client.query_sources(SOURCES_ID, columns=columns, output_format="json")
    assert table["r:trailLength"].dtype == np.float64
    assert table["r:trailLength"].mask.all()
    assert table["r:trailLength"].unit == u.arcsec
    # the leading columns of a light curve, then the others in the order asked
    assert table.colnames == ["r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr", "r:snr",
                              "r:diaSourceId", "r:ra", "r:dec", "f:xm_simbad_otype", "f:clf_earlySNIa_score",
                              "r:dipoleFitAttempted", "r:target_name", "r:trailLength"]


def test_column_the_server_schema_lists_but_the_answer_lacks_warns(server, client, monkeypatch):
    # a column newer than the packaged map: the server's schema lists it, so it is asked for
    schema = Table({"name": ["r:midpointMjdTai", "r:newField"]})
    monkeypatch.setattr(client, "get_schema", lambda endpoint: schema)
    server.answer("sources_314003014107006318.json")
    columns = MANIFEST["sources_314003014107006318.json"]["payload"]["columns"] + ",r:newField"
    with pytest.warns(InputWarning, match="newField"):
        table = client.query_sources(SOURCES_ID, columns=columns, output_format="json")
    assert "r:newField" not in table.colnames
    assert server.calls[-1]["json"]["columns"].endswith(",r:newField")


# --- empty answers -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.xml", "empty.json", "empty.csv", "empty.parquet"])
def test_empty_answer_is_empty_table_with_warning(server, client, name):
    with pytest.warns(NoResultsWarning, match="123456789012345678"):
        table = fetch(client, server, name)
    assert len(table) == 0
    assert table.colnames == FP_COLUMNS
    assert table["r:diaObjectId"].dtype == np.int64
    assert table["r:psfFlux"].unit == u.nJy


# --- errors -------------------------------------------------------------------------------------


def test_missing_argument_400_becomes_invalid_query(server, client):
    server.answer("error_missing_id.txt")
    with pytest.raises(InvalidQueryError, match="A value for `diaObjectId` is required") as error:
        client.query_forced_photometry(FP_ID)
    assert "HTTP 400" in str(error.value)
    assert "\\n" not in str(error.value)


def test_bad_format_400_becomes_invalid_query(server, client):
    server.answer("error_bad_format.txt")
    with pytest.raises(InvalidQueryError, match="is not supported. Choose among json, csv, votable, or parquet"):
        client.query_forced_photometry(FP_ID)


def test_server_crash_becomes_remote_service_error(server, client):
    server.answer("error_internal.json")
    with pytest.raises(RemoteServiceError, match="HTTP 500.*Internal Server Error"):
        client.query_object(FP_ID)


def test_schema_404_becomes_invalid_query(server, client):
    server.answer("error_schema_404.txt")
    with pytest.raises(InvalidQueryError, match="is not a valid endpoint"):
        client.get_schema("fp")


def test_timeout_becomes_astroquery_timeout(server, client):
    server.answer(requests.ReadTimeout("read timed out"))
    client._timeout = 2.5
    with pytest.raises(AstroqueryTimeoutError, match=r"fink\.example\.org.*2\.5 s"):
        client.query_forced_photometry(FP_ID)


def test_connection_refused_becomes_remote_service_error(server, client):
    server.answer(requests.ConnectionError("refused"))
    with pytest.raises(RemoteServiceError, match="connection to the Fink API at https://fink.example.org failed"):
        client.query_forced_photometry(FP_ID)


def ok_status(name):
    """An answer that says 200 but holds the body of recorded file ``name``."""
    def respond(url):
        response = recorded_response(name, url)
        response.status_code = 200
        return response
    return respond


@pytest.mark.parametrize("output_format", ["votable", "json", "csv", "parquet"])
def test_malformed_body_becomes_table_parse_error(server, client, output_format):
    server.answer(ok_status("error_missing_id.txt"))
    with pytest.raises(TableParseError, match=output_format):
        client.query_forced_photometry(FP_ID, output_format=output_format)


# --- cache ----------------------------------------------------------------------------------------


def cache_files(client):
    return list(Path(client.cache_location).glob("*.pickle"))


def test_no_cache_by_default(server, client):
    server.answer("fp_313761043604045880.json")
    client.query_forced_photometry(FP_ID, output_format="json")
    client.query_forced_photometry(FP_ID, output_format="json")
    assert len(server.calls) == 2
    assert cache_files(client) == []


def test_cache_true_reuses_answer(server, client):
    server.answer("fp_313761043604045880.json")
    first = client.query_forced_photometry(FP_ID, output_format="json", cache=True)
    second = client.query_forced_photometry(FP_ID, output_format="json", cache=True)
    assert len(server.calls) == 1
    assert len(cache_files(client)) == 1
    assert_same_table(first, second)


def test_failed_answer_not_left_in_cache(server, client):
    server.answer("error_internal.json", "fp_313761043604045880.json")
    with pytest.raises(RemoteServiceError):
        client.query_forced_photometry(FP_ID, output_format="json", cache=True)
    assert cache_files(client) == []
    table = client.query_forced_photometry(FP_ID, output_format="json", cache=True)
    assert len(table) > 0
    assert len(server.calls) == 2


def test_unreadable_answer_not_left_in_cache(server, client):
    server.answer(ok_status("error_internal.json"))
    with pytest.raises(TableParseError):
        client.query_forced_photometry(FP_ID, output_format="json", cache=True)
    assert cache_files(client) == []


# --- schema -----------------------------------------------------------------------------------------


def test_schema_table(server, client):
    server.answer("schema_fp.json")
    schema = client.get_schema("fp")
    assert schema.colnames == ["name", "unit", "type", "description", "family", "nullable"]
    assert len(schema) == 14
    assert set(schema["family"]) == {"r"}
    row = schema.loc["r:psfFlux"]
    assert row["unit"] == u.nJy
    assert row["type"] == "float" and row["nullable"]
    assert schema.loc["r:diaObjectId"]["unit"] == ""
    assert schema.meta["endpoint"] == "/api/v1/schema"


def test_schema_sources_units_corrected(server, client):
    server.answer("schema_sources.json")
    schema = client.get_schema("sources")
    assert {"r", "f"} == set(schema["family"])
    # the avsc doc says [nJy] for trailLengthErr and [nJy.arcsec**2] for ixx: the map corrects them
    assert schema.loc["r:trailLengthErr"]["unit"] == u.arcsec
    assert schema.loc["r:ixx"]["unit"] == u.arcsec**2
    assert schema.loc["f:xm_gaiadr3_Plx"]["unit"] == u.mas


def test_results_carry_packaged_descriptions_whatever_was_asked_before(server, client):
    from astroquery_fink.columns import column_info

    server.answer("fp_313761043604045880.csv")
    before = client.query_forced_photometry(FP_ID, output_format="csv")
    server.answer("schema_fp.json")
    schema = client.get_schema("fp")
    server.answer("fp_313761043604045880.csv")
    after = client.query_forced_photometry(FP_ID, output_format="csv")
    packaged = column_info("fp", "r:psfFlux").description
    assert before["r:psfFlux"].description == after["r:psfFlux"].description == packaged
    # the server's own text is read from get_schema, and only there
    assert schema.loc["r:psfFlux"]["description"] != packaged


def test_no_warning_escapes_a_normal_query(server, client):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fetch(client, server, "objects_314003014107006318.xml")


def test_result_is_plain_table(server, client):
    table = fetch(client, server, "objects_314003014107006318.parquet")
    assert type(table) is Table
    assert len(table) == 1


def test_response_hook_skipped_unless_debug_logging(monkeypatch, client):
    from astroquery import log
    from astroquery.query import BaseQuery

    seen = []
    monkeypatch.setattr(BaseQuery, "_response_hook", lambda self, response, *a, **k: seen.append(response))
    response = recorded_response("fp_313761043604045880.xml", "https://fink.example.org/api/v1/fp")
    with log.log_to_list():
        level = log.level
        try:
            log.setLevel("INFO")
            client._response_hook(response)
            assert seen == []
            log.setLevel("DEBUG")
            client._response_hook(response)
            assert seen == [response]
        finally:
            log.setLevel(level)


def test_values_of_unexpected_type_kept_with_warning():
    from astroquery_fink.decode import decode_table
    from astroquery_fink.exceptions import UnexpectedValuesWarning

    body = b'[{"Date": "2026-01-01T00:00:00", "n": 1}, {"Date": null, "n": 2}]'
    kinds = {"Date": "float", "n": "int"}
    with pytest.warns(UnexpectedValuesWarning, match="Date"):
        table = decode_table(body, "json", kinds)
    assert table["Date"][0] == "2026-01-01T00:00:00"
    assert table["Date"].mask[1]
    assert table["n"].dtype == np.int64


def test_front_end_error_page_reduced_to_its_title():
    from astroquery_fink.errors import error_for_response

    page = (b"<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
            b"<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    error = error_for_response(504, page, "https://fink.test/api/v1/fp")
    assert str(error).endswith("HTTP 504 from https://fink.test/api/v1/fp): 504 Gateway Time-out")


@pytest.mark.parametrize("body", [
    b"r:band,r:diaObjectId\ng,313761043604045880\nr,3137610",  # cut inside a value
    b"r:band,r:diaObjectId\ng,313761043604045880\nr\n",  # a row short of a field
])
def test_incomplete_csv_refused(body):
    from astroquery_fink.decode import decode_table

    with pytest.raises(TableParseError, match="csv"):
        decode_table(body, "csv")
