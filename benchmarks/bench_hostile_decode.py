"""Time and peak memory of decoding hostile answers (issue #10), each case in a fresh process.

Run from the repository root, on the code to measure (``PYTHONPATH`` picks the tree)::

    PYTHONPATH=/path/to/tree python benchmarks/bench_hostile_decode.py [--cases ...] [--timeout 300] [--memory-cap-gb 6]

Each case builds its answer, then decodes it with ``astroquery_fink.decode.decode_table`` (or
``decode_cutout``) in a child process; the figures are the wall time of the decoding and the
growth of the child's peak resident size over what it held before decoding. A child is stopped
past ``--timeout`` seconds, and its address space is capped at ``--memory-cap-gb`` so that a bomb
fails with MemoryError instead of taking the machine down: such a row reads "> cap".
"""
import argparse
import io
import json
import resource
import subprocess
import sys
import time

HEAD = (b'<?xml version="1.0" encoding="utf-8"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
        b'<RESOURCE type="results"><TABLE>')
TAIL = b"</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"


def votable(fields, nrows, cell, comment=False):
    declared = b"".join(b"<FIELD %s/>" % attributes for attributes in fields)
    row = b"<TR>" + b"<TD>%s</TD>" % cell * len(fields) + b"</TR>"
    return HEAD + declared + b"<DATA><TABLEDATA>" + (b"<!-- -->" if comment else b"") + row * nrows + TAIL


def wide_votable(comment):
    # 188 kB: 8,000 rows of one character in a FIELD declaring 65,535
    return votable([b'name="s" datatype="char" arraysize="65535"'], 8_000, b"a", comment)


def many_fields():
    return votable([b'name="c%d" datatype="short"' % k for k in range(200_000)], 1, b"1")


def parquet_constant():
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    sink = io.BytesIO()
    schema = pa.schema([("r:flux", pa.float64())])
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        block = pa.table({"r:flux": np.zeros(1_000_000)}, schema=schema)
        for _ in range(50):
            writer.write_table(block)
    return sink.getvalue()


def json_keys():
    return json.dumps([{f"k{k}": k} for k in range(20_000)]).encode()


def json_keys_growing():
    # each row has "id" and a key of its own, every other row "x" too: rows of changing lengths
    return json.dumps([{"id": k, f"k{k}": k, **({"x": 1} if k % 2 else {})} for k in range(20_000)]).encode()


def csv_cut():
    body = b"r:diaObjectId,r:band\n" + b"1,g\n1,r\n2,i\n2,z\n2,y\n"
    return body[:body.index(b"2,i")]


HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"

#: name -> (builder, format, description)
CASES = {
    "votable_width_fast": (lambda: wide_votable(False), "votable", "VOTable arraysize=65535, 8,000 rows"),
    "votable_width_astropy": (lambda: wide_votable(True), "votable", "same, astropy reader (comment in rows)"),
    "votable_200k_fields": (many_fields, "votable", "VOTable 200,000 FIELDs, 1 row"),
    "parquet_50M_rows": (parquet_constant, "parquet", "parquet, 50 M rows of a constant"),
    "json_20k_keys": (json_keys, "json", "JSON, 20,000 rows of one distinct key each"),
    "json_20k_keys_growing": (json_keys_growing, "json", "JSON, 20,000 rows: id, a key of its own, x in every other"),
    "csv_cut_line_end": (csv_cut, "csv", "csv cut at a line end, no framing"),
    "png_html": (lambda: HTML, "PNG", "HTML error page as a PNG cutout"),
}


def child(name):
    import warnings

    from astroquery_fink import decode
    from astroquery_fink.cutouts import decode_cutout
    build, output_format, _ = CASES[name]
    content = build()
    kwargs = {"framed": False} if output_format == "csv" and _accepts_framed(decode) else {}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if output_format == "PNG":
                result = decode_cutout(content, "Science", "PNG")
                outcome = f"returned {len(result)} bytes"
            else:
                table = decode.decode_table(content, output_format, **kwargs)
                outcome = f"returned {len(table)} rows x {len(table.colnames)} columns"
        except MemoryError:
            outcome = "MemoryError"
        except Exception as error:  # what the user sees
            outcome = f"{type(error).__name__}: {str(error)[:90]}"
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    warned = sorted({type(warning.message).__name__ for warning in caught})
    print(json.dumps({"answer_bytes": len(content), "seconds": elapsed, "peak_mb": peak / 1024,
                      "outcome": outcome, "warnings": warned}))


def _accepts_framed(decode):
    import inspect
    return "framed" in inspect.signature(decode.decode_table).parameters


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--memory-cap-gb", type=float, default=6)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        cap = int(args.memory_cap_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        return child(args.child)
    print("| case | answer | time (s) | peak growth (MB) | outcome |")
    print("|---|---|---|---|---|")
    for name in args.cases:
        command = [sys.executable, __file__, "--child", name, "--memory-cap-gb", str(args.memory_cap_gb)]
        start = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"| {CASES[name][2]} | | > {args.timeout:g} (stopped) | | not finished |")
            continue
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            tail = (done.stderr.strip().splitlines() or ["?"])[-1][:90]
            print(f"| {CASES[name][2]} | | {time.perf_counter() - start:.1f} (process) | | crashed: {tail} |")
            continue
        result = json.loads(lines[-1])
        warned = f" (warns {', '.join(result['warnings'])})" if result["warnings"] else ""
        print(f"| {CASES[name][2]} | {result['answer_bytes']:,} B | {result['seconds']:.3f} | "
              f"{result['peak_mb']:.0f} | {result['outcome']}{warned} |")


if __name__ == "__main__":
    main()
