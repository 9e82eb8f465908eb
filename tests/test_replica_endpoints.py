"""Plumbing shared by the replica's 12 routes, the schema of the new ones, and the extended dataset."""

import pandas as pd
import pytest

from astroquery_fink.testing import SPEC_SOURCE_IDS
from astroquery_fink.testing.dataset import TABLES, default_dataset, generate_dataset

from .replica_http import HTML, NOT_ALLOWED, assert_error

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type,Authorization",
    "Access-Control-Allow-Methods": "GET,PUT,POST,DELETE,OPTIONS",
}
DATA_ROUTES = {
    "/api/v1/conesearch": "Get Rubin alerts data based on coordinates",
    "/api/v1/cutouts": "Get cutout alert data based on Rubin diaSourceId",
    "/api/v1/sso": "Retrieve Solar System object data from Fink/Rubin based on their number or designation",
    "/api/v1/resolver": "Resolve astronomical names to LSST IDs, and vice-versa",
    "/api/v1/skymap": "Return Fink/LSST alerts within a GW skymap",
    "/api/v1/statistics": "Get statistics about Fink and the Rubin alert stream",
}


@pytest.mark.parametrize("endpoint", sorted(DATA_ROUTES))
def test_bare_get_and_cors(http, url, endpoint):
    response = http.get(url + endpoint)
    assert (response.status_code, response.headers["Content-Type"]) == (200, HTML)
    assert response.text == DATA_ROUTES[endpoint]
    for name, value in CORS.items():
        assert response.headers[name] == value


@pytest.mark.parametrize("endpoint", [*sorted(DATA_ROUTES), "/api/v1/tags", "/api/v1/blocks"])
def test_put_is_405_and_trailing_slash_404(http, url, endpoint):
    assert_error(http.put(url + endpoint, json={}), 405, NOT_ALLOWED, "application/json")
    assert http.get(url + endpoint + "/").status_code == 404


@pytest.mark.parametrize("endpoint", sorted(DATA_ROUTES))
def test_post_without_json_is_415(http, url, endpoint):
    assert http.post(url + endpoint, data=b"x").status_code == 415


@pytest.mark.parametrize(("endpoint", "counts"), [
    ("/api/v1/conesearch", {"LSST original fields (r:)": 176, "Fink science module outputs (f:)": 38}),
    ("/api/v1/sso", {"LSST original fields (r:)": 137, "Fink science module outputs (f:)": 1}),
    ("/api/v1/tags", {"LSST original fields (r:)": 100, "Fink science module outputs (f:)": 32}),
    ("/api/v1/cutouts", {"LSST original cutouts (b:)": 3}),
    ("/api/v1/statistics", {"Fink science module outputs (f:)": 22}),
])
def test_schema_of_the_new_endpoints(http, url, endpoint, counts):
    body = http.get(url + "/api/v1/schema", params={"endpoint": endpoint}).json()
    assert {family: len(fields) for family, fields in body.items()} == counts


def test_new_tables_are_consistent():
    data = default_dataset()
    sources, objects = data.tables[TABLES["sources"]], data.tables[TABLES["objects"]]
    pixels = data.tables[TABLES["conesearch"]]
    assert len(pixels) == len(objects) and len(pixels.columns) == 214
    assert set(pixels["r:diaObjectId"].astype("int64")) == set(objects["r:diaObjectId"].astype("int64"))
    assert {int(i) for i in SPEC_SOURCE_IDS} <= set(sources["r:diaSourceId"].astype("int64"))
    cutouts = data.tables[TABLES["cutouts"]]
    sso = data.tables[TABLES["sso"]]
    assert len(cutouts) == len(sources) + len(sso)  # every alert has stamps
    assert cutouts["r:diaSourceId"].is_unique
    for tag in ("in_tns", "most_likely_sn", "hostless_candidate"):
        table = data.tables[f"rubin.tag_{tag}"]
        assert len(table) >= 5 and list(table.columns) == list(sources.columns)
    assert len(data.tables["rubin.tag_in_tns"]) >= 60


def test_generation_is_deterministic():
    again = generate_dataset()
    for name, frame in default_dataset().tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name])
