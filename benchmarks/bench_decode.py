"""Decode time of each format against its library's reader, interleaved, and peak memory (issue #14).

Run from the repository root (needs the ``replica`` extra, for pandas)::

    python benchmarks/bench_decode.py [--pairs 7] [--rows 1000 20000 200000] [--memory-rows 200000]

To measure another checkout of the client (the "before" of a change), put it first on the path;
the answers are made by the serializers of whichever checkout is imported::

    git archive main | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before python benchmarks/bench_decode.py

The answers are made the way the server makes them (the replica's ``send_tabular_data``) from
the forced-photometry frame of ``bench_parse.py`` (15 columns: 64-bit ids, MJDs, fluxes with 2%
missing, a nullable integer, a fully missing float, two string columns) plus a boolean column
and a string column missing in most rows, as light curves of ``/api/v1/sources`` have. They are
written once to ``--data`` and read from there.

Each comparison runs the client's decoding (``decode_table`` with the packaged column kinds)
and its library's reader alternately on the same bytes (A B A B ..., ``--pairs`` pairs, the
order of each pair alternating too); a pair gives one ratio, client time / library time, and
the table shows their median [min-max]: a machine shared with other jobs slows both sides of a
pair alike. The libraries:

* votable: ``astropy.io.votable.parse(...).get_first_table().to_table()``;
* parquet: ``pyarrow.parquet.read_table`` of the same columns, then one astropy column per
  Arrow column (nulls filled and masked, strings to unicode): the same Table by the shortest
  path we know;
* csv: ``pyarrow.csv.read_csv`` (an Arrow table, not converted);
* json: ``pandas.read_json`` (a DataFrame, not converted).

Peak memory: each reader decodes the ``--memory-rows`` answer in a fresh process after a
warm-up; the figure is the growth of the peak resident size (VmHWM) while decoding, the
answer's bytes already loaded, as a multiple of the final Table's data and masks.

End to end (``--end-to-end``): ``Fink.query_forced_photometry`` in a fresh process, against a
small HTTP server (another process) that answers every request with a saved ``/api/v1/fp``
answer of ``--memory-rows`` rows (the 15 columns of ``bench_parse.py``), with its
Content-Length; the figure is the growth of the client's peak resident size during the call
(transport, decoding, ordering, units), against the body's size plus the final Table's.
"""
import argparse
import io
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
import bench_parse  # noqa: E402  (the frame shared with the parse benchmark)

from astroquery_fink import decode  # noqa: E402
from astroquery_fink.columns import column_kinds  # noqa: E402
from astroquery_fink.testing.serialize import send_tabular_data  # noqa: E402

FORMATS = ("votable", "parquet", "csv", "json")
SUFFIX = {"votable": "xml", "parquet": "parquet", "csv": "csv", "json": "json"}
KINDS = {**column_kinds("sources"), **column_kinds("fp")}
LIBRARY = {"votable": "astropy votable", "parquet": "pyarrow.parquet + Table", "csv": "pyarrow.csv",
           "json": "pandas.read_json"}


def frame(nrows, seed=20261202):
    """The forced-photometry frame with a boolean column and a mostly missing string column."""
    table = bench_parse.forced_photometry_frame(nrows)
    rng = np.random.default_rng(seed)
    table["r:isDipole"] = pd.Series(rng.random(nrows) < 0.1, dtype=object)  # Python bools, as the server's
    otype = rng.choice(["SN*", "QSO", "Star", "EB*", "G"], nrows).astype(object)
    otype[rng.random(nrows) < 0.7] = None
    otype[0] = "SN*"  # a first value present: the server cannot write a VOTable otherwise
    table["f:xm_simbad_otype"] = pd.array(otype, dtype="str")
    return table


def answers(nrows, directory):
    """Paths of the answers of ``nrows`` rows in every format, made once."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {fmt: directory / f"decode_{nrows}.{SUFFIX[fmt]}" for fmt in FORMATS}
    if not all(path.exists() for path in paths.values()):
        rows = frame(nrows)
        for fmt, path in paths.items():
            path.write_bytes(send_tabular_data(rows, fmt)[1])
    return paths


def client(content, fmt):
    return decode.decode_table(content, fmt, KINDS)


def library(content, fmt):
    if fmt == "votable":
        from astropy.io import votable

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # astropy's notes on the IDs it generated are not what is timed
            return votable.parse(io.BytesIO(content)).get_first_table().to_table()
    if fmt == "parquet":
        return arrow_to_table(content)
    if fmt == "csv":
        import pyarrow.csv

        return pyarrow.csv.read_csv(io.BytesIO(content))
    return pd.read_json(io.BytesIO(content), orient="records")


def arrow_to_table(content):
    """``pyarrow.parquet.read_table`` and the shortest conversion to the client's Table we know."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from astropy.table import MaskedColumn, Table

    names = [name for name in pq.read_schema(io.BytesIO(content)).names if name != "__index_level_0__"]
    arrow = pq.read_table(io.BytesIO(content), columns=names)
    columns = []
    for name, chunked in zip(arrow.column_names, arrow.columns, strict=True):
        mask = chunked.is_null().to_numpy(zero_copy_only=False)
        if pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type):
            values = chunked.fill_null("").to_numpy(zero_copy_only=False).astype(str)
        elif pa.types.is_integer(chunked.type) or pa.types.is_boolean(chunked.type):
            values = chunked.fill_null(0 if pa.types.is_integer(chunked.type) else False).to_numpy()
        else:
            values = chunked.to_numpy(zero_copy_only=False)
        columns.append(MaskedColumn(values, name=name, mask=mask))
    return Table(columns, copy=False)


def seconds(function, *args):
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def interleaved(content, fmt, pairs):
    """Client and library times, alternately, and the ratio of each pair."""
    client(content, fmt), library(content, fmt)  # warm-up: lazy imports are not what is timed
    ours, theirs = [], []
    for index in range(pairs):
        if index % 2:
            theirs.append(seconds(library, content, fmt))
            ours.append(seconds(client, content, fmt))
        else:
            ours.append(seconds(client, content, fmt))
            theirs.append(seconds(library, content, fmt))
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    return statistics.median(ours), statistics.median(theirs), ratios


# VmHWM (the peak resident size) restarts at exec, unlike getrusage's ru_maxrss.
_MEMORY_PROBE = """
import sys
from pathlib import Path
sys.path.insert(0, {bench!r})
import bench_decode

def peak():
    return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) * 1024

reader = bench_decode.client if {side!r} == "client" else bench_decode.library
reader(Path({small!r}).read_bytes(), {fmt!r})  # warm-up: code loaded lazily is not what is measured
content = Path({path!r}).read_bytes()
before = peak()
table = reader(content, {fmt!r})
grown = peak() - before
print(grown, bench_decode.bench_parse.table_bytes(table) if {side!r} == "client" else 0)
"""


def peak_memory(paths, small, fmt, side):
    """Growth of the peak RSS while one reader decodes an answer in a fresh process, and the Table's bytes."""
    code = _MEMORY_PROBE.format(bench=str(Path(__file__).parent), small=str(small[fmt]), path=str(paths[fmt]),
                                fmt=fmt, side=side)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    grown, size = (int(value) for value in output.split())
    return grown, size


_SERVER = """
import http.server, sys
from pathlib import Path
answers = [Path(path).read_bytes() for path in sys.argv[2:]]
served = []

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = answers[min(len(served), len(answers) - 1)]  # the small answer first (warm-up), then the large
        served.append(1)
        self.send_response(200)
        self.send_header("Content-Type", sys.argv[1])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

_CALL_PROBE = """
import sys
from pathlib import Path
sys.path.insert(0, {bench!r})
import bench_decode
from astroquery_fink import FinkClass, conf

def peak():
    return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) * 1024

fink = FinkClass(server="http://127.0.0.1:{port}")
with conf.set_temp("max_response_bytes", 1 << 31):
    fink.query_forced_photometry(bench_decode.bench_parse.OBJECT_ID, output_format={fmt!r})  # warm-up
    before = peak()
    table = fink.query_forced_photometry(bench_decode.bench_parse.OBJECT_ID, output_format={fmt!r})
    grown = peak() - before
print(grown, bench_decode.bench_parse.table_bytes(table), len(table))
"""


def end_to_end(nrows, fmt, directory):
    """Peak growth of one call for ``nrows`` forced-photometry rows in ``fmt``, the body's size and the Table's."""
    from astroquery_fink.testing.serialize import CONTENT_TYPES

    paths = []
    for rows in (1_000, nrows):
        path = directory / f"fp_{rows}.{SUFFIX[fmt]}"
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(send_tabular_data(bench_parse.forced_photometry_frame(rows), fmt)[1])
        paths.append(str(path))
    server = subprocess.Popen([sys.executable, "-c", _SERVER, CONTENT_TYPES[fmt], *paths], stdout=subprocess.PIPE,
                              text=True)
    try:
        port = int(server.stdout.readline())
        code = _CALL_PROBE.format(bench=str(Path(__file__).parent), port=port, fmt=fmt)
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    finally:
        server.terminate()
        server.wait()
    grown, size, rows = (int(value) for value in output.split())
    assert rows == nrows, (rows, nrows)
    return grown, Path(paths[1]).stat().st_size, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 20_000, 200_000])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--memory-rows", type=int, default=200_000, help="0: no memory figures")
    parser.add_argument("--data", type=Path, default=Path("/tmp/astroquery_fink_bench_decode"))
    parser.add_argument("--end-to-end", action="store_true", help="only the peak memory of whole calls")
    args = parser.parse_args()

    if args.end_to_end:
        print(f"Peak memory of one query_forced_photometry call, {args.memory_rows:,} rows (fresh process)")
        print("| format | body (MB) | peak growth (MB) | Table (MB) | (peak - body) / Table |")
        print("|---|---|---|---|---|")
        for fmt in args.formats:
            grown, body, size = end_to_end(args.memory_rows, fmt, args.data)
            print(f"| {fmt} | {body / 1e6:.1f} | {grown / 1e6:.1f} | {size / 1e6:.1f} | "
                  f"**{(grown - body) / size:.2f}** |", flush=True)
        return

    print(f"Decode time, client / library, {args.pairs} interleaved pairs: median [min-max] ratio "
          "(median seconds client, library)")
    print("| rows | format | library | client / library | client (s) | library (s) |")
    print("|---|---|---|---|---|---|")
    for nrows in args.rows:
        paths = answers(nrows, args.data)
        for fmt in args.formats:
            content = paths[fmt].read_bytes()
            ours, theirs, ratios = interleaved(content, fmt, args.pairs)
            print(f"| {nrows:,} | {fmt} | {LIBRARY[fmt]} | **{statistics.median(ratios):.2f}** "
                  f"[{min(ratios):.2f}-{max(ratios):.2f}] | {ours:.4f} | {theirs:.4f} |", flush=True)
    if not args.memory_rows:
        return
    paths, small = answers(args.memory_rows, args.data), answers(1_000, args.data)
    print(f"\nPeak memory decoding the {args.memory_rows:,}-row answer (fresh process per reader), "
          "as a multiple of the client's final Table")
    print("| format | answer (MB) | client peak (MB) | library peak (MB) | Table (MB) | client / Table | "
          "library / Table |")
    print("|---|---|---|---|---|---|---|")
    for fmt in args.formats:
        ours, size = peak_memory(paths, small, fmt, "client")
        theirs, _ = peak_memory(paths, small, fmt, "library")
        print(f"| {fmt} | {paths[fmt].stat().st_size / 1e6:.1f} | {ours / 1e6:.1f} | {theirs / 1e6:.1f} | "
              f"{size / 1e6:.1f} | **{ours / size:.2f}** | {theirs / size:.2f} |", flush=True)


if __name__ == "__main__":
    main()
