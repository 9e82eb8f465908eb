"""The payload builders as pure functions: user arguments in, the JSON body the server expects out."""
import gzip

import astropy.units as u
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astroquery.exceptions import InvalidQueryError, RemoteServiceError

from astroquery_fink.errors import error_for_response
from astroquery_fink.exceptions import FinkInvalidQueryError, FinkRemoteServiceError
from astroquery_fink.payload import (
    check_tag,
    cone_payload,
    cutout_payload,
    ids_payload,
    normalize_coordinates,
    resolver_payload,
    schema_payload,
    skymap_payload,
    sso_payload,
    statistics_payload,
    tags_payload,
)

FP_ID = 313761043604045880
OTHER_ID = 170261592629837872
CENTRE = SkyCoord(53.2514, -27.861, unit="deg")


# --- id routes -------------------------------------------------------------------------------------

def test_ids_payload_is_the_whole_query_whatever_its_length():
    ids = list(range(1, 251))
    payload = ids_payload("fp", ids)
    assert payload == {"diaObjectId": ",".join(str(i) for i in ids), "output-format": "votable"}


def test_ids_payload_adds_the_order_columns_of_its_endpoint():
    assert ids_payload("objects", FP_ID, columns="r:ra")["columns"] == "r:ra,r:diaObjectId"
    assert ids_payload("fp", FP_ID, columns="r:psfFlux")["columns"] == "r:psfFlux,r:diaObjectId,r:midpointMjdTai"


def test_ids_payload_time_needs_a_single_id():
    assert ids_payload("sources", FP_ID, midpoint_mjd_tai="61176")["midpointMjdTai"] == "61176"
    with pytest.raises(InvalidQueryError, match="single dia_object_id"):
        ids_payload("sources", [FP_ID, OTHER_ID], midpoint_mjd_tai=61176.5)


def test_columns_and_format_written_last_in_every_tabular_payload():
    payloads = [ids_payload("fp", FP_ID, columns="r:psfFlux"), cone_payload(CENTRE, 10, columns="r:ra"),
                tags_payload("in_tns", columns="r:ra"), sso_payload(8467, columns="r:ra"),
                statistics_payload("2025", columns="f:alerts")]
    for payload in payloads:
        assert list(payload)[-2:] == ["columns", "output-format"]


# --- cone, tags, sso, resolver, statistics, schema ------------------------------------------------

def test_cone_payload_radius_in_arcsec_and_needed_columns():
    payload = cone_payload(CENTRE, 0.5 * u.arcmin, columns="r:psfFlux", start_time=61000.0)
    assert payload["radius"] == pytest.approx(30.0)
    assert payload["columns"] == "r:psfFlux,r:ra,r:dec,r:midpointMjdTai,f:firstDiaSourceMjdTaiFink"


def test_cone_payload_window_needs_a_start():
    with pytest.raises(InvalidQueryError, match="window needs start_time"):
        cone_payload(CENTRE, 10, window=3)
    assert cone_payload(CENTRE, 10, start_time=61000.0, window=2 * u.day)["window"] == 2.0


def test_tags_payload_always_sends_n():
    assert tags_payload(" in_tns ") == {"tag": "in_tns", "n": 10, "output-format": "votable"}


def test_sso_payload_ephemerides_as_json_true():
    assert sso_payload(["2015 BC557", 8467], with_ephemerides=True) == {
        "n_or_d": "2015 BC557,8467", "withEphem": True, "output-format": "votable"}


def test_resolver_payload_reverse_takes_one_id_and_asks_json():
    assert resolver_payload(FP_ID, reverse=True, nmax=3) == {
        "resolver": "tns", "name_or_id": str(FP_ID), "reverse": True, "nmax": 3, "output-format": "json"}
    with pytest.raises(InvalidQueryError, match="single identifier"):
        resolver_payload([FP_ID, OTHER_ID], reverse=True)
    with pytest.raises(InvalidQueryError, match="resolver"):
        resolver_payload("x", resolver="ned")


def test_statistics_and_schema_payloads():
    assert statistics_payload("2025-11") == {"date": "202511", "output-format": "votable"}
    assert schema_payload("/api/v1/fp") == {"endpoint": "/api/v1/fp"}
    with pytest.raises(InvalidQueryError, match="has no schema"):
        schema_payload("resolver")


def test_check_tag_names_the_queryable_ones():
    tags = Table(rows=[("in_tns", True), ("live_only", False)], names=("tag", "api_support"))
    check_tag("in_tns", tags)
    with pytest.raises(InvalidQueryError, match=r"not a Fink tag; tags the API can query: \['in_tns'\]"):
        check_tag("nope", tags)
    with pytest.raises(InvalidQueryError, match="only available from the Fink livestream"):
        check_tag("live_only", tags)


# --- cutouts and sky maps --------------------------------------------------------------------------

def test_cutout_payload_spells_choices_as_the_server_does():
    payload = cutout_payload(FP_ID, kind="difference", output_format="png", stretch="LOG", convolution_kernel="Box")
    assert payload == {"diaSourceId": str(FP_ID), "kind": "Difference", "output-format": "PNG", "stretch": "log",
                       "convolution_kernel": "box"}


def test_cutout_payload_refuses_what_the_server_would():
    with pytest.raises(InvalidQueryError, match="kind='All'"):
        cutout_payload(FP_ID, kind="All", output_format="FITS")
    with pytest.raises(InvalidQueryError, match="only apply to output_format='PNG'"):
        cutout_payload(FP_ID, stretch="linear")
    with pytest.raises(InvalidQueryError, match="single dia_source_id"):
        cutout_payload([FP_ID, OTHER_ID])


def test_skymap_payload_from_an_event_or_a_map():
    assert skymap_payload(event_name="S251112cm", credible_level=0.9) == {
        "credible_level": 0.9, "output-format": "votable", "event_name": "S251112cm"}
    plain = b"SIMPLE  =                    T" + b" " * 50
    payload = skymap_payload(skymap=plain, credible_level=1, output_format="json")
    assert gzip.decompress(eval(payload["bayestar"])) == plain  # noqa: S307 (the literal the server reads)
    with pytest.raises(InvalidQueryError, match="exactly one"):
        skymap_payload(credible_level=0.5)
    with pytest.raises(InvalidQueryError, match="credible_level"):
        skymap_payload(event_name="S1", credible_level=1.5)


# --- errors carry facts ----------------------------------------------------------------------------

def test_errors_carry_status_url_and_server_message():
    refused = error_for_response(400, b"{'status': 'error', 'text': 'bad id'}", "https://fink.test/api/v1/fp")
    crashed = error_for_response(500, b'{"message": "Internal Server Error"}', "https://fink.test/api/v1/fp")
    assert isinstance(refused, FinkInvalidQueryError) and isinstance(refused, InvalidQueryError)
    assert isinstance(crashed, FinkRemoteServiceError) and isinstance(crashed, RemoteServiceError)
    assert (refused.status, refused.url, refused.server_message) == (400, "https://fink.test/api/v1/fp", "bad id")
    assert (crashed.status, crashed.server_message) == (500, "Internal Server Error")


@pytest.mark.parametrize("text", ["", "   "])
def test_blank_coordinates_refused_before_any_name_resolution(text):
    with pytest.raises(InvalidQueryError, match="empty string"):
        normalize_coordinates(text)
