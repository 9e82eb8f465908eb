"""The schema of the replica's newer routes, and the extended dataset (shared plumbing: test_replica_plumbing.py)."""

import pandas as pd
import pytest

from astroquery_fink.testing import SPEC_SOURCE_IDS
from astroquery_fink.testing.dataset import TABLES, default_dataset, generate_dataset


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
