"""Client behaviour that needs a whole server: tested over loopback HTTP against the replica.

These tests use replica knobs the live service has no equivalent for (a pandas-2 flavour, a
known 20 000-row object), so they are not remote-data tests.
"""
import numpy as np
import pytest
from astroquery.exceptions import MaxResultsWarning

from astroquery_fink import FinkClass
from astroquery_fink.core import SERVER_SCAN_LIMIT
from astroquery_fink.testing import BIG_FP_OBJECT_ID

from .recorded import assert_same_table

SMALL_ID = 313761043604045880


def test_object_at_server_row_limit_warns(fink_replica):
    fink = FinkClass(server=fink_replica)
    with pytest.warns(MaxResultsWarning, match=str(BIG_FP_OBJECT_ID)):
        table = fink.query_forced_photometry(BIG_FP_OBJECT_ID, output_format="parquet")
    assert len(table) == SERVER_SCAN_LIMIT


def test_row_limit_counted_per_object(fink_replica):
    fink = FinkClass(server=fink_replica)
    with pytest.warns(MaxResultsWarning) as record:
        table = fink.query_forced_photometry([SMALL_ID, BIG_FP_OBJECT_ID], output_format="parquet")
    (warning,) = record
    assert str(BIG_FP_OBJECT_ID) in str(warning.message)
    assert str(SMALL_ID) not in str(warning.message)
    assert np.sum(table["r:diaObjectId"] == SMALL_ID) > 0


def test_row_limit_detected_without_id_column(fink_replica):
    fink = FinkClass(server=fink_replica)
    with pytest.warns(MaxResultsWarning):
        fink.query_forced_photometry(BIG_FP_OBJECT_ID, columns="r:psfFlux", output_format="parquet")


def test_small_object_does_not_warn(fink_replica):
    table = FinkClass(server=fink_replica).query_forced_photometry(SMALL_ID, output_format="parquet")
    assert 0 < len(table) < SERVER_SCAN_LIMIT


def test_pandas2_votable_crash_answered_in_csv(fink_replica, fink_replica_pandas2):
    # a pandas-2 server cannot write a full read of /sources in VOTable (text columns null in
    # every row): the client gets the same table in CSV
    table = FinkClass(server=fink_replica_pandas2).query_sources(SMALL_ID)
    assert table.meta["transport"] == "csv"
    # JSON from the pandas-3 server, an independent path (floats rounded to 10 decimals there)
    assert_same_table(table, FinkClass(server=fink_replica).query_sources(SMALL_ID, output_format="json"),
                      float_rtol=1e-9)


def test_pandas2_server_same_table_as_pandas3(fink_replica, fink_replica_pandas2):
    columns = ["r:diaSourceId", "r:band", "r:psfFlux", "f:xm_simbad_otype", "r:isDipole"]
    new = FinkClass(server=fink_replica).query_sources(SMALL_ID, columns=columns, output_format="json")
    old = FinkClass(server=fink_replica_pandas2).query_sources(SMALL_ID, columns=columns, output_format="json")
    assert new.colnames == old.colnames
    for name in new.colnames:
        assert new[name].dtype == old[name].dtype, name
        assert np.array_equal(np.ma.getmaskarray(new[name]), np.ma.getmaskarray(old[name])), name
