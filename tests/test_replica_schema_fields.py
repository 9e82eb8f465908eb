"""The replica's own field lists: generated LSST facts, hand-written Fink fields, schema answers, table schemas."""

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from astroquery_fink.testing import fields
from astroquery_fink.testing.dataset import TABLES, default_dataset
from astroquery_fink.testing.fink_fields import OBJECT_FIELDS, SOURCE_FIELDS, STATISTICS_FIELDS

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO.parent / "shared" / "lsst-schemas"
TOOL = REPO / "tools" / "generate_replica_fields.py"
R, F, B = fields.R_FAMILY, fields.F_FAMILY, fields.B_FAMILY
V10, V11 = ("10", "0"), ("11", "0")

needs_schemas = pytest.mark.skipif(not (SCHEMAS / "alert_packet").is_dir(), reason="LSST schema files not available")


def packaged_text():
    return resources.files("astroquery_fink.testing").joinpath("data", "lsst_fields.json").read_text(encoding="utf-8")


def avsc_docs():
    """Every doc sentence of the schema files the generator reads."""
    for path in sorted((SCHEMAS / "alert_packet").glob("*/*.avsc")):
        for field in json.loads(path.read_text(encoding="utf-8")).get("fields", []):
            if field.get("doc"):
                yield re.sub(r"\s*\[[^\[\]]+\]\.?\s*$", "", field["doc"]).strip()


def counts(answer):
    return {family: len(names) for family, names in answer.items()}


# --- the generated file ---------------------------------------------------------------------------


@needs_schemas
def test_generator_reproduces_the_packaged_file(tmp_path):
    out = tmp_path / "lsst_fields.json"
    subprocess.run([sys.executable, str(TOOL), "--schemas", str(SCHEMAS), "--output", str(out)], check=True,
                   capture_output=True)
    assert out.read_text(encoding="utf-8") == packaged_text()
    check = subprocess.run([sys.executable, str(TOOL), "--schemas", str(SCHEMAS), "--check"], capture_output=True)
    assert check.returncode == 0, check.stdout


@needs_schemas
def test_no_lsst_doc_sentence_is_packaged_or_served():
    text = packaged_text()
    served = json.dumps([fields.schema_answer(e, v) for e in ("/api/v1/sources", "/api/v1/objects", "/api/v1/fp",
                                                               "/api/v1/sso", "/datatransfer/lsst")
                         for v in fields.VERSIONS])
    docs = {doc for doc in avsc_docs() if len(doc) > 15}
    assert len(docs) > 200
    assert [doc for doc in docs if doc in text] == []
    assert [doc for doc in docs if doc in served] == []


def test_packaged_facts_only():
    data = json.loads(packaged_text())
    assert set(data["versions"]) == {"10.0", "11.0"} and data["latest"] == "11.0"
    for records in data["versions"].values():
        assert {r: len(f) for r, f in records.items()} == {
            "alert": 6, "diaSource": 98, "diaObject": 82, "diaForcedSource": 14, "ssSource": 39, "mpc_orbits": 53}
        for entries in records.values():
            for entry in entries:
                assert set(entry) <= {"name", "type", "unit", "doc"} and entry.get("doc", False) is False


def test_units_bracketed_in_the_lsst_docs():
    def units(record):
        return sorted(f["unit"] for f in fields.lsst_fields(record) if "unit" in f)

    assert units("diaForcedSource") == ["d", "deg", "deg", "nJy", "nJy", "nJy", "nJy"]
    assert len(units("diaSource")) == 41 and units("diaSource").count("nJy.arcsec**2") == 6
    assert units("ssSource") == []  # no bracket in the ssSource docs
    source = {f["name"]: f.get("unit") for f in fields.lsst_fields("diaSource")}
    # reproduced as the LSST docs have them: a flux unit on two angular errors
    assert source["trailLengthErr"] == source["trailAngleErr"] == "nJy"
    assert source["midpointMjdTai"] == "d" and source["timeProcessedMjdTai"] is None


def test_counts_made_non_nullable_in_11():
    changed = {}
    for record in ("diaSource", "diaObject", "diaForcedSource", "ssSource"):
        old = {f["name"]: f["type"] for f in fields.lsst_fields(record, V10)}
        new = {f["name"]: f["type"] for f in fields.lsst_fields(record, V11)}
        assert list(old) == list(new)
        changed.update({name: (old[name], new[name]) for name in new if old[name] != new[name]})
    expected = {"psfNdata", "trailNdata", "dipoleNdata", "bboxSize", *(f"{b}_psfFluxNdata" for b in "ugrizy")}
    assert set(changed) == expected
    assert all(pair == (["null", "int"], "int") for pair in changed.values())


# --- schema answers -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [V10, V11])
@pytest.mark.parametrize(("endpoint", "expected"), [
    ("/api/v1/sources", {R: 100, F: 32}),
    ("/api/v1/tags", {R: 100, F: 32}),
    ("/api/v1/objects", {R: 85, F: 6}),
    ("/api/v1/fp", {R: 14}),
    ("/api/v1/conesearch", {R: 176, F: 38}),
    ("/api/v1/cutouts", {B: 3}),
    ("/api/v1/sso", {R: 137, F: 1}),
    ("/api/v1/statistics", {F: 22}),
    ("/datatransfer/fink", {"Fink": 38}),
    ("/datatransfer/lsst", {"LSST": 390}),
])
def test_schema_answer_families(endpoint, expected, version):
    answer = fields.schema_answer(endpoint, version)
    assert counts(answer) == expected
    assert list(answer) == list(expected)  # the LSST family first
    for family, names in answer.items():
        assert list(names) == sorted(names)
        keys = ["type", "doc"] if family in (R, B, "LSST") else ["type", "doc", "fink_broker_version",
                                                                   "fink_science_version"]
        assert all(list(info) == keys for info in names.values()), family


@pytest.mark.parametrize("endpoint", ["/api/v1/resolver", "/api/v1/skymap", "/api/v1/blocks", "api/v1/fp", "", None])
def test_schema_answer_404(endpoint):
    assert fields.schema_answer(endpoint) is None


def test_schema_quirks_reproduced():
    sources = fields.schema_answer("/api/v1/sources")
    objects = fields.schema_answer("/api/v1/objects")
    assert objects[F]["firstDiaSourceMjdTaiFink"]["type"] == "string"
    assert sources[F]["xm_gaiadr3_VarFlag"]["type"] == "int"
    assert {"xm_spicy_SPICY", "clf_slsn_score"} <= set(sources[F])
    assert sources[R]["diaSourceId"] == {"type": "long", "doc": "Field diaSourceId of the LSST alert record."}
    assert "diaSourceId" in objects[R]
    assert fields.schema_answer("/api/v1/cutouts")[B]["cutoutScience"] == {"type": ["null", "bytes"], "doc": "TBD"}
    cone = fields.schema_answer("/api/v1/conesearch")[R]
    assert cone["diaObjectId"]["type"] == "long"  # the diaObject entry overrides the diaSource one
    sso = fields.schema_answer("/api/v1/sso")
    assert sso[R]["ssObjectId"]["type"] == ["null", "long"]  # the diaSource entry overrides the ssSource one
    assert sso[F] == {"sso_name": {"type": "str", "doc": "Name given by the SsODNet resolver.",
                                   "fink_broker_version": "4.0", "fink_science_version": "8.26.0"}}
    stats = fields.schema_answer("/api/v1/statistics")[F]
    assert {name: info["type"] for name, info in stats.items() if info["type"] != "int"} == {
        "fink_broker_version": "str", "fink_science_version": "str", "lsst_schema_version": "str"}
    assert (stats["in_tns"]["fink_broker_version"], stats["in_tns"]["fink_science_version"]) == ("4.1", "8.34.0")


def test_fink_version_stamps():
    fink = fields.schema_answer("/api/v1/sources")[F]
    stamps = {name: (info["fink_broker_version"], info["fink_science_version"]) for name, info in fink.items()}
    later = {name: stamp for name, stamp in stamps.items() if stamp != ("4.0", "8.26.0")}
    assert later == {
        "xm_tns_fullname": ("4.1", "8.36.0"), "xm_tns_redshift": ("4.1", "8.36.0"),
        "xm_legacydr8_zphot": ("4.1", "8.34.0"), "xm_legacydr8_e_zphot": ("4.1", "8.34.0"),
        "xm_legacydr8_pstar": ("4.1", "8.34.0"), "clf_elephant_kstest_science": ("4.1", "8.34.0"),
        "clf_elephant_kstest_template": ("4.1", "8.34.0"), "clf_cats_score": ("4.1", "8.35.0")}


def test_datatransfer_names():
    fink = fields.schema_answer("/datatransfer/fink")["Fink"]
    assert {"xm.simbad_otype", "clf.cats_class", "fink.broker_version", "lsst.schema_version", "pred.is_sso",
            "misc.firstDiaSourceMjdTaiFink"} <= set(fink)
    lsst = fields.schema_answer("/datatransfer/lsst")["LSST"]
    prefixes = {name.split(".")[0] for name in lsst if "." in name}
    assert prefixes == {"diaObject", "diaSource", "prvDiaSources", "prvDiaForcedSources", "ssSource", "mpc_orbits"}
    assert {"diaSourceId", "observation_reason", "target_name", "cutoutScience"} <= set(lsst)
    assert lsst["prvDiaForcedSources.psfFlux"]["doc"].endswith(" [nJy].")


def test_docs_end_with_the_lsst_unit():
    fp = fields.schema_answer("/api/v1/fp")[R]
    assert fp["psfFlux"]["doc"].endswith(" [nJy].")
    assert "[" not in fp["timeProcessedMjdTai"]["doc"]


def test_schema_route_serves_datatransfer_lsst(http, url):
    response = http.get(url + "/api/v1/schema", params={"endpoint": "/datatransfer/lsst"})
    assert response.status_code == 200
    assert counts(response.json()) == {"LSST": 390}
    response = http.post(url + "/api/v1/schema", json={"endpoint": "/datatransfer/lsst", "major_version": 9,
                                                       "minor_version": 0})
    assert response.status_code == 500


# --- HBase table schemas --------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "n"), [
    ("sources", 131), ("tags", 131), ("objects", 91), ("fp", 15), ("conesearch", 214), ("sso", 139)])
def test_table_schema_sizes(endpoint, n):
    schema = fields.table_schema(endpoint)
    assert len(schema) == n and list(schema) == sorted(schema)
    assert set(schema.values()) <= {"long", "integer", "float", "double", "string", "boolean"}


def test_table_schema_stores_what_the_broker_writes():
    sources, objects = fields.table_schema("sources"), fields.table_schema("objects")
    assert objects["f:firstDiaSourceMjdTaiFink"] == "double"  # declared string
    assert sources["f:xm_gaiadr3_VarFlag"] == "string"  # declared int
    assert "f:xm_spicy_SPICY" not in sources and "f:clf_slsn_score" not in sources
    assert "r:diaSourceId" not in objects and objects["r:salt"] == "string"
    assert sources["r:psfFlux"] == "float" and sources["r:visit"] == "long" and sources["r:detector"] == "integer"
    assert fields.table_schema("conesearch")["f:pixel1024"] == "long"
    sso = fields.table_schema("sso")
    assert sso["r:packed_primary_provisional_designation"] == "string" and "f:sso_name" not in sso
    stored = {f.name for f in SOURCE_FIELDS if f.stored} | {f.name for f in OBJECT_FIELDS}
    assert len(stored) == 36 and len(STATISTICS_FIELDS) == 22


def test_generated_dataset_uses_these_schemas():
    data = default_dataset()
    for endpoint in ("sources", "objects", "fp", "conesearch", "sso"):
        name = TABLES[endpoint]
        assert data.schemas[name] == fields.table_schema(endpoint)
        assert set(data.tables[name].columns) <= set(data.schemas[name])
