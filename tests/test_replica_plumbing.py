"""
HTTP plumbing the replica's 12 routes share, over real HTTP on loopback (no client code involved).

One parametrized test per behaviour, each run on every route it applies to: the bare GET (a one-line
HTML description, or the JSON index of /tags and /blocks), the CORS headers, HEAD and OPTIONS, the JSON
405 of other methods, the JSON 415 of a POST without a JSON body, and Flask's HTML 404 for a trailing
slash or an unknown path.
"""
import pytest

from .replica_http import HTML, NOT_ALLOWED

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type,Authorization",
    "Access-Control-Allow-Methods": "GET,PUT,POST,DELETE,OPTIONS",
}
# what a GET without query string answers on the routes that describe themselves
DESCRIPTIONS = {
    "/api/v1/sources": "Get diaSource data based on Rubin diaObjectId",
    "/api/v1/objects": "Get diaObject & aggregated data based on Rubin diaObjectId",
    "/api/v1/fp": "Get forced photometry data based on Rubin diaObjectId",
    "/api/v1/schema": "Retrieve the data schema for a given endpoint for Fink/Rubin API",
    "/api/v1/conesearch": "Get Rubin alerts data based on coordinates",
    "/api/v1/cutouts": "Get cutout alert data based on Rubin diaSourceId",
    "/api/v1/sso": "Retrieve Solar System object data from Fink/Rubin based on their number or designation",
    "/api/v1/resolver": "Resolve astronomical names to LSST IDs, and vice-versa",
    "/api/v1/skymap": "Return Fink/LSST alerts within a GW skymap",
    "/api/v1/statistics": "Get statistics about Fink and the Rubin alert stream",
}
# their bare GET lists the tags / building blocks as JSON (contents: test_replica_tags.py)
INDEXES = ["/api/v1/tags", "/api/v1/blocks"]
ENDPOINTS = [*DESCRIPTIONS, *INDEXES]
GET_ONLY = {"/api/v1/blocks"}
POST_ROUTES = [endpoint for endpoint in ENDPOINTS if endpoint not in GET_ONLY]
NOT_JSON = (b'{"message": "Did not attempt to load JSON data because the request Content-Type was not '
            b'\'application/json\'."}\n')
FLASK_404 = b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>"
FP_ID = "313761043604045880"


def allowed(endpoint):
    """The methods an OPTIONS request or a 405 lists in its Allow header."""
    return {"GET", "HEAD", "OPTIONS"} if endpoint in GET_ONLY else {"GET", "HEAD", "POST", "OPTIONS"}


def allow_header(response):
    return set(response.headers["Allow"].replace(" ", "").split(","))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_bare_get_and_cors(http, url, endpoint):
    response = http.get(url + endpoint)
    assert response.status_code == 200
    if endpoint in DESCRIPTIONS:
        assert response.headers["Content-Type"] == HTML
        assert response.content == DESCRIPTIONS[endpoint].encode()
    else:
        assert response.headers["Content-Type"] == "application/json"
    for name, value in CORS.items():
        assert response.headers[name] == value


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_head_and_options(http, url, endpoint):
    head = http.head(url + endpoint)
    assert head.status_code == 200 and head.content == b""
    options = http.options(url + endpoint)
    assert options.status_code == 200
    assert allow_header(options) == allowed(endpoint)
    assert options.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(("endpoint", "method"), [
    *((endpoint, method) for endpoint in ENDPOINTS for method in ("PUT", "DELETE", "PATCH")),
    *((endpoint, "POST") for endpoint in sorted(GET_ONLY)),
])
def test_other_methods_are_json_405(http, url, endpoint, method):
    response = http.request(method, url + endpoint, json={"diaObjectId": FP_ID})
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == NOT_ALLOWED
    assert allow_header(response) == allowed(endpoint)


@pytest.mark.parametrize("endpoint", POST_ROUTES)
@pytest.mark.parametrize("kwargs", [
    {"data": b'{"diaObjectId": "313761043604045880"}'},  # JSON, but no Content-Type at all
    {"data": b"x"},
    {"data": {"diaObjectId": FP_ID}},  # form post
    {},  # no body
], ids=["json-untyped", "bytes", "form", "empty"])
def test_post_without_json_content_type_is_415(http, url, endpoint, kwargs):
    response = http.post(url + endpoint, **kwargs)
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == NOT_JSON
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("params", [None, {"diaObjectId": FP_ID}], ids=["bare", "query"])
@pytest.mark.parametrize("path", [
    *(endpoint + "/" for endpoint in ENDPOINTS),  # exact paths only: a trailing slash is unknown
    "/api/v1/nothing", "/api/v1/metadata", "/api/v1/classes",  # ZTF routes absent from the LSST API
])
def test_unknown_path_is_flask_html_404(http, url, path, params):
    response = http.get(url + path, params=params)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == HTML
    assert response.content.startswith(FLASK_404)
    assert "Access-Control-Allow-Origin" not in response.headers
