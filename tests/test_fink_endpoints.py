"""Offline tests of the cone search, tags, Solar System, resolver, cutouts, statistics, sky map and
blocks methods: payloads and input checks here, decoding of recorded answers further down."""
import gzip

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from astroquery.exceptions import InputWarning, InvalidQueryError

from astroquery_fink import Fink

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
    assert payload["columns"] == "r:diaObjectId,f:xm_tns_fullname"
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
