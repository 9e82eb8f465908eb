"""
`read_data_transfer` against the replica: a download written from the replica's objects reads
back as the replica's REST answer for the same objects (values, masks, units, row order).
"""
import numpy as np
import pytest

from astroquery_fink import read_data_transfer
from astroquery_fink.exceptions import FinkInvalidQueryError
from astroquery_fink.testing import BIG_FP_OBJECT_ID, REAL_OBJECT_IDS, write_data_transfer

pytestmark = pytest.mark.remote_data

IDS = [i for i in REAL_OBJECT_IDS if str(i) != str(BIG_FP_OBJECT_ID)]


@pytest.fixture(scope="module")
def download(tmp_path_factory):
    """Every alert of the replica's real objects (so each history is complete), with the schema dump."""
    folder = tmp_path_factory.mktemp("transfer")
    write_data_transfer(folder, IDS, alerts_per_object=None)
    return folder


def assert_same_columns(read, rest, at_least=10):
    """Every column both tables have: values, masks, units; and the same rows in the same order."""
    shared = [name for name in rest.colnames if name in read.colnames]
    assert len(shared) >= at_least
    assert len(read) == len(rest) > 0
    for name in shared:
        got, want = read[name], rest[name]
        assert got.unit == want.unit, name
        got_mask = np.ma.getmaskarray(got)
        assert np.array_equal(got_mask, np.ma.getmaskarray(want)), name
        keep = ~got_mask
        got_values, want_values = np.asarray(got)[keep], np.asarray(want)[keep]
        assert got_values.dtype.kind == want_values.dtype.kind, name
        assert np.array_equal(got_values, want_values), name  # exact, floats included
    return shared


def test_sources_equal_rest(download, replica_client):
    read = read_data_transfer(download, kind="sources")
    rest = replica_client.query_sources(IDS)
    shared = assert_same_columns(read, rest)
    assert {"r:diaSourceId", "r:diaObjectId", "r:psfFlux", "r:midpointMjdTai"} <= set(shared)
    assert read.colnames[:len(shared)] != [] and read.colnames[0] == rest.colnames[0]
    # each detection once, although every later alert repeats it
    assert len(np.unique(read["r:diaSourceId"])) == len(read)


def test_forced_photometry_equals_rest(download, replica_client):
    read = read_data_transfer(download, kind="fp")
    rest = replica_client.query_forced_photometry(IDS)
    # an alert carries the forced points up to its own visit: those measured after an object's last
    # detection are in /api/v1/fp but in no alert
    last = {}
    for row in replica_client.query_sources(IDS, columns=["r:midpointMjdTai"]):
        last[row["r:diaObjectId"]] = max(last.get(row["r:diaObjectId"], 0), row["r:midpointMjdTai"])
    later = np.array([t > last[i] for i, t in zip(rest["r:diaObjectId"], rest["r:midpointMjdTai"], strict=True)])
    assert 0 < later.sum() < len(rest)
    rest = rest[~later]
    shared = assert_same_columns(read, rest)
    assert {"r:diaForcedSourceId", "r:diaObjectId", "r:psfFlux"} <= set(shared)
    assert len(np.unique(read["r:diaForcedSourceId"])) == len(read)


def test_columns_projected(download, replica_client):
    columns = ["r:psfFlux", "r:midpointMjdTai"]
    read = read_data_transfer(download, kind="sources", columns=columns)
    rest = replica_client.query_sources(IDS, columns=columns)
    assert read.colnames == rest.colnames
    assert_same_columns(read, rest, at_least=3)


def test_ids_exact_int64(download):
    read = read_data_transfer(download, kind="sources")
    for name in ("r:diaSourceId", "r:diaObjectId"):
        assert read[name].dtype == np.int64
    big = [int(i) for i in IDS if int(i) > 2**53]
    assert big, "the replica should hold ids past 2**53"
    assert set(big) <= set(int(i) for i in read["r:diaObjectId"])


def test_null_typed_files_read(tmp_path, download):
    files = write_data_transfer(tmp_path, IDS, alerts_per_object=None, null_typed=True, batchsize=2)
    import pyarrow.parquet as pq

    assert any("null" in str(pq.read_schema(f)) for f in files)  # the files disagree on their types
    read = read_data_transfer(tmp_path, kind="sources")
    expected = read_data_transfer(download, kind="sources")
    assert read.colnames == expected.colnames
    for name in read.colnames:
        assert read[name].dtype == expected[name].dtype, name
        assert np.array_equal(np.ma.getmaskarray(read[name]), np.ma.getmaskarray(expected[name])), name


@pytest.mark.parametrize("kind", ["alert", "FP", None])
def test_bad_kind_refused(download, kind):
    with pytest.raises(FinkInvalidQueryError, match="kind must be one of"):
        read_data_transfer(download, kind=kind)


def test_unknown_column_refused(download):
    with pytest.raises(FinkInvalidQueryError, match="f:xm_simbad_otype"):
        read_data_transfer(download, kind="sources", columns=["f:xm_simbad_otype"])


def test_no_data_files_refused(tmp_path):
    with pytest.raises(FinkInvalidQueryError, match="no Parquet data files"):
        read_data_transfer(tmp_path)


def test_null_typed_files_read_without_schema_dump(tmp_path, download):
    """Without the dumped schema, the files are read one by one and their types merged."""
    write_data_transfer(tmp_path, IDS, alerts_per_object=None, null_typed=True, batchsize=2, dump_schemas=False)
    assert not list(tmp_path.glob("*.metadata"))
    read = read_data_transfer(tmp_path, kind="sources")
    expected = read_data_transfer(download, kind="sources")
    assert len(read) == len(expected)
    for name in ("r:diaSourceId", "r:diaObjectId", "r:psfFlux", "r:band"):
        assert read[name].dtype == expected[name].dtype, name
        assert np.array_equal(read[name], expected[name]), name


def test_time_partitioned_topic_folder(tmp_path, download):
    """Files under year=/month=/day= folders are found, and the topic folder itself can be given."""
    files = write_data_transfer(tmp_path, IDS, alerts_per_object=None, partition_by="time")
    assert any("year=" in str(f) for f in files)
    topic = files[0].relative_to(tmp_path).parts[0]
    read = read_data_transfer(tmp_path / topic, kind="fp")
    expected = read_data_transfer(download, kind="fp")
    assert np.array_equal(read["r:diaForcedSourceId"], expected["r:diaForcedSourceId"])


def assert_same_rows(read, rest, skip=()):
    """Every column of ``rest`` is in ``read`` with the same values, masks and units (``skip`` excepted)."""
    missing = [name for name in rest.colnames if name not in read.colnames and name not in skip]
    assert not missing
    assert_same_columns(read[[n for n in read.colnames if n not in skip]], rest[[n for n in rest.colnames
                                                                                  if n not in skip]])


def test_objects_equal_rest(download, replica_client):
    read = read_data_transfer(download, kind="objects")
    rest = replica_client.query_object(IDS)
    # query_object keeps the order of the ids given; a download has no such order: by id
    rest = rest[np.argsort(np.asarray(rest["r:diaObjectId"]), kind="stable")]
    assert list(read["r:diaObjectId"]) == sorted(int(i) for i in IDS)
    assert_same_rows(read, rest)
    assert read.colnames[:3] == rest.colnames[:3]
    # every alert of an object was read, one row kept: its latest
    assert read.meta["duplicates"] == read.meta["alerts"] - len(read)


def test_alerts_equal_rest_rows_of_their_detections(download, replica_client):
    import pyarrow.parquet as pq

    read = read_data_transfer(download, kind="alerts")
    # the oracle: the alert ids straight from the files, and /api/v1/sources for their detections
    files = sorted(download.rglob("*.parquet"))
    alert_ids = set(pq.read_table(files, columns=["diaSourceId"])["diaSourceId"].to_pylist())
    assert set(read["r:diaSourceId"].tolist()) == alert_ids
    rest = replica_client.query_sources(IDS)
    rest = rest[np.isin(np.asarray(rest["r:diaSourceId"]), list(alert_ids))]
    # the transfer packet types Gaia's parallax float32 and its variability flag as a code, where
    # the REST answer has the double and the text
    gaia = ("f:xm_gaiadr3_Plx", "f:xm_gaiadr3_e_Plx", "f:xm_gaiadr3_VarFlag")
    assert_same_rows(read, rest, skip=gaia)
    for name in gaia[:2]:
        assert np.array_equal(np.ma.getmaskarray(read[name]), np.ma.getmaskarray(rest[name]))
        keep = ~np.ma.getmaskarray(rest[name])
        # the REST double rounded to float32, written as its shortest decimal
        expected = np.asarray(rest[name])[keep].astype(np.float32).astype(str).astype(np.float64)
        assert np.array_equal(np.asarray(read[name])[keep], expected)
    assert {"f:clf_cats_class", "f:xm_simbad_otype", "f:lsst_schema_version"} <= set(read.colnames)
    assert read.meta["lsst_schema_version"] == sorted(set(rest["f:lsst_schema_version"]))


def forced_points_in_alerts(replica_client, table):
    """The rows of a REST table with forced points measured no later than their object's last detection."""
    last = {}
    for row in replica_client.query_sources(IDS, columns=["r:midpointMjdTai"]):
        last[row["r:diaObjectId"]] = max(last.get(row["r:diaObjectId"], 0), row["r:midpointMjdTai"])
    forced = table["kind"] == "forced"
    times = table["time"].tai.mjd
    later = np.array([f and t > last[i] + 1e-9 for f, t, i in zip(forced, times, table["r:diaObjectId"],
                                                                    strict=True)])
    assert 0 < later.sum() < forced.sum()
    return table[~later]


@pytest.mark.parametrize("options", [{}, {"flux": "science", "limit_sigma": 3.0}, {"min_reliability": 0.5}])
def test_lightcurve_equals_get_lightcurve(download, replica_client, options):
    read = read_data_transfer(download, **options)  # the default kind
    rest = forced_points_in_alerts(replica_client, replica_client.get_lightcurve(IDS, **options))
    assert read.colnames == rest.colnames
    assert_same_columns(read[[n for n in read.colnames if n != "time"]], rest[[n for n in rest.colnames
                                                                               if n != "time"]])
    assert np.array_equal(read["time"].tai.mjd, rest["time"].tai.mjd)
    for key in ("flux", "flux_columns", "limit_sigma", "dropped"):
        assert read.meta[key] == rest.meta[key], key
    assert read.meta["kind"] == "lightcurve"


def test_lightcurve_options_checked(download):
    with pytest.raises(FinkInvalidQueryError, match="flux"):
        read_data_transfer(download, flux="model")


def test_only_the_needed_leaves_are_read(download, monkeypatch):
    """columns= decodes those fields only, inside the nested history too: no cutout, no other field."""
    import pyarrow.parquet as pq

    asked = set()
    original = pq.ParquetFile.iter_batches

    def spy(self, *args, columns=None, **kwargs):
        asked.update(columns)
        return original(self, *args, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    read = read_data_transfer(download, kind="sources", columns=["r:psfFlux"])
    fields = ("diaObjectId", "diaSourceId", "psfFlux")
    assert asked == {f"diaSource.{f}" for f in fields} | {f"prvDiaSources.list.element.{f}" for f in fields}
    assert len(read) > 0


def test_duplicates_counted(download):
    """meta['duplicates'] is the nested rows read minus the unique ones (counted here with pyarrow alone)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files = sorted(download.rglob("*.parquet"))
    history = pq.read_table(files, columns=["prvDiaForcedSources"])["prvDiaForcedSources"]
    items = pc.list_flatten(history.combine_chunks())
    unique = len(set(pc.struct_field(items, "diaForcedSourceId").to_pylist()))
    read = read_data_transfer(download, kind="fp")
    assert len(read) == unique
    assert read.meta["duplicates"] == len(items) - unique > 0
    assert read.meta["files"] == len(files)


def test_a_thousand_objects_in_one_call(tmp_path):
    """The issue's target: 1,000 objects written by write_data_transfer read as the REST path gives them."""
    import warnings

    from astroquery_fink import FinkClass
    from astroquery_fink.exceptions import BulkQueryWarning
    from astroquery_fink.testing import FinkReplica

    replica = FinkReplica(extra_objects=1000)
    ids = [str(i) for i in replica.dataset.extra_object_ids]
    assert len(ids) == 1000
    write_data_transfer(tmp_path, ids, dataset=replica.dataset, alerts_per_object=None, batchsize=100)
    with replica as url, warnings.catch_warnings():
        warnings.simplefilter("ignore", BulkQueryWarning)
        client = FinkClass(server=url)
        client.cache = False
        rest_sources = client.query_sources(ids, cache=False)
        rest_objects = client.query_object(ids, cache=False)
        rest_fp = client.query_forced_photometry(ids, cache=False)
    read = read_data_transfer(tmp_path, kind="sources")
    assert_same_columns(read, rest_sources)
    # forced points after an object's last detection are in no alert, nor are those of an object
    # detected once (a first detection's alert carries no forced photometry)
    last, seen = {}, {}
    for oid, t in zip(rest_sources["r:diaObjectId"], rest_sources["r:midpointMjdTai"], strict=True):
        last[oid] = max(last.get(oid, 0), t)
        seen[oid] = seen.get(oid, 0) + 1
    in_alerts = [seen[oid] > 1 and t <= last[oid] + 1e-9
                 for oid, t in zip(rest_fp["r:diaObjectId"], rest_fp["r:midpointMjdTai"], strict=True)]
    assert 0 < sum(in_alerts) < len(rest_fp)
    assert_same_columns(read_data_transfer(tmp_path, kind="fp"), rest_fp[in_alerts])
    objects = read_data_transfer(tmp_path, kind="objects")
    rest_objects = rest_objects[np.argsort(np.asarray(rest_objects["r:diaObjectId"]), kind="stable")]
    assert_same_rows(objects, rest_objects)


@pytest.mark.parametrize("kind", ["lightcurve", "sources", "fp", "alerts", "objects"])
def test_download_without_alerts_gives_empty_table_and_warning(tmp_path, kind):
    """A transfer cut before its first alert: files with 0 rows (the client's files keep their schema)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from astroquery.exceptions import NoResultsWarning

    from astroquery_fink.testing.data_transfer import data_transfer_schema

    (tmp_path / "topic").mkdir()
    pq.write_table(pa.Table.from_pylist([], schema=data_transfer_schema()), tmp_path / "topic" / "part-1-0-1.parquet")
    with pytest.warns(NoResultsWarning, match="hold no alert"):
        table = read_data_transfer(tmp_path, kind=kind)
    assert len(table) == 0
    assert "r:diaObjectId" in table.colnames and table["r:diaObjectId"].dtype == np.int64


def test_flat_light_packet_refused(tmp_path):
    """The portal's 'Light' packets hold flat columns, not whole alerts: said, not read as empty."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "topic").mkdir()
    pq.write_table(pa.table({"diaObjectId": [313761043604045880], "psfFlux": [1.5]}),
                   tmp_path / "topic" / "part-1-0-1.parquet")
    with pytest.raises(FinkInvalidQueryError, match="Light.*pyarrow.parquet.read_table"):
        read_data_transfer(tmp_path, kind="sources")


SSO = "2015 BC557"  # a Solar System object of the replica (its designation)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Static and Solar System alerts in the same files, as a real download mixes them."""
    folder = tmp_path_factory.mktemp("mixed")
    write_data_transfer(folder, IDS[:2], sso_objects=[SSO], alerts_per_object=None)
    return folder


def rest_sso_ids(http, url):
    """diaSourceIds of the replica's /api/v1/sso answer for SSO, read with pyarrow (not the client)."""
    import io

    import pyarrow.parquet as pq

    answer = http.post(f"{url}/api/v1/sso", json={"n_or_d": SSO, "output-format": "parquet"})
    answer.raise_for_status()
    return set(pq.read_table(io.BytesIO(answer.content))["r:diaSourceId"].to_pylist())


def test_solar_system_detections_kept_in_sources_and_alerts(mixed, http, url):
    moving = rest_sso_ids(http, url)
    assert moving
    for kind in ("sources", "alerts"):
        read = read_data_transfer(mixed, kind=kind)
        rows = np.isin(np.asarray(read["r:diaSourceId"]), list(moving))
        assert rows.sum() == len(moving), kind
        # no object: masked, as the REST answers mask it (the alert itself says 0); the SSO number kept
        assert np.ma.getmaskarray(read["r:diaObjectId"])[rows].all(), kind
        assert not np.ma.getmaskarray(read["r:ssObjectId"])[rows].any(), kind
        assert not np.ma.getmaskarray(read["r:diaObjectId"])[~rows].any(), kind


def test_solar_system_alerts_left_out_of_objects_and_lightcurves(mixed, http, url):
    moving = rest_sso_ids(http, url)
    objects = read_data_transfer(mixed, kind="objects")
    assert sorted(objects["r:diaObjectId"].tolist()) == sorted(int(i) for i in IDS[:2])
    lightcurve = read_data_transfer(mixed)
    assert not np.ma.getmaskarray(lightcurve["r:diaObjectId"]).any()
    assert lightcurve.meta["solar_system_detections"] == len(moving)
    static = read_data_transfer(mixed, kind="sources")
    static = static[~np.ma.getmaskarray(static["r:diaObjectId"])]
    assert (lightcurve["kind"] == "detection").sum() == len(static)


def test_double_ids_warn_that_they_are_lossy(tmp_path, download):
    from astroquery_fink.exceptions import LossyIdWarning

    write_data_transfer(tmp_path, IDS, alerts_per_object=None, double_ids=True)
    with pytest.warns(LossyIdWarning, match="r:diaObjectId.*r:diaSourceId.*2\\*\\*53"):
        read = read_data_transfer(tmp_path, kind="sources")
    exact = read_data_transfer(download, kind="sources")
    assert read["r:diaSourceId"].dtype == np.int64
    # what was written: the float64 rounding of the exact ids (numpy's, the oracle)
    assert np.array_equal(np.sort(np.asarray(read["r:diaObjectId"])),
                          np.sort(np.asarray(exact["r:diaObjectId"]).astype(np.float64).astype(np.int64)))


def test_exact_ids_do_not_warn(download, recwarn):
    read_data_transfer(download, kind="fp")
    from astroquery_fink.exceptions import LossyIdWarning

    assert not [w for w in recwarn if issubclass(w.category, LossyIdWarning)]


def test_detections_alone(download, replica_client):
    read = read_data_transfer(download, forced=False, flux="template")
    rest = replica_client.get_lightcurve(IDS, forced=False, flux="template")
    assert set(read["kind"].tolist()) == {"detection"}
    assert read.colnames == rest.colnames
    assert_same_columns(read[[n for n in read.colnames if n != "time"]], rest[[n for n in rest.colnames
                                                                               if n != "time"]])


def test_file_that_is_not_parquet_refused(tmp_path):
    (tmp_path / "topic").mkdir()
    (tmp_path / "topic" / "part-1-0-1.parquet").write_text("not parquet")
    with pytest.raises(FinkInvalidQueryError, match="part-1-0-1.parquet.*is not a Parquet file"):
        read_data_transfer(tmp_path, kind="fp")


@pytest.mark.parametrize("options", [{"flux": "science"}, {"forced": False}, {"min_reliability": 0.5},
                                     {"limit_sigma": 3.0, "keep_withdrawn": True}])
def test_lightcurve_options_refused_with_other_kinds(download, options):
    """Not silently ignored: a light-curve option with another kind is an error naming it."""
    with pytest.raises(FinkInvalidQueryError, match=f"{next(iter(options))}.*kind='lightcurve' only"):
        read_data_transfer(download, kind="sources", **options)
