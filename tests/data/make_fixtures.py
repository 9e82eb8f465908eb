"""Regenerate the recorded Fink answers of tests/data through the replica's Flask app (no sockets)."""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a source checkout without installing

from astroquery_fink.testing import create_app  # noqa: E402
from astroquery_fink.testing.services.gracedb import EVENT_NAME, bayestar_bytes  # noqa: E402

MAX_BYTES = 60_000
FP_ID = "313761043604045880"
SOURCES_ID = "314003014107006318"
# given in an order that differs from the server's (HashMap) order of their storage keys
SMALL_ID = "170587115523932323"  # 7 alerts
ORDER_IDS = "313761043604045880,313699514821640259,314003014107006318,170261592629837872"
SOURCES_COLUMNS = (
    "r:diaObjectId,r:diaSourceId,r:midpointMjdTai,r:band,r:psfFlux,r:psfFluxErr,r:ra,r:dec,r:snr,"
    "f:xm_simbad_otype,f:clf_earlySNIa_score,r:dipoleFitAttempted,r:target_name"
)
FORMATS = {"json": "json", "csv": "csv", "xml": "votable", "parquet": "parquet"}
CENTRE = {"ra": 53.2514, "dec": -27.861}
CUTOUT_ID = "170424319673368579"
TAG_COLUMNS = "r:diaObjectId,r:diaSourceId,r:midpointMjdTai,r:psfFlux,r:band,f:xm_tns_fullname"
CONE_PARQUET_COLUMNS = "r:diaObjectId,r:diaSourceId,r:psfFlux,r:band,f:firstDiaSourceMjdTaiFink,f:xm_simbad_otype"
SSO_COLUMNS = "r:midpointMjdTai,r:psfFlux,r:band,r:ssObjectId,r:diaSourceId"
# input of /api/v1/skymap, not an answer of the Fink API: what the replica's GraceDB serves
BAYESTAR_MAP = "skymap_test_bayestar.fits.gz"
GRACEDB_URL = f"https://gracedb.ligo.org/api/superevents/{EVENT_NAME}/files/bayestar.fits.gz"


def fixtures():
    """(file name, endpoint, JSON payload, pandas major of the emulated server) of every recording."""
    for suffix, fmt in FORMATS.items():
        yield f"fp_{FP_ID}.{suffix}", "/api/v1/fp", {"diaObjectId": FP_ID, "output-format": fmt}, 3
        yield (f"sources_{SOURCES_ID}.{suffix}", "/api/v1/sources",
               {"diaObjectId": SOURCES_ID, "columns": SOURCES_COLUMNS, "output-format": fmt}, 3)
        yield f"objects_{SOURCES_ID}.{suffix}", "/api/v1/objects", {"diaObjectId": SOURCES_ID, "output-format": fmt}, 3
        yield f"empty.{suffix}", "/api/v1/fp", {"diaObjectId": "123456789012345678", "output-format": fmt}, 3
    for suffix in ("json", "csv"):
        yield (f"sources_{SOURCES_ID}_pandas2.{suffix}", "/api/v1/sources",
               {"diaObjectId": SOURCES_ID, "columns": SOURCES_COLUMNS, "output-format": FORMATS[suffix]}, 2)
    for suffix in ("json", "xml"):
        yield (f"fp_multi.{suffix}", "/api/v1/fp",
               {"diaObjectId": f"{FP_ID},170261592629837872", "output-format": FORMATS[suffix]}, 3)
    yield from server_quirks()
    yield "error_missing_id.txt", "/api/v1/fp", {"output-format": "votable"}, 3
    yield "error_bad_format.txt", "/api/v1/fp", {"diaObjectId": FP_ID, "output-format": "JSON"}, 3
    # an id sent as a JSON integer crashes the server (it needs a string): flask-restx 500 body
    yield "error_internal.json", "/api/v1/objects", {"diaObjectId": int(FP_ID), "output-format": "votable"}, 3
    yield "error_schema_404.txt", "/api/v1/schema", {"endpoint": "/api/v1/blocks"}, 3
    yield "schema_fp.json", "/api/v1/schema", {"endpoint": "/api/v1/fp"}, 3
    yield "schema_sources.json", "/api/v1/schema", {"endpoint": "/api/v1/sources"}, 3
    yield from other_endpoints()


def server_quirks():
    """Answers that show how the server orders, drops and fails to write rows."""
    # several objects without a time column: rows in Java HashMap order of their storage keys
    yield ("objects_order.xml", "/api/v1/objects",
           {"diaObjectId": ORDER_IDS, "columns": "r:ra,r:dec,r:diaObjectId", "output-format": "votable"}, 3)
    # a selection whose cells are all null in a row loses that row ...
    yield ("fp_psfFlux_alone.json", "/api/v1/fp",
           {"diaObjectId": FP_ID, "columns": "r:psfFlux", "output-format": "json"}, 3)
    # ... unless it holds a column that is never null: what the client sends for columns="r:psfFlux"
    yield ("fp_psfFlux_client.json", "/api/v1/fp",
           {"diaObjectId": FP_ID, "columns": "r:psfFlux,r:diaObjectId,r:midpointMjdTai", "output-format": "json"}, 3)
    # full reads the server cannot write in VOTable, and the same queries in CSV (and JSON), which
    # it writes: a boolean null in the newest row (pandas 3) ...
    for suffix, fmt in (("votable_500.json", "votable"), ("csv", "csv")):
        yield (f"sources_{FP_ID}_full.{suffix}", "/api/v1/sources", {"diaObjectId": FP_ID, "output-format": fmt}, 3)
    # ... and text columns null in every row (pandas 2), on an object small enough to record in JSON
    for suffix, fmt in (("votable_500.json", "votable"), ("csv", "csv"), ("json", "json")):
        yield (f"sources_{SMALL_ID}_full_pandas2.{suffix}", "/api/v1/sources",
               {"diaObjectId": SMALL_ID, "output-format": fmt}, 2)


def other_endpoints():
    """Recordings of conesearch, tags, sso, resolver, cutouts, statistics, skymap, blocks, schema."""
    for suffix, fmt in FORMATS.items():
        payload = {**CENTRE, "radius": 10, "output-format": fmt}
        if suffix == "parquet":
            # ~175 columns of parquet metadata make a 118 kB file: select a few to stay under MAX_BYTES
            payload["columns"] = CONE_PARQUET_COLUMNS
        if suffix == "xml":
            # the full read has a boolean null in its first row, which the server cannot write in
            # VOTable (HTTP 500); a selection without booleans it writes
            yield "conesearch_53.2514_-27.861_10.votable_500.json", "/api/v1/conesearch", payload, 3
            payload = {**payload, "columns": CONE_PARQUET_COLUMNS}
            suffix = "columns.xml"
        yield f"conesearch_53.2514_-27.861_10.{suffix}", "/api/v1/conesearch", payload, 3
    yield "conesearch_empty.json", "/api/v1/conesearch", {"ra": 0, "dec": 80, "radius": 1}, 3
    yield "conesearch_error_radius.txt", "/api/v1/conesearch", {**CENTRE, "radius": 36000}, 3
    yield "tags_list.json", "/api/v1/tags", None, 3
    for suffix in ("json", "xml"):
        yield (f"tags_in_tns_5.{suffix}", "/api/v1/tags",
               {"tag": "in_tns", "n": 5, "columns": TAG_COLUMNS, "output-format": FORMATS[suffix]}, 3)
    yield "tags_error_unknown.txt", "/api/v1/tags", {"tag": "cataloged"}, 3
    yield "tags_error_no_api.txt", "/api/v1/tags", {"tag": "uniform_sample"}, 3
    for suffix in ("json", "parquet"):
        yield (f"sso_2015_BC557.{suffix}", "/api/v1/sso",
               {"n_or_d": "2015 BC557", "columns": SSO_COLUMNS, "output-format": FORMATS[suffix]}, 3)
    yield "sso_ephem_J96T28C.json", "/api/v1/sso", {"n_or_d": "J96T28C", "withEphem": True}, 3
    yield "sso_error_unknown.txt", "/api/v1/sso", {"n_or_d": "kdflsjffld"}, 3
    yield "resolver_tns_SN_2022and.json", "/api/v1/resolver", {"resolver": "tns", "name_or_id": "SN 2022and"}, 3
    yield ("resolver_tns_reverse_313888627082919999.json", "/api/v1/resolver",
           {"resolver": "tns", "name_or_id": "313888627082919999", "reverse": True}, 3)
    yield ("resolver_simbad_LEDA_1258009.json", "/api/v1/resolver",
           {"resolver": "simbad", "name_or_id": "LEDA 1258009"}, 3)
    yield ("resolver_ssodnet_reverse_21164728071239491.json", "/api/v1/resolver",
           {"resolver": "ssodnet", "name_or_id": "21164728071239491", "reverse": True}, 3)
    yield ("resolver_ssodnet_2015_BC557.json", "/api/v1/resolver",
           {"resolver": "ssodnet", "name_or_id": "2015 BC557"}, 3)
    yield (f"cutouts_{CUTOUT_ID}_Science.fits", "/api/v1/cutouts",
           {"diaSourceId": CUTOUT_ID, "kind": "Science", "output-format": "FITS"}, 3)
    yield f"cutouts_{CUTOUT_ID}_Science.png", "/api/v1/cutouts", {"diaSourceId": CUTOUT_ID, "kind": "Science"}, 3
    yield (f"cutouts_{CUTOUT_ID}_All.json", "/api/v1/cutouts",
           {"diaSourceId": CUTOUT_ID, "kind": "All", "output-format": "array"}, 3)
    yield (f"cutouts_{CUTOUT_ID}_Difference_array.json", "/api/v1/cutouts",
           {"diaSourceId": CUTOUT_ID, "kind": "Difference", "output-format": "array"}, 3)
    yield "cutouts_unknown.png", "/api/v1/cutouts", {"diaSourceId": "123456789012345678", "kind": "Science"}, 3
    yield ("cutouts_error_all_png.txt", "/api/v1/cutouts",
           {"diaSourceId": CUTOUT_ID, "kind": "All", "output-format": "PNG"}, 3)
    yield "statistics_20251102.json", "/api/v1/statistics", {"date": "20251102"}, 3
    yield "statistics_2025.csv", "/api/v1/statistics", {"date": "2025", "output-format": "csv"}, 3
    yield "skymap_S251112cm_0.9.json", "/api/v1/skymap", {"event_name": EVENT_NAME, "credible_level": 0.9}, 3
    yield "skymap_empty.json", "/api/v1/skymap", {"event_name": EVENT_NAME, "credible_level": 0.1}, 3
    yield "blocks.json", "/api/v1/blocks", None, 3
    yield "schema_conesearch.json", "/api/v1/schema", {"endpoint": "/api/v1/conesearch"}, 3


def _record(name, body, entry):
    if len(body) >= MAX_BYTES:
        raise SystemExit(f"{name}: {len(body)} bytes, keep recordings under {MAX_BYTES}")
    (HERE / name).write_bytes(body)
    print(f"{name:50s} {entry['status']} {entry['content_type']:28s} {len(body):6d} bytes")
    return entry


def main():
    clients = {}
    for major in (2, 3):
        app = create_app(pandas_major=major)
        app.logger.disabled = True  # the 500 recording would print the replica's traceback
        clients[major] = app.test_client()
    manifest = {}
    for name, endpoint, payload, major in fixtures():
        # payload None: a GET without query string (/tags and /blocks answer it with data)
        method = "GET" if payload is None else "POST"
        response = clients[major].open(endpoint, method=method, json=payload)
        entry = {
            "endpoint": endpoint,
            "method": method,
            "payload": payload,
            "status": response.status_code,
            "content_type": response.headers["Content-Type"],
        }
        if "Content-Disposition" in response.headers:
            entry["headers"] = {"Content-Disposition": response.headers["Content-Disposition"]}
        manifest[name] = _record(name, response.get_data(), entry)
    manifest[BAYESTAR_MAP] = _record(BAYESTAR_MAP, bayestar_bytes(), {
        "endpoint": GRACEDB_URL,
        "method": "GET",
        "payload": None,
        "status": 200,
        "content_type": "application/octet-stream",
        "note": ("GraceDB's bayestar.fits.gz as the replica emulates it; "
                 "send repr(bytes) as `bayestar` to /api/v1/skymap"),
    })
    (HERE / "responses.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
