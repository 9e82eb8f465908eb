"""Parse time per format and per reader for 1k, 20k and 200k-row forced-photometry answers, and peak memory.

Run from the repository root (needs the ``replica`` extra, for pandas)::

    python benchmarks/bench_parse.py [--repeat 7] [--rows 1000 20000 200000] [--memory-rows 200000]

The answers are made the way the server makes them (the replica's ``send_tabular_data``:
pandas -> astropy -> VOTable, ``to_json``, ``to_csv``, ``to_parquet`` with the index) from a
frame shaped like ``/api/v1/fp`` rows: the 15 forced-photometry columns, 64-bit ids, MJDs,
fluxes with 2% missing, a nullable integer with 1% missing, a fully missing float column and
two string columns. Timed on the same bytes, median of ``--repeat`` runs:

* ``astropy``: ``votable.parse(...).get_first_table().to_table()``, what users copy today;
* ``votable (astropy reader)``: the client's decoding with the vectorised reader switched off;
* ``votable``, ``json``, ``csv``, ``parquet``: the client's decoding as shipped.

Peak memory: each reader decodes the ``--memory-rows`` answer in a fresh process; the figure is
the growth of the process's peak resident size during decoding (the answer's bytes are already
loaded), compared with the size of the final Table (data and masks).
"""
import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
from astropy.io import votable

from astroquery_fink import decode
from astroquery_fink.columns import column_kinds
from astroquery_fink.testing.serialize import send_tabular_data

OBJECT_ID = 169298438257115164
FORMATS = ("votable", "json", "csv", "parquet")


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


def astropy_table(content):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy's notes on the IDs it generated are not what is timed
        return votable.parse(io.BytesIO(content)).get_first_table().to_table()


def client_table(content, output_format, astropy_reader=False):
    kinds = column_kinds("fp")
    if astropy_reader:
        with mock.patch.object(decode, "read_tabledata", lambda content, check=None: None):
            return decode.decode_table(content, output_format, kinds)
    return decode.decode_table(content, output_format, kinds)


def median_seconds(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def table_bytes(table):
    """Bytes held by a Table's data and masks."""
    total = 0
    for column in table.itercols():
        total += np.asarray(column).nbytes
        mask = getattr(column, "mask", None)
        total += np.asarray(mask).nbytes if mask is not None and np.ndim(mask) else 0
    return total


# VmHWM (the peak resident size) restarts at exec, unlike getrusage's ru_maxrss, which a child
# inherits from its parent on Linux.
_MEMORY_PROBE = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
sys.path.insert(0, {bench!r})
import bench_parse

def peak_kib():
    return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0])

def decode(content):
    if {reader!r} == "astropy":
        return bench_parse.astropy_table(content)
    return bench_parse.client_table(content, {fmt!r}, astropy_reader={reader!r} == "astropy reader")

# warm up on a small answer first: the libraries import code lazily on first use, and code is
# not what is measured here
small = bench_parse.send_tabular_data(bench_parse.forced_photometry_frame(100), {fmt!r})[1]
decode(small)
content = Path({path!r}).read_bytes()
before = peak_kib()
table = decode(content)
after = peak_kib()
print((after - before) * 1024, bench_parse.table_bytes(table), len(table))
"""


def peak_memory(content, output_format, reader):
    """Growth of the peak RSS while one reader decodes ``content`` in a fresh process (bytes)."""
    with tempfile.NamedTemporaryFile(suffix="." + output_format) as handle:
        handle.write(content)
        handle.flush()
        code = _MEMORY_PROBE.format(repo=str(Path(__file__).parents[1]), bench=str(Path(__file__).parent),
                                    path=handle.name, reader=reader, fmt=output_format)
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    grown, size, rows = (int(value) for value in output.split())
    return grown, size, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 20_000, 200_000])
    parser.add_argument("--memory-rows", type=int, default=200_000)
    args = parser.parse_args()

    print("Parse time (s), median of runs; speed-up of the client's votable path over astropy's reader")
    print("| rows | astropy to_table | votable (astropy reader) | votable | json | csv | parquet "
          "| votable vs astropy |")
    print("|---|---|---|---|---|---|---|---|")
    for nrows in args.rows:
        frame = forced_photometry_frame(nrows)
        bodies = {fmt: send_tabular_data(frame, fmt)[1] for fmt in FORMATS}
        repeat = max(3, args.repeat // 2) if nrows > 100_000 else args.repeat
        body = bodies["votable"]
        base = median_seconds(lambda body=body: astropy_table(body), repeat)
        slow = median_seconds(lambda body=body: client_table(body, "votable", astropy_reader=True), repeat)
        ours = {fmt: median_seconds(lambda b=bodies[fmt], f=fmt: client_table(b, f), repeat) for fmt in FORMATS}
        print(f"| {nrows:,} | {base:.4f} | {slow:.4f} | {ours['votable']:.4f} | {ours['json']:.4f} | "
              f"{ours['csv']:.4f} | {ours['parquet']:.4f} | **{base / ours['votable']:.1f}x** |")

    frame = forced_photometry_frame(args.memory_rows)
    bodies = {fmt: send_tabular_data(frame, fmt)[1] for fmt in FORMATS}
    print(f"\nPeak memory while decoding the {args.memory_rows:,}-row answer (fresh process per reader)")
    print("| reader | answer (MB) | peak growth (MB) | final Table (MB) | peak / Table |")
    print("|---|---|---|---|---|")
    runs = [("votable", "astropy"), ("votable", "astropy reader"), *[(fmt, "client") for fmt in FORMATS]]
    for fmt, reader in runs:
        grown, size, _ = peak_memory(bodies[fmt], fmt, reader)
        label = {"astropy": "astropy to_table (votable)", "astropy reader": "votable (astropy reader)"}.get(reader, fmt)
        print(f"| {label} | {len(bodies[fmt]) / 1e6:.1f} | {grown / 1e6:.1f} | {size / 1e6:.1f} | "
              f"{grown / size:.2f} |")
    print("\n" + json.dumps({"rows": args.rows, "repeat": args.repeat}))


if __name__ == "__main__":
    main()
