"""
The replica's synthetic objects with many forced-photometry rows (``extra_fp_rows``): memory
follows the rows generated, and object k's rows do not depend on how many objects are asked.
"""
import tracemalloc

import numpy as np
import pytest

from astroquery_fink.testing import generate_dataset

FP = "rubin.fp"


def rows_of(dataset, object_id):
    fp = dataset.tables[FP]
    return fp[fp["r:diaObjectId"].astype("int64") == int(object_id)].sort_values("r:midpointMjdTai")


def test_one_object_with_many_rows_costs_its_rows_only():
    # 20,000 visits: drawn for a whole block of 1,024 objects, the eight per-visit arrays alone
    # would take 1,024 x 20,000 x 8 x 8 bytes = 1.3 GB; for the one object asked, 1.3 MB
    tracemalloc.start()
    try:
        dataset = generate_dataset(extra_objects=1, extra_fp_rows=20_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(rows_of(dataset, dataset.extra_object_ids[0])) == 20_000
    assert peak < 400 * 2**20


@pytest.mark.parametrize("fp_rows", [30, 1_500])
def test_an_object_is_the_same_alone_or_among_others(fp_rows):
    """Both ways of drawing (by block up to 1,000 visits, by object beyond) keep object k independent of the count."""
    alone = generate_dataset(extra_objects=1, extra_fp_rows=fp_rows)
    among = generate_dataset(extra_objects=3, extra_fp_rows=fp_rows)
    first = alone.extra_object_ids[0]
    assert first == among.extra_object_ids[0]
    a, b = rows_of(alone, first), rows_of(among, first)
    assert len(a) == fp_rows
    for name in ("r:midpointMjdTai", "r:psfFlux", "r:band", "r:diaForcedSourceId"):
        assert a[name].reset_index(drop=True).equals(b[name].reset_index(drop=True)), name  # NaN == NaN
    # and the objects differ from one another
    other = rows_of(among, among.extra_object_ids[1])
    assert not np.array_equal(a["r:psfFlux"].to_numpy(), other["r:psfFlux"].to_numpy())
