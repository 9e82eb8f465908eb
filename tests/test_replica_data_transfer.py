"""
The replica's Data Transfer downloads (`astroquery_fink.testing.write_data_transfer`).

Checked with plain pyarrow against the layout and schema of a real download (as measured on the
Fink tutorials' sample), and, for their content, against the replica's own REST answers read
with plain ``requests``: no client code is involved.
"""

import io
import json
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from astropy.time import Time

from astroquery_fink.testing import BIG_FP_OBJECT_ID, REAL_OBJECT_IDS, write_data_transfer

pytestmark = pytest.mark.remote_data  # the content checks ask the session's replica over HTTP

TOPIC = "ftransfer_lsst_2026-03-27_750709"
# the first file numbers of the real sample: numpy.random.RandomState(0).randint(0, 10**9), in order
SAMPLE_NUMBERS = (209652396, 398764591, 924231285)
NAME = re.compile(r"part-1-0-(\d+)\.parquet")

# the top-level columns of a full packet, in order (29)
COLUMNS = [
    "diaSourceId", "observation_reason", "target_name", "diaSource", "prvDiaSources", "prvDiaForcedSources",
    "diaObject", "ssSource", "mpc_orbits", "cutoutDifference", "cutoutScience", "cutoutTemplate",
    "brokerIngestMjd", "lsst_schema_version", "brokerStartProcessTimestamp", "fink_broker_version",
    "fink_science_version", "publisher", "lc_features", "clf", "xm", "pred", "misc",
    "brokerEndProcessTimestamp", "timestamp", "year", "month", "day", "tns_type_recomputed",
]
FORCED = ["diaForcedSourceId", "diaObjectId", "ra", "dec", "visit", "detector", "psfFlux", "psfFluxErr",
          "midpointMjdTai", "scienceFlux", "scienceFluxErr", "band", "timeProcessedMjdTai", "timeWithdrawnMjdTai"]
L, I32, F, D, B, S = pa.int64(), pa.int32(), pa.float32(), pa.float64(), pa.bool_(), pa.string()
FORCED_TYPES = [L, L, D, D, L, I32, F, F, D, F, F, S, D, D]
CLF = [("snnSnVsOthers_score", F), ("cats_class", I32), ("cats_score", F), ("earlySNIa_score", D),
       ("elephant_kstest_science", F), ("elephant_kstest_template", F)]
PRED = [("is_sso", B), ("is_first", B), ("is_cataloged", B), ("main_label_classifier", I32),
        ("main_label_crossmatch", S)]


@pytest.fixture(scope="module")
def download(tmp_path_factory):
    """The default download: the replica's real objects, 3 alerts each, schemas dumped."""
    folder = tmp_path_factory.mktemp("transfer")
    return folder, write_data_transfer(folder)


@pytest.fixture(scope="module")
def alerts(download):
    folder, _ = download
    return pq.read_table(folder / TOPIC).to_pylist()


def rest(http, url, endpoint, oid, columns):
    response = http.post(f"{url}/api/v1/{endpoint}", json={"diaObjectId": oid, "columns": columns})
    assert response.status_code == 200, response.text[:300]
    return response.json()  # Python's json keeps 64-bit integers exact


# --- layout ---------------------------------------------------------------------------------------


def test_layout_and_names(download):
    folder, files = download
    assert sorted(p.name for p in folder.iterdir()) == [
        f"arrow_schema_{TOPIC}.metadata", f"avro_schema_{TOPIC}.json", TOPIC]
    assert sorted(files) == sorted((folder / TOPIC).iterdir())
    assert len(files) >= 5
    numbers = [int(NAME.fullmatch(p.name).group(1)) for p in files]
    draws = np.random.RandomState(0)
    assert sorted(numbers) == sorted(draws.randint(0, 10**9) for _ in files)
    assert set(SAMPLE_NUMBERS) <= set(numbers)


def test_files_as_fink_client_writes_them(download):
    folder, files = download
    dumped = pq.read_schema(folder / f"arrow_schema_{TOPIC}.metadata")
    total = 0
    for path in files:
        meta = pq.read_metadata(path)
        assert meta.num_row_groups == 1 and 1 <= meta.num_rows <= 8
        assert meta.row_group(0).column(0).compression == "SNAPPY"
        assert set(meta.metadata) == {b"ARROW:schema"}  # no pandas metadata
        assert pq.read_schema(path).remove_metadata().equals(dumped.remove_metadata())
        total += meta.num_rows
    assert total == 3 * len(REAL_OBJECT_IDS)
    schema_file = pq.read_metadata(folder / f"arrow_schema_{TOPIC}.metadata")
    assert (schema_file.num_rows, schema_file.num_row_groups) == (0, 0)


def test_no_schema_dumps_when_not_asked(tmp_path):
    write_data_transfer(tmp_path, REAL_OBJECT_IDS[:1], dump_schemas=False, topic="ftransfer_lsst_2026-01-02_42")
    assert [p.name for p in tmp_path.iterdir()] == ["ftransfer_lsst_2026-01-02_42"]


def test_avro_schema_dump(download):
    folder, _ = download
    avro = json.loads((folder / f"avro_schema_{TOPIC}.json").read_text())
    assert (avro["type"], avro["name"], avro["namespace"]) == ("record", "value", "topLevelRecord")
    fields = {f["name"]: f["type"] for f in avro["fields"]}
    assert list(fields) == COLUMNS
    bare = {"diaSource", "diaObject", "ssSource", "mpc_orbits", "clf", "xm", "pred", "misc"}
    assert {name for name, kind in fields.items() if isinstance(kind, dict)} == bare
    assert fields["diaSourceId"] == ["long", "null"]
    items = fields["prvDiaForcedSources"][0]["items"][0]
    assert [f["name"] for f in items["fields"]] == FORCED
    assert fields["lc_features"][0]["values"][0]["name"] == "topLevelRecord"


# --- schema ---------------------------------------------------------------------------------------


def test_nested_schema_as_the_spec_gives_it(download):
    folder, files = download
    schema = pq.read_schema(files[0])
    assert schema.names == COLUMNS
    source = schema.field("diaSource").type
    assert schema.field("prvDiaSources").type.value_type == source
    sizes = {name: schema.field(name).type.num_fields for name in ("diaSource", "diaObject", "ssSource", "mpc_orbits")}
    assert sizes == {"diaSource": 98, "diaObject": 82, "ssSource": 39, "mpc_orbits": 53}
    names = [f.name for f in source]
    assert names[:8] == ["diaSourceId", "visit", "detector", "diaObjectId", "ssObjectId", "parentDiaSourceId",
                         "midpointMjdTai", "ra"]
    assert names[-23:-21] == ["timeWithdrawnMjdTai", "bboxSize"]
    assert names[-21] == "pixelFlags" and names[-2:] == ["pixelFlags_injected_templateCenter", "glint_trail"]
    types = {f.name: f.type for f in source}
    assert [types[n] for n in ("diaSourceId", "detector", "psfFlux", "midpointMjdTai", "band", "isDipole")] == [
        L, I32, F, D, S, B]
    forced = schema.field("prvDiaForcedSources").type.value_type
    assert [(f.name, f.type) for f in forced] == list(zip(FORCED, FORCED_TYPES, strict=True))
    obj = [f.name for f in schema.field("diaObject").type]
    assert obj[7:13] == ["u_psfFluxMean", "u_psfFluxMeanErr", "u_psfFluxSigma", "u_psfFluxNdata", "u_fpFluxMean",
                         "u_fpFluxMeanErr"]
    assert obj[-3:] == ["firstDiaSourceMjdTai", "lastDiaSourceMjdTai", "nDiaSources"]
    lc = schema.field("lc_features").type
    assert pa.types.is_map(lc) and lc.key_type == S and lc.item_type.num_fields == 26
    assert {f.type for f in lc.item_type} == {D}
    assert [(f.name, f.type) for f in schema.field("clf").type] == CLF
    assert [(f.name, f.type) for f in schema.field("pred").type] == PRED
    assert schema.field("xm").type.num_fields == 21
    assert [(f.name, f.type) for f in schema.field("misc").type] == [("firstDiaSourceMjdTaiFink", D)]
    assert [schema.field(n).type for n in ("year", "month", "day")] == [I32, I32, I32]
    assert [schema.field(n).type for n in ("cutoutScience", "brokerIngestMjd")] == [pa.binary(), D]

    def all_nullable(fields):
        for field in fields:
            assert field.nullable, field
            kind = field.type
            if pa.types.is_list(kind):
                kind = kind.value_type
            if pa.types.is_struct(kind):
                all_nullable(kind)

    all_nullable(schema)


# --- content --------------------------------------------------------------------------------------


def test_every_alert_repeats_its_object_history(alerts, http, url):
    for oid in REAL_OBJECT_IDS:
        mine = sorted((a for a in alerts if a["diaSource"]["diaObjectId"] == int(oid)),
                      key=lambda a: a["diaSource"]["midpointMjdTai"])
        assert len(mine) == 3
        answer = sorted(rest(http, url, "sources", oid, "r:diaSourceId,r:midpointMjdTai"),
                        key=lambda row: row["r:midpointMjdTai"])
        expected = [row["r:diaSourceId"] for row in answer]
        assert [a["diaSourceId"] for a in mine] == expected[-3:]  # the object's latest detections
        for alert in mine:
            own = alert["diaSource"]
            assert alert["diaSourceId"] == own["diaSourceId"] and own["ssObjectId"] == 0
            history = alert["prvDiaSources"]
            k = expected.index(own["diaSourceId"])
            assert [s["diaSourceId"] for s in history] == expected[:k]  # earlier detections only, ascending
            assert all(s["ssObjectId"] is None for s in history)
            assert alert["diaObject"]["diaObjectId"] == int(oid)
            assert alert["diaObject"]["nDiaSources"] == 1 + len(history)
            forced = alert["prvDiaForcedSources"]
            times = [p["midpointMjdTai"] for p in forced]
            assert times == sorted(times) and times[-1] <= own["midpointMjdTai"]
            assert [p["visit"] for p in forced].count(own["visit"]) == 1
        # a later alert's history holds the earlier alert's detection, an identical copy but ssObjectId
        earlier, later = mine[0]["diaSource"], mine[1]["prvDiaSources"][-1]
        assert later == dict(earlier, ssObjectId=None)
        assert mine[1]["prvDiaSources"] == mine[2]["prvDiaSources"][:-1]


def test_first_detection_has_no_history(tmp_path):
    files = write_data_transfer(tmp_path, ["170587115523932323"], alerts_per_object=None, dump_schemas=False)
    rows = pq.read_table(files).to_pylist()
    first = min(rows, key=lambda a: a["diaSource"]["midpointMjdTai"])
    assert first["prvDiaSources"] is None and first["prvDiaForcedSources"] == []
    assert first["pred"]["is_first"] is True and first["diaObject"]["nDiaSources"] == 1
    assert sum(a["pred"]["is_first"] for a in rows) == 1


def test_cutouts_are_fits_files(alerts):
    for alert in alerts[:5]:
        for kind in ("cutoutScience", "cutoutTemplate", "cutoutDifference"):
            stamp = alert[kind]
            assert stamp.startswith(b"SIMPLE  =") and len(stamp) % 2880 == 0


def test_unique_detections_are_the_rest_sources(download, http, url):
    folder, _ = download
    table = ds.dataset(folder / TOPIC, format="parquet").to_table(columns=["diaSource", "prvDiaSources"])
    own = pc.struct_field(table["diaSource"], "diaSourceId")
    history = pc.struct_field(pc.list_flatten(table["prvDiaSources"]), "diaSourceId")
    assert own.type == history.type == pa.int64()
    assert len(history) > len(set(history.to_pylist()))  # history rows repeat across alerts
    found = set(own.to_pylist()) | set(history.to_pylist())
    expected = {row["r:diaSourceId"] for oid in REAL_OBJECT_IDS
                for row in rest(http, url, "sources", oid, "r:diaSourceId")}
    assert found == expected
    assert all(i > 2**53 for i in found)  # ids beyond float64's exact range survive


def test_detection_values_are_the_rest_values(alerts, http, url):
    oid = REAL_OBJECT_IDS[0]
    answer = {row["r:diaSourceId"]: row for row in rest(http, url, "sources", oid, "r:diaSourceId,r:psfFlux,r:band,"
                                                                                  "r:midpointMjdTai,r:visit")}
    latest = max((a for a in alerts if a["diaSource"]["diaObjectId"] == int(oid)),
                 key=lambda a: a["diaSource"]["midpointMjdTai"])
    detections = [*latest["prvDiaSources"], latest["diaSource"]]
    assert len(detections) == len(answer)
    for s in detections:
        row = answer[s["diaSourceId"]]
        assert s["psfFlux"] == float(np.float32(row["r:psfFlux"]))
        assert (s["band"], s["visit"]) == (row["r:band"], row["r:visit"])
        assert s["midpointMjdTai"] == pytest.approx(row["r:midpointMjdTai"], abs=1e-9)  # JSON keeps 10 decimals


def test_forced_points_are_the_rest_forced_photometry(alerts, http, url):
    for oid in REAL_OBJECT_IDS:
        if oid == BIG_FP_OBJECT_ID:  # over the server's 10,000-row cap per request
            continue
        latest = max((a for a in alerts if a["diaSource"]["diaObjectId"] == int(oid)),
                     key=lambda a: a["diaSource"]["midpointMjdTai"])
        found = {p["diaForcedSourceId"] for p in latest["prvDiaForcedSources"]}
        answer = rest(http, url, "fp", oid, "r:diaForcedSourceId,r:midpointMjdTai")
        before = {row["r:diaForcedSourceId"] for row in answer
                  if row["r:midpointMjdTai"] <= latest["diaSource"]["midpointMjdTai"] + 1e-9}
        assert found == before


# --- variants -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("legacy")
    return folder, write_data_transfer(folder, null_typed=True)


def null_fields(schema, prefix=""):
    """Dotted names of the null-typed fields of a schema, inside structs and lists too."""
    names = set()
    for field in schema:
        kind = field.type
        if pa.types.is_list(kind):
            kind = kind.value_type
        if pa.types.is_null(kind):
            names.add(prefix + field.name)
        elif pa.types.is_struct(kind):
            names |= null_fields(kind, prefix + field.name + ".")
    return names


def test_null_typed_files_disagree_on_their_schema(legacy):
    _, files = legacy
    per_file = [null_fields(pq.read_schema(path)) for path in files]
    assert all(per_file)
    assert "diaSource.timeWithdrawnMjdTai" in set.intersection(*per_file)  # null in every alert
    assert set.union(*per_file) != set.intersection(*per_file)  # some fields null in some files only


def test_null_typed_folder_needs_the_dumped_schema(legacy, download):
    folder, _ = legacy
    with pytest.raises(pa.ArrowNotImplementedError, match="Unsupported cast from .* to null"):
        pq.read_table(folder / TOPIC)
    schema = pq.read_schema(folder / f"arrow_schema_{TOPIC}.metadata")
    table = pq.read_table(folder / TOPIC, schema=schema)
    reference = pq.read_table(download[0] / TOPIC)
    key = [("diaSourceId", "ascending")]
    assert table.sort_by(key).equals(reference.sort_by(key))  # same seed: the same alerts, no value lost


def test_time_partitions(tmp_path):
    files = write_data_transfer(tmp_path, partition_by="time")
    data = tmp_path / TOPIC
    days = set()
    for path in files:
        parts = path.relative_to(data).parts
        assert len(parts) == 4 and NAME.fullmatch(parts[3])
        year, month, day = (re.fullmatch(rf"{key}=(\d+)", part).group(1) for key, part in zip(
            ("year", "month", "day"), parts[:3], strict=True))
        assert (len(year), len(month), len(day)) == (4, 2, 2)
        table = pq.read_table(path)
        assert len(table.column_names) == 26 and "year" not in table.column_names
        for t in pc.struct_field(table["diaSource"], "midpointMjdTai").to_pylist():
            assert Time(t, format="mjd").datetime.strftime("%Y-%m-%d") == f"{year}-{month}-{day}"
        days.add((year, month, day))
    assert len(days) > 1
    schema = pq.read_schema(tmp_path / f"arrow_schema_{TOPIC}.metadata")
    table = pq.read_table(data, schema=schema)
    assert table.num_rows == 3 * len(REAL_OBJECT_IDS)
    assert [table.schema.field(n).type for n in ("year", "month", "day")] == [I32, I32, I32]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"partition_by": "night"}, "partition_by"),
    ({"batchsize": 0}, "batchsize"),
    ({"object_ids": ["1"]}, "no static object with diaObjectId 1"),
])
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        write_data_transfer(tmp_path, **kwargs)


def test_synthetic_objects_of_a_bigger_replica(tmp_path):
    # the benchmark objects (generate_dataset(extra_objects=...)) write too; no REST here, so the
    # oracle is the dataset's own sources table, read with plain pandas
    from astroquery_fink.testing import generate_dataset

    data = generate_dataset(extra_objects=40)
    files = write_data_transfer(tmp_path, data.extra_object_ids, dataset=data, alerts_per_object=1,
                                dump_schemas=False)
    table = pq.read_table(files, columns=["diaSource", "prvDiaSources"])
    found = set(pc.struct_field(table["diaSource"], "diaSourceId").to_pylist())
    found |= set(pc.struct_field(pc.list_flatten(table["prvDiaSources"]), "diaSourceId").to_pylist())
    sources = data.tables["rubin.diaSource_static"]
    mine = sources["r:diaObjectId"].astype("int64").isin([int(i) for i in data.extra_object_ids])
    assert table.num_rows == 40
    assert found == set(sources.loc[mine, "r:diaSourceId"].astype("int64").tolist())


# --- Solar System alerts --------------------------------------------------------------------------

# asked three ways below: by designation, by packed designation and by ssObjectId (both from REST)
SSO_DESIGNATIONS = ("2015 BC557", "1916 SC", "1995 UJ7")
STATIC = (REAL_OBJECT_IDS[0], REAL_OBJECT_IDS[2])  # two static objects to mix with them


def sso_rest(http, url, n_or_d):
    """The REST /sso rows of an object, every column, read from the Parquet answer (exact values, exact ids)."""
    response = http.post(f"{url}/api/v1/sso", json={"n_or_d": n_or_d, "output-format": "parquet"})
    assert response.status_code == 200, response.text[:300]
    return pq.read_table(io.BytesIO(response.content)).to_pylist()


@pytest.fixture(scope="module")
def sso_truth(http, url):
    """designation -> the replica's REST /sso rows of that object."""
    return {name: sso_rest(http, url, name) for name in SSO_DESIGNATIONS}


@pytest.fixture(scope="module")
def sso_download(tmp_path_factory, sso_truth):
    """Every alert of three Solar System objects and of two static objects, in files of up to 6 alerts."""
    first, second, third = SSO_DESIGNATIONS
    packed = sso_truth[second][0]["r:packed_primary_provisional_designation"]
    ss_object_id = sso_truth[third][0]["r:ssObjectId"]
    folder = tmp_path_factory.mktemp("sso")
    files = write_data_transfer(folder, STATIC, sso_objects=[first, packed, ss_object_id], alerts_per_object=None,
                                batchsize=6)
    return folder, files


def same_value(found, expected, kind):
    """A file's value against a REST value (a float32 field is served as the double of its shortest decimal)."""
    if expected is None or expected != expected:  # null, or NaN: the files hold nulls, never NaN
        return found is None
    if kind == F:
        return found == float(np.float32(expected))
    return found == expected


def test_sso_alerts_are_the_rest_sso_rows(sso_download, sso_truth):
    folder, files = sso_download
    schema = pq.read_schema(files[0])
    source_types = {f.name: f.type for f in schema.field("diaSource").type}
    ss_types = {f.name: f.type for f in schema.field("ssSource").type}
    alerts = [a for a in pq.read_table(files).to_pylist() if a["pred"]["is_sso"]]
    truth = {row["r:diaSourceId"]: row for rows in sso_truth.values() for row in rows}
    assert sorted(a["diaSourceId"] for a in alerts) == sorted(truth)  # one alert per detection, all of them
    for alert in alerts:
        own, row = alert["diaSource"], truth[alert["diaSourceId"]]
        assert own["diaSourceId"] == alert["diaSourceId"]
        assert own["diaObjectId"] == 0 and row["r:diaObjectId"] is None  # 0 in the file, null in REST
        for name, kind in source_types.items():
            if name != "diaObjectId":
                assert same_value(own[name], row[f"r:{name}"], kind), (name, own[name], row[f"r:{name}"])
        assert own["ssObjectId"] == row["r:ssObjectId"] > 0
        ss = alert["ssSource"]
        assert (ss["diaSourceId"], ss["ssObjectId"]) == (alert["diaSourceId"], row["r:ssObjectId"])
        for name, kind in ss_types.items():
            if name not in ("diaSourceId", "ssObjectId"):
                assert same_value(ss[name], row[f"r:{name}"], kind), (name, ss[name], row[f"r:{name}"])
        orbits = alert["mpc_orbits"]
        assert orbits["designation"] == orbits["unpacked_primary_provisional_designation"] == row["r:designation"]
        assert orbits["packed_primary_provisional_designation"] == row["r:packed_primary_provisional_designation"]
        assert {k for k, v in orbits.items() if v is not None} == {
            "designation", "packed_primary_provisional_designation", "unpacked_primary_provisional_designation"}
        assert (alert["observation_reason"], alert["target_name"]) == (row["r:observation_reason"],
                                                                       row["r:target_name"])


def test_sso_alerts_as_fink_writes_them(sso_download):
    _, files = sso_download
    alerts = [a for a in pq.read_table(files).to_pylist() if a["pred"]["is_sso"]]
    assert alerts
    for alert in alerts:
        assert set(alert["diaObject"].values()) == {None}  # a struct with every field null, not a null struct
        assert alert["prvDiaSources"] is None and alert["prvDiaForcedSources"] is None
        assert alert["pred"]["is_sso"] is True and alert["pred"]["is_first"] is False
        assert alert["pred"]["main_label_classifier"] == alert["clf"]["cats_class"] == -1
        assert [band for band, _ in alert["lc_features"]] == [alert["diaSource"]["band"]]
        assert alert["misc"]["firstDiaSourceMjdTaiFink"] is None
        stamp = alert["cutoutScience"]
        assert stamp.startswith(b"SIMPLE  =") and len(stamp) % 2880 == 0


def test_sso_and_static_alerts_share_the_files(sso_download, http, url):
    _, files = sso_download
    kinds = [set(pq.read_table(path, columns=["pred"])["pred"].combine_chunks().field("is_sso").to_pylist())
             for path in files]
    assert sum(kind == {True, False} for kind in kinds) >= 2  # shuffled together, not written one after the other
    static = [a for a in pq.read_table(files).to_pylist() if not a["pred"]["is_sso"]]
    expected = {row["r:diaSourceId"] for oid in STATIC for row in rest(http, url, "sources", oid, "r:diaSourceId")}
    assert sorted(a["diaSourceId"] for a in static) == sorted(expected)
    assert all(a["ssSource"]["ssObjectId"] is None and a["diaSource"]["ssObjectId"] == 0 for a in static)


def test_latest_alerts_of_sso_only(tmp_path, sso_truth):
    name = SSO_DESIGNATIONS[0]
    files = write_data_transfer(tmp_path, [], sso_objects=name, alerts_per_object=2, dump_schemas=False)
    rows = sorted(sso_truth[name], key=lambda row: row["r:midpointMjdTai"])
    ids = pq.read_table(files, columns=["diaSourceId"])["diaSourceId"].to_pylist()
    assert sorted(ids) == sorted(row["r:diaSourceId"] for row in rows[-2:])


def test_no_sso_alerts_by_default(alerts, tmp_path):
    assert not any(a["pred"]["is_sso"] for a in alerts)
    assert all(a["diaObject"]["diaObjectId"] == a["diaSource"]["diaObjectId"] > 0 for a in alerts)
    # an empty list of Solar System objects writes the same bytes as none at all
    plain = write_data_transfer(tmp_path / "plain", STATIC, dump_schemas=False)
    empty = write_data_transfer(tmp_path / "empty", STATIC, sso_objects=[], dump_schemas=False)
    assert [p.name for p in plain] == [p.name for p in empty]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(plain, empty, strict=True))


def test_sso_only_files_have_null_typed_sections_in_legacy_mode(tmp_path):
    files = write_data_transfer(tmp_path, [], sso_objects=[SSO_DESIGNATIONS[1]], null_typed=True, dump_schemas=False)
    for path in files:
        schema = pq.read_schema(path)
        assert pa.types.is_null(schema.field("prvDiaSources").type)
        assert {f.type for f in schema.field("diaObject").type} == {pa.null()}
        assert pa.types.is_int64(schema.field("ssSource").type.field("ssObjectId").type)


@pytest.mark.parametrize("name", ["Benoîtcarry", "12345", "2015 BC558"])
def test_unknown_sso_object(tmp_path, name):
    with pytest.raises(ValueError, match=f"no Solar System object {name!r}"):
        write_data_transfer(tmp_path, [], sso_objects=[name])


# --- double ids (fink-client < 11) ----------------------------------------------------------------

ID_PATHS = {
    "diaSourceId", "diaSource.diaSourceId", "diaSource.diaObjectId", "diaSource.ssObjectId",
    "diaSource.parentDiaSourceId", "prvDiaSources.diaSourceId", "prvDiaSources.diaObjectId",
    "prvDiaSources.ssObjectId", "prvDiaSources.parentDiaSourceId", "prvDiaForcedSources.diaForcedSourceId",
    "prvDiaForcedSources.diaObjectId", "diaObject.diaObjectId", "ssSource.diaSourceId", "ssSource.ssObjectId",
}


def field_types(schema, prefix=""):
    """Dotted name -> Arrow type of every field, inside structs and lists too."""
    types = {}
    for field in schema:
        kind = field.type.value_type if pa.types.is_list(field.type) else field.type
        types[prefix + field.name] = kind
        if pa.types.is_struct(kind):
            types.update(field_types(kind, prefix + field.name + "."))
    return types


def as_doubles(ids):
    return sorted(float(np.float64(i)) for i in ids)


@pytest.fixture(scope="module")
def double(tmp_path_factory):
    folder = tmp_path_factory.mktemp("double")
    files = write_data_transfer(folder, STATIC, sso_objects=[SSO_DESIGNATIONS[0]], alerts_per_object=None,
                                double_ids=True, dump_schemas=False)
    return files, pq.read_table(files)


def test_double_ids_at_every_level(double):
    files, _ = double
    for path in files:
        types = field_types(pq.read_schema(path))
        assert {name for name, kind in types.items() if kind == D and name.rsplit(".", 1)[-1] in {
            "diaSourceId", "diaObjectId", "ssObjectId", "diaForcedSourceId", "parentDiaSourceId"}} == ID_PATHS
        assert types["diaSource.visit"] == types["prvDiaForcedSources.visit"] == L
        assert types["mpc_orbits.id"] == I32 and types["diaSource.psfFlux"] == F
        meta = pq.read_metadata(path).metadata
        assert set(meta) == {b"ARROW:schema", b"pandas"}
        pandas_meta = json.loads(meta[b"pandas"])
        assert [c["name"] for c in pandas_meta["columns"]] == COLUMNS
        assert pandas_meta["index_columns"][0]["kind"] == "range"


def test_double_ids_are_the_rounded_rest_ids(double, http, url, sso_truth):
    _, table = double
    alerts = table.to_pylist()
    sources = {oid: rest(http, url, "sources", oid, "r:diaSourceId,r:diaObjectId,r:midpointMjdTai") for oid in STATIC}
    static_ids = [row["r:diaSourceId"] for rows in sources.values() for row in rows]
    sso_rows = sso_truth[SSO_DESIGNATIONS[0]]
    sso_ids = [row["r:diaSourceId"] for row in sso_rows]
    assert any(int(np.float64(i)) != i for i in static_ids + sso_ids)  # the rounding loses digits here
    assert sorted(a["diaSourceId"] for a in alerts) == as_doubles(static_ids + sso_ids)
    assert sorted(a["diaSource"]["diaSourceId"] for a in alerts) == as_doubles(static_ids + sso_ids)
    object_ids = [row["r:diaObjectId"] for rows in sources.values() for row in rows]
    assert sorted(a["diaSource"]["diaObjectId"] for a in alerts) == as_doubles(object_ids + [0] * len(sso_ids))
    assert sorted(a["diaObject"]["diaObjectId"] for a in alerts if a["diaObject"]["diaObjectId"] is not None) == \
        as_doubles(object_ids)
    ss_object_ids = [row["r:ssObjectId"] for row in sso_rows]
    assert sorted(a["diaSource"]["ssObjectId"] for a in alerts) == as_doubles(ss_object_ids + [0] * len(static_ids))
    sso_alerts = [a for a in alerts if a["pred"]["is_sso"]]
    assert sorted(a["ssSource"]["ssObjectId"] for a in sso_alerts) == as_doubles(ss_object_ids)
    assert sorted(a["ssSource"]["diaSourceId"] for a in sso_alerts) == as_doubles(sso_ids)
    history = {s["diaSourceId"] for a in alerts for s in a["prvDiaSources"] or []}
    latest = [max(rows, key=lambda row: row["r:midpointMjdTai"])["r:diaSourceId"] for rows in sources.values()]
    assert sorted(history) == as_doubles(set(static_ids) - set(latest))  # every detection but each latest one
    for oid in STATIC:
        latest = max((a for a in alerts if a["diaObject"]["diaObjectId"] == float(np.float64(int(oid)))),
                     key=lambda a: a["diaSource"]["midpointMjdTai"])
        answer = rest(http, url, "fp", oid, "r:diaForcedSourceId,r:midpointMjdTai")
        before = [row["r:diaForcedSourceId"] for row in answer
                  if row["r:midpointMjdTai"] <= latest["diaSource"]["midpointMjdTai"] + 1e-9]
        assert sorted(p["diaForcedSourceId"] for p in latest["prvDiaForcedSources"]) == as_doubles(before)


def test_double_ids_change_nothing_else(double, tmp_path):
    _, table = double
    files = write_data_transfer(tmp_path, STATIC, sso_objects=[SSO_DESIGNATIONS[0]], alerts_per_object=None,
                                dump_schemas=False)
    reference = pq.read_table(files)
    with_ids = {"diaSourceId", "diaSource", "prvDiaSources", "prvDiaForcedSources", "diaObject", "ssSource"}
    others = [name for name in COLUMNS if name not in with_ids]
    key = [("brokerIngestMjd", "ascending")]
    assert table.select(others).sort_by(key).equals(reference.select(others).sort_by(key))
