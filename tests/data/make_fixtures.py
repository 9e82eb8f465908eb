"""Regenerate the recorded Fink answers of tests/data through the replica's Flask app (no sockets)."""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a source checkout without installing

from astroquery_fink.testing import create_app  # noqa: E402

MAX_BYTES = 60_000
FP_ID = "313761043604045880"
SOURCES_ID = "314003014107006318"
SOURCES_COLUMNS = (
    "r:diaObjectId,r:diaSourceId,r:midpointMjdTai,r:band,r:psfFlux,r:psfFluxErr,r:ra,r:dec,r:snr,"
    "f:xm_simbad_otype,f:clf_earlySNIa_score,r:isDipole"
)
FORMATS = {"json": "json", "csv": "csv", "xml": "votable", "parquet": "parquet"}


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
    yield "error_missing_id.txt", "/api/v1/fp", {"output-format": "votable"}, 3
    yield "error_bad_format.txt", "/api/v1/fp", {"diaObjectId": FP_ID, "output-format": "JSON"}, 3
    # an id sent as a JSON integer crashes the server (spec §1.2): flask-restx 500 body
    yield "error_internal.json", "/api/v1/objects", {"diaObjectId": int(FP_ID), "output-format": "votable"}, 3
    yield "error_schema_404.txt", "/api/v1/schema", {"endpoint": "/api/v1/blocks"}, 3
    yield "schema_fp.json", "/api/v1/schema", {"endpoint": "/api/v1/fp"}, 3
    yield "schema_sources.json", "/api/v1/schema", {"endpoint": "/api/v1/sources"}, 3


def main():
    clients = {}
    for major in (2, 3):
        app = create_app(pandas_major=major)
        app.logger.disabled = True  # the 500 recording would print the replica's traceback
        clients[major] = app.test_client()
    manifest = {}
    for name, endpoint, payload, major in fixtures():
        response = clients[major].post(endpoint, json=payload)
        body = response.get_data()
        if len(body) >= MAX_BYTES:
            raise SystemExit(f"{name}: {len(body)} bytes, keep recordings under {MAX_BYTES}")
        (HERE / name).write_bytes(body)
        manifest[name] = {
            "endpoint": endpoint,
            "payload": payload,
            "status": response.status_code,
            "content_type": response.headers["Content-Type"],
        }
        print(f"{name:45s} {response.status_code} {response.headers['Content-Type']:28s} {len(body):6d} bytes")
    (HERE / "responses.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
