"""Time the vectorised VOTable reader against astropy's on forced-photometry answers of 1k, 20k and 200k rows.

Run from the repository root (needs the ``replica`` extra, for pandas)::

    python benchmarks/bench_votable.py [--repeat 7] [--rows 1000 20000 200000]

The answers are made the way the server makes them (pandas -> ``Table.from_pandas`` ->
``votable.from_table`` -> ``writeto``, through the replica's ``send_tabular_data``) from a
frame shaped like ``/api/v1/fp`` rows: the 15 forced-photometry columns, 64-bit ids, MJDs,
fluxes with 2% missing, a nullable integer with 1% missing, a fully missing float column and
two string columns. Three paths are timed on the same bytes, median of ``--repeat`` runs:

* astropy: ``votable.parse(...).get_first_table().to_table()``, what users copy today;
* client: ``decode_table(content, "votable", kind_of)`` as it is (astropy inside);
* fast: the same ``decode_table`` with ``fast_votable.read_tabledata`` as its VOTable reader.

Before timing, the script checks that both ``decode_table`` paths give identical tables.
"""
import argparse
import io
import statistics
import time
import warnings
from unittest import mock

import numpy as np
import pandas as pd
from astropy.io import votable

from astroquery_fink import decode
from astroquery_fink.annotate import kind_resolver
from astroquery_fink.fast_votable import read_tabledata
from astroquery_fink.testing.serialize import send_tabular_data

OBJECT_ID = 169298438257115164


def forced_photometry_frame(nrows, seed=20260314):
    """A frame shaped like the server's ``/api/v1/fp`` rows for one object."""
    rng = np.random.default_rng(seed)
    mjd = np.sort(rng.uniform(61_000.0, 61_400.0, nrows))
    failed = rng.random(nrows) < 0.02  # no good pixels: missing PSF flux
    flux = rng.normal(1_000.0, 300.0, nrows)
    error = rng.uniform(50.0, 500.0, nrows)
    detector = pd.array(rng.integers(0, 189, nrows), dtype="Int64")
    detector[rng.random(nrows) < 0.01] = pd.NA
    return pd.DataFrame({
        "r:diaObjectId": pd.array(np.full(nrows, OBJECT_ID), dtype="Int64"),
        "r:diaForcedSourceId": pd.array(np.sort(rng.integers(171 * 10**15, 172 * 10**15, nrows)), dtype="Int64"),
        "r:midpointMjdTai": mjd,
        "r:band": pd.array(rng.choice(list("ugrizy"), nrows), dtype="str"),
        "r:ra": np.full(nrows, 150.02775412),
        "r:dec": np.full(nrows, 3.757143213),
        "r:detector": detector,
        "r:visit": pd.array((mjd * 1e4).astype(np.int64), dtype="Int64"),
        "r:timeProcessedMjdTai": mjd + rng.uniform(0.5, 3.0, nrows),
        "r:timeWithdrawnMjdTai": np.full(nrows, np.nan),
        "r:psfFlux": np.where(failed, np.nan, flux),
        "r:psfFluxErr": np.where(failed, np.nan, error),
        "r:scienceFlux": flux + 3_000.0,
        "r:scienceFluxErr": error * 1.05,
        "r:salt": pd.array(np.full(nrows, str(OBJECT_ID)[-3:]), dtype="str"),
    })


def fast_reader(content):
    """The wiring the lead would use: the fast reader, astropy when it gives up."""
    columns = read_tabledata(content)
    return decode._read_votable(content) if columns is None else columns


def astropy_table(content):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy's W03/W50-style notes are not what is timed
        return votable.parse(io.BytesIO(content)).get_first_table().to_table()


def client_table(content, kind_of):
    return decode.decode_table(content, "votable", kind_of)


def fast_table(content, kind_of):
    with mock.patch.dict(decode._READERS, votable=fast_reader):
        return decode.decode_table(content, "votable", kind_of)


def median_seconds(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def check_identical(left, right):
    assert left.colnames == right.colnames
    for name in left.colnames:
        a, b = left[name], right[name]
        assert a.dtype == b.dtype and type(a) is type(b), name
        assert np.array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(b)), name
        data_a, data_b = np.asarray(getattr(a, "data", a)), np.asarray(getattr(b, "data", b))
        if data_a.dtype.kind == "f":  # bit for bit, NaN included
            assert np.array_equal(data_a.view(np.uint64), data_b.view(np.uint64)), name
        else:
            assert np.array_equal(data_a, data_b), name


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 20_000, 200_000])
    args = parser.parse_args()
    kind_of = kind_resolver("fp")
    results = []
    for nrows in args.rows:
        _, content, _ = send_tabular_data(forced_photometry_frame(nrows), "votable")
        assert read_tabledata(content) is not None, "the fast reader gave up on a server document"
        check_identical(client_table(content, kind_of), fast_table(content, kind_of))
        repeat = max(3, args.repeat // 2) if nrows > 100_000 else args.repeat
        timings = {
            "astropy": median_seconds(lambda c=content: astropy_table(c), repeat),
            "client": median_seconds(lambda c=content: client_table(c, kind_of), repeat),
            "fast": median_seconds(lambda c=content: fast_table(c, kind_of), repeat),
        }
        results.append((nrows, len(content), timings))

    print("| rows | VOTable | astropy `to_table()` (s) | client `decode_table` (s) | fast `decode_table` (s) "
          "| fast vs astropy | fast vs client |")
    print("|---|---|---|---|---|---|---|")
    for nrows, size, t in results:
        print(f"| {nrows:,} | {size / 1e6:.1f} MB | {t['astropy']:.4f} | {t['client']:.4f} | {t['fast']:.4f} "
              f"| **{t['astropy'] / t['fast']:.1f}x** | {t['client'] / t['fast']:.1f}x |")
    print(f"\nmedian of {args.repeat} runs ({max(3, args.repeat // 2)} above 100k rows); "
          "15 columns; both decode_table paths checked identical")


if __name__ == "__main__":
    main()
