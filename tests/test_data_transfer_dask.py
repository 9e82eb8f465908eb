"""
``read_data_transfer(..., engine="dask")``: the same rows as the in-memory reader, as a lazy Dask DataFrame.

The oracle of every comparison is the in-memory reader (``engine="pyarrow"``, itself checked
against the replica's REST answers in test_read_data_transfer.py), or pyarrow and numpy on the
files themselves; the Dask side goes through `annotate_frame`.
"""
import subprocess
import sys

import numpy as np
import pytest

from astroquery_fink import read_data_transfer
from astroquery_fink.exceptions import FinkInvalidQueryError
from astroquery_fink.testing import BIG_FP_OBJECT_ID, REAL_OBJECT_IDS, write_data_transfer

dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
pq = pytest.importorskip("pyarrow.parquet")

from astroquery_fink.data_transfer_dask import annotate_frame, file_groups  # noqa: E402

IDS = [i for i in REAL_OBJECT_IDS if str(i) != str(BIG_FP_OBJECT_ID)]
KINDS = ["sources", "fp", "alerts", "objects"]
ROW_ID = {"sources": "r:diaSourceId", "fp": "r:diaForcedSourceId", "alerts": "r:diaSourceId",
          "objects": "r:diaObjectId"}


@pytest.fixture(scope="module")
def download(tmp_path_factory):
    """Every alert of the replica's real objects in many small files (1 to 8 alerts each, 61 files)."""
    folder = tmp_path_factory.mktemp("transfer")
    write_data_transfer(folder, IDS, alerts_per_object=None, batchsize=8)
    return folder


def assert_tables_equal(got, want):
    """Same columns in the same order, dtypes, units, masks and values (floats exactly), rows in the same order."""
    assert got.colnames == want.colnames
    assert len(got) == len(want) > 0
    for name in want.colnames:
        a, b = got[name], want[name]
        assert a.dtype == b.dtype, name
        assert a.unit == b.unit, name
        assert a.info.description == b.info.description, name
        mask = np.ma.getmaskarray(b)
        assert np.array_equal(np.ma.getmaskarray(a), mask), name
        assert np.array_equal(np.asarray(a)[~mask], np.asarray(b)[~mask]), name
    assert got.meta.get("lsst_schema_version") == want.meta.get("lsst_schema_version")


def in_memory(folder, kind, columns=None):
    """The pyarrow engine's table with the columns the Dask frame has (the row id is always one of them)."""
    if columns is not None:
        columns = [*columns, ROW_ID[kind]]
    return read_data_transfer(folder, kind=kind, columns=columns)


@pytest.mark.parametrize("kind", KINDS)
def test_computed_frame_is_the_in_memory_table(download, kind):
    frame = read_data_transfer(download, kind=kind, engine="dask", files_per_partition=4)
    files = sorted(download.rglob("*.parquet"))
    assert frame.npartitions == (len(files) + 3) // 4 > 10
    rows = frame.compute(scheduler="sync")
    table = in_memory(download, kind)
    assert_tables_equal(annotate_frame(rows, kind), table)
    assert rows[ROW_ID[kind]].is_unique
    # meta= was given at graph-building time: the computed rows have exactly its columns and dtypes,
    # the in-memory table's columns in its order, with the pandas nullable dtype of each kind
    assert list(rows.columns) == list(frame.columns) == table.colnames
    assert rows.dtypes.to_dict() == frame.dtypes.to_dict()
    expected = {"i": pd.Int64Dtype(), "f": pd.Float64Dtype(), "b": pd.BooleanDtype(), "U": pd.StringDtype("pyarrow")}
    assert frame.dtypes.to_dict() == {name: expected[table[name].dtype.kind] for name in table.colnames}
    # one partition alone is a valid piece of the frame
    assert frame.get_partition(0).compute(scheduler="sync").dtypes.to_dict() == frame.dtypes.to_dict()


def test_ids_exact_past_2_to_the_53(download):
    frame = read_data_transfer(download, kind="sources", columns=["r:band"], engine="dask", files_per_partition=3)
    rows = frame.compute()
    assert rows["r:diaObjectId"].dtype == pd.Int64Dtype() and rows["r:diaSourceId"].dtype == pd.Int64Dtype()
    big = {int(i) for i in IDS if int(i) > 2**53}
    assert big, "the replica should hold ids past 2**53"
    got = {int(i) for i in rows["r:diaObjectId"].dropna()}
    assert big <= got
    # the oracle: the ids as the files hold them, through no float
    files = sorted(download.rglob("*.parquet"))
    in_files = set(pq.read_table(files, columns=["diaObject"])["diaObject"].combine_chunks().field(
        "diaObjectId").drop_null().to_pylist())
    assert got == in_files


def test_copies_dropped_across_partitions(download):
    """Every forced point once, although the alerts of one object are spread over many partitions."""
    import pyarrow.compute as pc

    files = sorted(download.rglob("*.parquet"))
    history = pq.read_table(files, columns=["prvDiaForcedSources"])["prvDiaForcedSources"].combine_chunks()
    ids = pc.struct_field(pc.list_flatten(history), "diaForcedSourceId").to_numpy()
    assert len(np.unique(ids)) < len(ids)  # the files repeat them
    frame = read_data_transfer(download, kind="fp", engine="dask", files_per_partition=1)
    rows = frame.compute(scheduler="threads")
    assert sorted(rows["r:diaForcedSourceId"].astype("int64")) == sorted(np.unique(ids))


def test_objects_keep_the_latest_alert_across_partitions(download):
    """Oracle from the files: each object's alert of largest diaSource.midpointMjdTai gives its nDiaSources."""
    files = sorted(download.rglob("*.parquet"))
    latest, where = {}, {}
    for path in files:
        table = pq.read_table(path, columns=["diaSource", "diaObject"])
        objects = table["diaObject"].combine_chunks()
        for oid, n, t in zip(objects.field("diaObjectId").to_pylist(), objects.field("nDiaSources").to_pylist(),
                             table["diaSource"].combine_chunks().field("midpointMjdTai").to_pylist(), strict=True):
            if oid is None:
                continue  # a Solar System alert: no object
            where.setdefault(oid, set()).add(path)
            if t > latest.get(oid, (-np.inf, None))[0]:
                latest[oid] = (t, n)
    assert max(len(paths) for paths in where.values()) > 5  # one object's alerts in many files
    frame = read_data_transfer(download, kind="objects", engine="dask", files_per_partition=1)
    rows = frame.compute(scheduler="sync")
    got = dict(zip(rows["r:diaObjectId"].astype("int64").tolist(), rows["r:nDiaSources"].astype("int64").tolist(),
                   strict=True))
    assert got == {oid: n for oid, (_, n) in latest.items()}


@pytest.fixture(scope="module", params=[{"partition_by": "time"}, {"null_typed": True},
                                        {"null_typed": True, "dump_schemas": False}], ids=["time", "null", "nodump"])
def other_layout(request, tmp_path_factory):
    """Time partitions, and files of fink-client < 11.0 (null-typed columns), with and without the schema dump."""
    folder = tmp_path_factory.mktemp("layout")
    files = write_data_transfer(folder, IDS, alerts_per_object=None, batchsize=8, **request.param)
    if "partition_by" in request.param:
        assert any("year=" in str(f) for f in files)
    if "null_typed" in request.param:
        assert any("null" in str(pq.read_schema(f)) for f in files)
    return folder


@pytest.mark.parametrize("kind", ["sources", "objects"])
def test_other_layouts(other_layout, kind):
    frame = read_data_transfer(other_layout, kind=kind, engine="dask", files_per_partition=8)
    assert frame.npartitions > 1
    assert_tables_equal(annotate_frame(frame.compute(scheduler="sync"), kind), in_memory(other_layout, kind))


@pytest.mark.parametrize("kind", ["fp", "alerts"])
def test_columns_projected(download, kind):
    columns = ["r:psfFlux", "r:midpointMjdTai", "r:band"]
    frame = read_data_transfer(download, kind=kind, columns=columns, engine="dask", files_per_partition=4)
    assert set(frame.columns) == {"r:diaObjectId", ROW_ID[kind], *columns}
    assert_tables_equal(annotate_frame(frame.compute(), kind), in_memory(download, kind, columns))


def test_nothing_read_until_computed(download, monkeypatch):
    """Building the frame reads the files' schemas only; computing it decodes only the needed leaves."""
    asked = []
    original = pq.ParquetFile.iter_batches

    def spy(self, *args, columns=None, **kwargs):
        asked.append(columns)
        return original(self, *args, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    frame = read_data_transfer(download, kind="fp", columns=["r:psfFlux"], engine="dask")
    assert asked == []
    frame.compute(scheduler="sync")
    fields = ("diaObjectId", "diaForcedSourceId", "psfFlux")
    assert len(asked) == len(sorted(download.rglob("*.parquet")))
    assert {leaf for columns in asked for leaf in columns} == {f"prvDiaForcedSources.list.element.{f}"
                                                               for f in fields}


def test_default_partitions_group_files_by_size(download, monkeypatch):
    from astroquery_fink import data_transfer_dask

    files = sorted(download.rglob("*.parquet"))
    assert read_data_transfer(download, kind="fp", engine="dask").npartitions == 1  # a small download
    limit = sum(f.stat().st_size for f in files) // 4
    monkeypatch.setattr(data_transfer_dask, "PARTITION_BYTES", limit)
    groups = file_groups(files)
    assert [f for group in groups for f in group] == files
    assert len(groups) in (4, 5)
    assert all(sum(f.stat().st_size for f in group) <= limit for group in groups if len(group) > 1)
    frame = read_data_transfer(download, kind="fp", engine="dask")
    assert frame.npartitions == len(groups)
    assert_tables_equal(annotate_frame(frame.compute(), "fp"), in_memory(download, "fp"))


def test_peak_magnitude_per_band_equals_in_memory(download):
    """The docs' computation: each object's brightest detection per band, as an AB magnitude."""
    frame = read_data_transfer(download, kind="sources", columns=["r:band", "r:psfFlux"], engine="dask",
                               files_per_partition=3)
    detected = frame[frame["r:psfFlux"] > 0]
    peak = detected.groupby(["r:diaObjectId", "r:band"])["r:psfFlux"].max()
    peak_mag = (31.4 - 2.5 * np.log10(peak)).compute(scheduler="threads")
    # the oracle: plain numpy on the in-memory table
    table = read_data_transfer(download, kind="sources", columns=["r:band", "r:psfFlux"])
    flux = np.ma.filled(table["r:psfFlux"].astype(float), np.nan)
    good = flux > 0
    expected = {}
    for oid, band, value in zip(np.asarray(table["r:diaObjectId"])[good], np.asarray(table["r:band"])[good],
                                flux[good], strict=True):
        key = (int(oid), str(band))
        expected[key] = max(expected.get(key, -np.inf), value)
    assert len(expected) > 20
    got = {(int(oid), band): mag for (oid, band), mag in peak_mag.items()}
    assert got.keys() == expected.keys()
    assert all(got[key] == 31.4 - 2.5 * np.log10(expected[key]) for key in expected)


def test_schedulers_agree(download):
    frame = read_data_transfer(download, kind="fp", engine="dask", files_per_partition=4)
    synchronous = annotate_frame(frame.compute(scheduler="sync"), "fp")
    threaded = annotate_frame(frame.compute(scheduler="threads"), "fp")
    assert_tables_equal(threaded, synchronous)


@pytest.mark.slow
def test_distributed_cluster(download):
    """Worker processes: the partition reader travels pickled, and the result is the same."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        for kind in ("fp", "objects"):
            frame = read_data_transfer(download, kind=kind, engine="dask", files_per_partition=4)
            assert_tables_equal(annotate_frame(client.compute(frame).result(), kind), in_memory(download, kind))


def test_annotate_frame_keeps_added_columns(download):
    frame = read_data_transfer(download, kind="sources", columns=["r:psfFlux"], engine="dask")
    rows = frame.compute()
    rows["twice"] = rows["r:psfFlux"] * 2
    table = annotate_frame(rows, "sources")
    assert table.colnames[-1] == "twice" and table["twice"].unit is None
    mask = np.ma.getmaskarray(table["r:psfFlux"])
    assert np.array_equal(np.ma.getmaskarray(table["twice"]), mask)
    assert np.array_equal(np.asarray(table["twice"])[~mask], 2 * np.asarray(table["r:psfFlux"])[~mask])


def test_annotate_frame_refuses_a_lazy_frame_and_unknown_kinds(download):
    frame = read_data_transfer(download, kind="fp", engine="dask")
    with pytest.raises(TypeError, match=r"compute\(\) first"):
        annotate_frame(frame, "fp")
    with pytest.raises(FinkInvalidQueryError, match="kind must be one of"):
        annotate_frame(frame.compute(), "lightcurve")


@pytest.mark.parametrize("options, message", [
    ({"kind": "lightcurve", "engine": "dask"}, "kind='sources' and kind='fp'"),
    ({"engine": "spark"}, "engine must be one of"),
    ({"kind": "fp", "engine": "dask", "files_per_partition": 0}, "positive integer"),
    ({"kind": "fp", "engine": "dask", "files_per_partition": 2.5}, "positive integer"),
    ({"kind": "fp", "files_per_partition": 2}, "engine='dask' only"),
    ({"kind": "fp", "engine": "dask", "columns": ["f:xm_simbad_otype"]}, "f:xm_simbad_otype"),
])
def test_bad_options_refused(download, options, message):
    with pytest.raises(FinkInvalidQueryError, match=message):
        read_data_transfer(download, **options)


def test_without_dask_a_clear_error(download, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(ImportError, match=r"astroquery-fink\[dask\]"):
        read_data_transfer(download, kind="fp", engine="dask")


def test_dask_is_not_imported_by_the_package_nor_the_pyarrow_engine(download, tmp_path):
    code = ("import sys, astroquery_fink\n"
            "assert not any(m == 'dask' or m.startswith('dask.') for m in sys.modules), 'import'\n"
            f"astroquery_fink.read_data_transfer({str(download)!r}, kind='objects')\n"
            "assert not any(m == 'dask' or m.startswith('dask.') for m in sys.modules), 'pyarrow engine'\n"
            f"astroquery_fink.read_data_transfer({str(download)!r}, kind='objects', engine='dask')\n"
            "assert 'dask.dataframe' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True)
