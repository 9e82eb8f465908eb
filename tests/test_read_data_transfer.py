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


@pytest.mark.parametrize("kind", ["alerts", "FP", None])
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
