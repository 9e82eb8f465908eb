"""Offline tests of the cone search, tags, Solar System, resolver, cutouts, statistics, sky map and
blocks methods: payloads and input checks here, decoding of recorded answers further down."""
import gzip
import json

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from astroquery.exceptions import InputWarning, InvalidQueryError, MaxResultsWarning, NoResultsWarning

from astroquery_fink import Fink

from .recorded import DATA, FORMAT_OF_SUFFIX, MANIFEST, assert_same_table

CENTRE = SkyCoord(53.2514, -27.861, unit="deg")


# --- query_region ---------------------------------------------------------------------------------


def test_region_payload_degrees_and_arcsec():
    payload = Fink.query_region(CENTRE, 10 * u.arcsec, get_query_payload=True)
    assert payload == {"ra": pytest.approx(53.2514), "dec": pytest.approx(-27.861), "radius": pytest.approx(10.0),
                       "output-format": "votable"}


@pytest.mark.parametrize("radius", [10, 10.0, 10 * u.arcsec, 1 / 360 * u.deg, "10 arcsec", "0d0m10s"])
def test_region_radius_forms_agree(radius):
    assert Fink.query_region(CENTRE, radius, get_query_payload=True)["radius"] == pytest.approx(10.0)


def test_region_galactic_coordinates_converted_to_icrs():
    galactic = CENTRE.galactic
    payload = Fink.query_region(galactic, 5, get_query_payload=True)
    assert payload["ra"] == pytest.approx(53.2514, abs=1e-9)
    assert payload["dec"] == pytest.approx(-27.861, abs=1e-9)


def test_region_string_coordinates_read_as_icrs():
    with pytest.warns(InputWarning):
        payload = Fink.query_region("03h33m00.33s -27d51m39.74s", 5, get_query_payload=True)
    assert payload["ra"] == pytest.approx(53.2514, abs=1e-4)
    assert payload["dec"] == pytest.approx(-27.861, abs=1e-4)


def test_region_five_degrees_allowed_above_refused(server):
    assert Fink.query_region(CENTRE, 5 * u.deg, get_query_payload=True)["radius"] == pytest.approx(18000)
    with pytest.raises(InvalidQueryError, match="18000 arcsec"):
        Fink.query_region(CENTRE, 5.01 * u.deg)
    assert server.calls == []


@pytest.mark.parametrize("radius", [0, -3, 3 * u.m, None, "wide", True])
def test_region_bad_radius_refused(server, radius):
    with pytest.raises(InvalidQueryError, match="radius"):
        Fink.query_region(CENTRE, radius)
    assert server.calls == []


def test_region_several_positions_refused(server):
    with pytest.raises(InvalidQueryError, match="single position"):
        Fink.query_region(SkyCoord([1, 2], [3, 4], unit="deg"), 5)
    assert server.calls == []


def test_region_times_sent_as_tai_iso():
    payload = Fink.query_region(CENTRE, 5, start_time=Time("2026-01-07 10:00:00", scale="utc"),
                                stop_time=61050.0, get_query_payload=True)
    assert payload["startdate"] == "2026-01-07 10:00:37.000"  # TAI = UTC + 37 s
    assert payload["stopdate"] == Time(61050.0, format="mjd", scale="tai").iso


def test_region_iso_string_read_as_utc():
    payload = Fink.query_region(CENTRE, 5, start_time="2026-01-07 10:00:00", get_query_payload=True)
    assert payload["startdate"] == "2026-01-07 10:00:37.000"


def test_region_window_in_days():
    payload = Fink.query_region(CENTRE, 5, start_time=61050.0, window=48 * u.hour, get_query_payload=True)
    assert payload["window"] == pytest.approx(2.0)


def test_region_window_without_start_refused(server):
    with pytest.raises(InvalidQueryError, match="window needs start_time"):
        Fink.query_region(CENTRE, 5, window=2)
    assert server.calls == []


def test_region_columns_always_carry_position_and_time():
    payload = Fink.query_region(CENTRE, 5, columns="r:diaObjectId,r:raErr", get_query_payload=True)
    assert payload["columns"].split(",") == ["r:diaObjectId", "r:raErr", "r:ra", "r:dec", "r:midpointMjdTai"]


def test_region_columns_with_dates_carry_first_detection():
    payload = Fink.query_region(CENTRE, 5, columns=["r:diaObjectId"], start_time=61050.0, get_query_payload=True)
    assert "f:firstDiaSourceMjdTaiFink" in payload["columns"].split(",")


@pytest.mark.parametrize("n", [0, -1, 2.5, "10"])
def test_region_bad_n_refused(n):
    with pytest.raises(InvalidQueryError, match="n must be a positive integer"):
        Fink.query_region(CENTRE, 5, n=n)


@pytest.mark.parametrize("bad", ["yesterday", [61050, 61051], object()])
def test_region_bad_time_refused(bad):
    with pytest.raises(InvalidQueryError, match="start_time"):
        Fink.query_region(CENTRE, 5, start_time=bad)


# --- tags -------------------------------------------------------------------------------------------


def test_tags_payload_sends_n_explicitly():
    payload = Fink.query_tags("in_tns", get_query_payload=True)
    # the server's default (10) and its documentation (100) disagree: always say which
    assert payload == {"tag": "in_tns", "n": 10, "output-format": "votable"}


def test_tags_payload_dates_and_columns():
    payload = Fink.query_tags("in_tns", n=50, start_time="2025-12-10", stop_time=Time("2025-12-31"),
                              columns=["r:diaObjectId", "f:xm_tns_fullname"], get_query_payload=True)
    assert payload["startdate"] == "2025-12-10 00:00:37.000"
    assert payload["stopdate"] == "2025-12-31 00:00:37.000"
    # the time column is always asked for: the client sorts the alerts newest first on it
    assert payload["columns"] == "r:diaObjectId,f:xm_tns_fullname,r:midpointMjdTai"
    assert payload["n"] == 50


# --- sso --------------------------------------------------------------------------------------------


def test_sso_payload_names_and_numbers():
    payload = Fink.query_sso(["2015 BC557", 8467, "2015 BC557"], get_query_payload=True)
    assert payload == {"n_or_d": "2015 BC557,8467", "output-format": "votable"}


def test_sso_ephemerides_sent_as_json_true():
    payload = Fink.query_sso("J96T28C", with_ephemerides=True, get_query_payload=True)
    assert payload["withEphem"] is True


@pytest.mark.parametrize("bad", ["", [], ["1984 CP", ""], "a,b", [None], 2.5])
def test_sso_bad_names_refused(server, bad):
    with pytest.raises(InvalidQueryError, match="name_or_number"):
        Fink.query_sso(bad)
    assert server.calls == []


# --- resolver ---------------------------------------------------------------------------------------


def test_resolve_forward_payload():
    assert Fink.resolve(" SN 2022and ", get_query_payload=True) == {
        "resolver": "tns", "name_or_id": "SN 2022and", "output-format": "json"}


def test_resolve_reverse_payload_json_true_and_id_text():
    payload = Fink.resolve(313888627082919999, reverse=True, nmax=5, get_query_payload=True)
    assert payload == {"resolver": "tns", "name_or_id": "313888627082919999", "reverse": True, "nmax": 5,
                       "output-format": "json"}


@pytest.mark.parametrize("kwargs, fragment", [
    ({"resolver": "ned"}, "resolver 'ned' is not supported"),
    ({"reverse": True, "name": "SN 2022and"}, "only digits"),
    ({"nmax": "10"}, "nmax must be a positive integer"),
])
def test_resolve_bad_input_refused(server, kwargs, fragment):
    arguments = {"name": "SN 2022and", **kwargs}
    with pytest.raises(InvalidQueryError, match=fragment):
        Fink.resolve(arguments.pop("name"), **arguments)
    assert server.calls == []


# --- cutouts ----------------------------------------------------------------------------------------


def test_cutouts_payload_normalizes_spelling():
    payload = Fink.get_cutouts("170424319673368579", kind="science", output_format="png", stretch="Linear",
                               convolution_kernel="GAUSS", get_query_payload=True)
    assert payload == {"diaSourceId": "170424319673368579", "kind": "Science", "output-format": "PNG",
                       "stretch": "linear", "convolution_kernel": "gauss"}


@pytest.mark.parametrize("kwargs, fragment", [
    ({"kind": "All", "output_format": "FITS"}, "only available with output_format='array'"),
    ({"kind": "Sky"}, "kind 'Sky' is not supported"),
    ({"output_format": "jpeg"}, "output_format 'jpeg'"),
    ({"output_format": "PNG", "stretch": "histeq"}, "stretch 'histeq'"),
    ({"output_format": "FITS", "stretch": "log"}, "only apply to output_format='PNG'"),
    ({"output_format": "PNG", "convolution_kernel": "median"}, "convolution_kernel"),
])
def test_cutouts_bad_options_refused(server, kwargs, fragment):
    with pytest.raises(InvalidQueryError, match=fragment):
        Fink.get_cutouts(170424319673368579, **kwargs)
    assert server.calls == []


def test_cutouts_single_id_only(server):
    with pytest.raises(InvalidQueryError, match="single dia_source_id"):
        Fink.get_cutouts([1, 2])


# --- statistics -------------------------------------------------------------------------------------


@pytest.mark.parametrize("date, sent", [
    ("", ""), ("2025", "2025"), (202511, "202511"), ("2025-11-02", "20251102"),
    (Time("2025-11-02T23:00:00"), "20251102"),
])
def test_statistics_date_forms(date, sent):
    assert Fink.query_statistics(date, get_query_payload=True)["date"] == sent


@pytest.mark.parametrize("bad", ["25", "2025110", "last night", True])
def test_statistics_bad_date_refused(server, bad):
    with pytest.raises(InvalidQueryError, match="date must be"):
        Fink.query_statistics(bad)
    assert server.calls == []


# --- skymap -----------------------------------------------------------------------------------------


def fits_bytes():
    return b"SIMPLE  =                    T" + b" " * 2850


def test_skymap_event_payload():
    payload = Fink.query_skymap(event_name="S251112cm", credible_level=0.9, get_query_payload=True)
    assert payload == {"event_name": "S251112cm", "credible_level": 0.9, "output-format": "votable"}


def test_skymap_bytes_sent_as_python_literal_of_gzip(tmp_path):
    payload = Fink.query_skymap(skymap=fits_bytes(), credible_level=0.5, get_query_payload=True)
    assert "file" not in payload  # documented by the server but ignored: it reads bayestar
    literal = payload["bayestar"]
    assert literal.startswith("b'\\x1f\\x8b")
    from ast import literal_eval
    assert gzip.decompress(literal_eval(literal)) == fits_bytes()


def test_skymap_path_and_gzip_kept(tmp_path):
    path = tmp_path / "bayestar.fits.gz"
    packed = gzip.compress(fits_bytes(), mtime=0)
    path.write_bytes(packed)
    payload = Fink.query_skymap(skymap=path, credible_level=0.5, get_query_payload=True)
    assert payload["bayestar"] == repr(packed)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"credible_level": 0.9}, "exactly one of event_name"),
    ({"event_name": "S251112cm", "skymap": b"x", "credible_level": 0.9}, "exactly one of event_name"),
    ({"event_name": "S251112cm", "credible_level": 0}, r"\(0, 1\]"),
    ({"event_name": "S251112cm", "credible_level": 1.5}, r"\(0, 1\]"),
    ({"skymap": b"not a map", "credible_level": 0.9}, "not a FITS file"),
    ({"skymap": "/no/such/bayestar.fits", "credible_level": 0.9}, "could not read the sky map"),
    ({"event_name": "S25 1112", "credible_level": 0.9}, "GraceDB superevent"),
])
def test_skymap_bad_input_refused(server, kwargs, fragment):
    with pytest.raises(InvalidQueryError, match=fragment):
        Fink.query_skymap(**kwargs)
    assert server.calls == []


def test_empty_cutout_shapes():
    from astroquery_fink.cutouts import empty_cutout

    assert empty_cutout("Science", "PNG") == b""
    assert len(empty_cutout("Science", "FITS")) == 0
    assert empty_cutout("Difference", "array").shape == (0, 0)
    assert set(empty_cutout("All", "array")) == {"Science", "Template", "Difference"}
    assert all(np.size(stamp) == 0 for stamp in empty_cutout("All", "array").values())


# --- decoding of recorded answers (tests/data, see its README) -------------------------------------

CONE = "conesearch_53.2514_-27.861_10"


def cone(client, server, suffix, **kwargs):
    server.answer(CONE + suffix)
    return client.query_region(CENTRE, 10 * u.arcsec, output_format=FORMAT_OF_SUFFIX[suffix], **kwargs)


def default_cone(client, server):
    """The default call (VOTable): the server cannot write this full read in VOTable, so CSV follows."""
    server.answer(CONE + ".votable_500.json", CONE + ".csv")
    table = client.query_region(CENTRE, 10 * u.arcsec)
    assert [call["json"]["output-format"] for call in server.calls[-2:]] == ["votable", "csv"]
    return table


def test_cone_default_call_identical_to_json(server, client):
    table = default_cone(client, server)
    assert table.meta["transport"] == "csv"
    from_json = cone(client, server, ".json")
    # JSON rounds the degrees to 10 decimals (the spec): up to 0.5e-10 deg = 1.8e-7 arcsec off
    np.testing.assert_allclose(table["v:separation_arcsec"], from_json["v:separation_arcsec"], rtol=0, atol=1.8e-7)
    from_json["v:separation_arcsec"] = table["v:separation_arcsec"]
    assert_same_table(table, from_json, float_rtol=1e-9)


def test_cone_votable_selection_identical_to_parquet(server, client):
    columns = MANIFEST[CONE + ".columns.xml"]["payload"]["columns"]
    assert columns == MANIFEST[CONE + ".parquet"]["payload"]["columns"]
    assert_same_table(cone(client, server, ".columns.xml", columns=columns),
                      cone(client, server, ".parquet", columns=columns))


def test_cone_table(server, client):
    table = default_cone(client, server)
    assert len(table) >= 2
    # the server's v:separation_degree, in arcsec, after the id
    separation = table["v:separation_arcsec"]
    assert separation.unit == u.arcsec
    assert np.all(np.diff(separation) >= 0)
    assert np.all(separation <= 10)
    served = [row["v:separation_degree"] for row in json.loads((DATA / (CONE + ".json")).read_text())]
    np.testing.assert_allclose(separation, np.array(served) * 3600, rtol=0, atol=1.8e-7)
    assert "v:separation_degree" in separation.description
    assert table["r:diaObjectId"].dtype == np.int64
    assert len(set(table["r:diaObjectId"])) == len(table)
    assert table["f:firstDiaSourceMjdTaiFink"].unit == u.day
    assert table.colnames[:4] == ["r:diaObjectId", "v:separation_arcsec", "r:ra", "r:dec"]
    assert "r:salt" not in table.colnames and "v:separation_degree" not in table.colnames


def test_cone_parquet_selection(server, client):
    table = cone(client, server, ".parquet", columns=MANIFEST[CONE + ".parquet"]["payload"]["columns"])
    assert {"r:ra", "r:dec", "r:midpointMjdTai", "v:separation_arcsec"} <= set(table.colnames)
    assert "__index_level_0__" not in table.colnames


def test_cone_empty(server, client):
    server.answer("conesearch_empty.json")
    with pytest.warns(NoResultsWarning, match="within 1 arcsec"):
        table = client.query_region(SkyCoord(0, 80, unit="deg"), 1, output_format="json")
    assert len(table) == 0
    assert "v:separation_arcsec" in table.colnames and table["v:separation_arcsec"].unit == u.arcsec


def test_cone_server_refusal_decoded(server, client):
    server.answer("conesearch_error_radius.txt")
    with pytest.raises(InvalidQueryError, match="cannot be bigger than 18,000 arcseconds"):
        client.query_region(CENTRE, 10)


def test_tags_list(server, client):
    server.answer("tags_list.json")
    tags = client.list_tags()
    assert tags.colnames == ["tag", "api_support", "description"]
    support = dict(zip(tags["tag"], tags["api_support"], strict=True))
    assert support["in_tns"] and not support["uniform_sample"]
    assert list(tags["tag"]) == sorted(tags["tag"])
    assert server.calls[0]["method"] == "GET"


@pytest.mark.parametrize("suffix", [".json", ".xml"])
def test_tags_latest_alerts(server, client, suffix):
    name = "tags_in_tns_5" + suffix
    server.answer("tags_list.json", name)
    with pytest.warns(MaxResultsWarning, match="n=5"):
        table = client.query_tags("in_tns", n=5, columns=MANIFEST[name]["payload"]["columns"],
                                  output_format=FORMAT_OF_SUFFIX[suffix])
    assert len(table) == 5
    assert np.all(np.diff(table["r:midpointMjdTai"]) <= 0)
    assert table["r:psfFlux"].unit == u.nJy
    assert [call["method"] for call in server.calls] == ["GET", "POST"]


@pytest.mark.parametrize("tag, fragment", [("cataloged", "not a Fink tag"), ("uniform_sample", "livestream")])
def test_tags_refused_from_the_server_list(server, client, tag, fragment):
    server.answer("tags_list.json")
    with pytest.raises(InvalidQueryError, match=fragment) as error:
        client.query_tags(tag)
    assert "in_tns" in str(error.value)
    assert [call["method"] for call in server.calls] == ["GET"]  # the list only, never the query


def test_tags_list_fetched_once(server, client):
    server.answer("tags_list.json")
    for tag in ("cataloged", "nope"):
        with pytest.raises(InvalidQueryError):
            client.query_tags(tag)
    assert len(server.calls) == 1


@pytest.mark.parametrize("name, fragment", [
    ("tags_error_unknown.txt", "cataloged is not a valid tag. Here is the list of tags"),
    ("tags_error_no_api.txt", "only available from the Livestream service"),
])
def test_tags_plain_text_errors_decoded(name, fragment):
    from astroquery_fink.errors import error_for_response

    error = error_for_response(400, (DATA / name).read_bytes(), "https://fink.test/api/v1/tags")
    assert isinstance(error, InvalidQueryError)
    assert fragment in str(error)
    assert "\n" not in str(error) and "  " not in str(error)


def test_sso_identical_across_formats(server, client):
    columns = MANIFEST["sso_2015_BC557.json"]["payload"]["columns"]
    tables = []
    for name in ("sso_2015_BC557.json", "sso_2015_BC557.parquet"):
        server.answer(name)
        suffix = "." + name.rsplit(".", 1)[1]
        tables.append(client.query_sso("2015 BC557", columns=columns, output_format=FORMAT_OF_SUFFIX[suffix]))
    assert_same_table(tables[1], tables[0], float_rtol=1e-9)
    table = tables[1]
    assert len(table) > 0
    assert table["r:ssObjectId"].dtype == np.int64
    assert table["r:psfFlux"].unit == u.nJy


def test_sso_with_ephemerides(server, client):
    server.answer("sso_ephem_J96T28C.json")
    table = client.query_sso("J96T28C", with_ephemerides=True, output_format="json")
    assert len(table) > 0
    assert table["Phase"].unit == u.deg
    assert table["Dobs"].unit == u.AU
    assert table["i:magpsf_red"].unit == u.mag
    assert table["i:magpsf_red"].dtype == np.float64
    assert "1996 TC28" in set(table["f:sso_name"])


def test_sso_unknown_name(server, client):
    server.answer("sso_error_unknown.txt")
    with pytest.raises(InvalidQueryError, match="not a valid name or number according to quaero"):
        client.query_sso("kdflsjffld")


def test_resolve_tns_typed(server, client):
    server.answer("resolver_tns_SN_2022and.json")
    table = client.resolve("SN 2022and")
    assert len(table) == 3
    assert table["f:ra"].dtype == np.float64 and table["f:ra"].unit == u.deg
    assert table["f:declination"][0] == pytest.approx(3.757143)
    assert table["f:redshift"][0] == pytest.approx(0.043)
    assert set(table["f:internalname"]) == {"ATLAS22cwl", "PS22agq", "ZTF22aaaifcx"}


def test_resolve_reaching_nmax_warns(server, client):
    server.answer("resolver_tns_SN_2022and.json")
    with pytest.warns(MaxResultsWarning, match="nmax=3"):
        client.resolve("SN 2022and", nmax=3)


def test_resolve_tns_reverse(server, client):
    server.answer("resolver_tns_reverse_313888627082919999.json")
    table = client.resolve(313888627082919999, reverse=True)
    assert table["r:diaObjectId"].dtype == np.int64
    assert set(table["r:diaObjectId"]) == {313888627082919999}


def test_resolve_simbad(server, client):
    server.answer("resolver_simbad_LEDA_1258009.json")
    table = client.resolve("LEDA 1258009", resolver="simbad")
    assert table["jradeg"].unit == u.deg
    assert table["jradeg"][0] == pytest.approx(150.02792)
    assert table["oid"].dtype == np.int64


def test_resolve_ssodnet_both_ways(server, client):
    server.answer("resolver_ssodnet_reverse_21164728071239491.json")
    reverse = client.resolve(21164728071239491, resolver="ssodnet", reverse=True)
    assert "2015 BC557" in set(reverse["r:unpacked_primary_provisional_designation"])
    assert reverse["r:ssObjectId"].dtype == np.int64
    server.answer("resolver_ssodnet_2015_BC557.json")
    forward = client.resolve("2015 BC557", resolver="ssodnet")
    assert set(forward["r:ssObjectId"]) == {21164728071239491}


def test_cutout_fits(server, client):
    server.answer("cutouts_170424319673368579_Science.fits")
    hdus = client.get_cutouts(170424319673368579)
    assert len(hdus) == 3
    assert hdus[0].data.shape == (30, 30)


def test_cutout_arrays(server, client):
    server.answer("cutouts_170424319673368579_Difference_array.json")
    stamp = client.get_cutouts(170424319673368579, kind="Difference", output_format="array")
    assert stamp.shape == (30, 30) and stamp.dtype == np.float64
    server.answer("cutouts_170424319673368579_All.json")
    stamps = client.get_cutouts(170424319673368579, kind="All", output_format="array")
    assert sorted(stamps) == ["Difference", "Science", "Template"]
    assert np.array_equal(stamps["Difference"], stamp, equal_nan=True)


def test_cutout_png(server, client):
    server.answer("cutouts_170424319673368579_Science.png")
    png = client.get_cutouts(170424319673368579, output_format="PNG")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("output_format", ["PNG", "FITS", "array"])
def test_cutout_unknown_source(server, client, output_format):
    server.answer("cutouts_unknown.png")
    with pytest.warns(NoResultsWarning, match="123456789012345678"):
        result = client.get_cutouts(123456789012345678, output_format=output_format)
    assert len(result) == 0


def test_cutout_refusal_decoded(server, client):
    server.answer("cutouts_error_all_png.txt")
    with pytest.raises(InvalidQueryError, match="only compatible with `output-format=array`"):
        client.get_cutouts(170424319673368579)


def test_statistics_typed(server, client):
    server.answer("statistics_20251102.json")
    table = client.query_statistics("20251102", output_format="json")
    assert len(table) == 1
    assert table["f:alerts"].dtype == np.int64 and table["f:alerts"][0] == 1348
    assert table["f:night"][0] == 20251102
    assert table["f:fink_broker_version"].dtype.kind == "U"
    assert table.colnames[:4] == ["f:night", "f:alerts", "f:objects", "f:visits"]  # the server sends f:night last


def test_statistics_of_a_year(server, client):
    server.answer("statistics_2025.csv")
    table = client.query_statistics(2025, output_format="csv")
    assert len(table) == 37
    assert np.all(np.diff(table["f:night"]) > 0)
    assert np.all(table["f:night"] // 10000 == 2025)


def test_skymap_alerts(server, client):
    server.answer("skymap_S251112cm_0.9.json")
    table = client.query_skymap(event_name="S251112cm", credible_level=0.9, output_format="json")
    assert len(table) > 0
    assert table["v:startgwMjdTai"].unit == u.day
    assert table["v:startgwMjdTai"][0] == pytest.approx(60991.638, abs=1e-3)


def test_skymap_empty_region(server, client):
    server.answer("skymap_empty.json")
    with pytest.warns(NoResultsWarning, match="0.1 credible region"):
        table = client.query_skymap(event_name="S251112cm", credible_level=0.1, output_format="json")
    assert len(table) == 0


def test_skymap_test_map_encodes_and_decodes():
    from ast import literal_eval

    path = DATA / "skymap_test_bayestar.fits.gz"
    payload = Fink.query_skymap(skymap=path, credible_level=0.9, get_query_payload=True)
    assert literal_eval(payload["bayestar"]) == path.read_bytes()


def test_blocks(server, client):
    server.answer("blocks.json")
    blocks = client.list_blocks()
    assert len(blocks) == 15
    assert "b_is_new" in blocks["block"]
    assert server.calls[0]["method"] == "GET"


def test_schema_of_cone_search(server, client):
    server.answer("schema_conesearch.json")
    schema = client.get_schema("conesearch")
    assert {"r", "f"} == set(schema["family"])
    assert schema.loc["r:psfFlux"]["unit"] == u.nJy
