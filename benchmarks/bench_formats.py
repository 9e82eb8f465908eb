"""What each transport format costs end to end: time, bytes on the wire and peak memory of one call.

Run from the repository root (needs the ``replica`` extra)::

    python benchmarks/bench_formats.py [--rounds 7] [--memory-repeat 3] [--cases 1k 20k ids]

The replica runs in its own process (``python -m astroquery_fink.testing --extra-objects 1000
--nlimit none``), so that the server writing an answer and the client reading it do not share a
GIL or a resident size. Three calls of ``FinkClass.query_forced_photometry`` (15 columns):

* ``1k``: 50 synthetic objects of 20 rows, 1,000 rows in one request;
* ``20k``: the replica's largest object, 20,480 rows in one request (the server's per-scan limit
  of 10,000 rows is lifted: ``--nlimit none``);
* ``ids``: 1,000 synthetic objects, 20,000 rows in 10 requests of 100 ids, 2 at a time (the
  shipped defaults).

Time: in one process, the four formats one after the other, round after round (votable, parquet,
json, csv, votable, ...), after a warm-up call of each; each round gives each format's time over
VOTable's of the same round, reported as median [min-max] over the rounds, with the median
seconds. Bytes: the ``Content-Length`` of every answer of the call (the replica does not
compress). Memory: each (call, format) in a fresh process, after a warm-up call of 1 object in the
same format (imports, connection): growth of the peak resident size during the call (on Linux the
peak is reset first, ``/proc/self/clear_refs``), and that growth over the size of the returned
table (column data and masks); median of ``--memory-repeat`` processes.
"""
import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import threading
import time
import warnings

from astroquery_fink import FinkClass, conf
from astroquery_fink.testing import BIG_FP_OBJECT_ID
from astroquery_fink.testing.extra import extra_object_ids

FORMATS = ("votable", "parquet", "json", "csv")
EXTRA_OBJECTS = 1_000


def case_ids(case):
    """The ids of a benchmark call."""
    if case == "1k":
        return [str(identifier) for identifier in extra_object_ids(50)]
    if case == "20k":
        return [str(BIG_FP_OBJECT_ID)]
    if case == "ids":
        return [str(identifier) for identifier in extra_object_ids(EXTRA_OBJECTS)]
    raise ValueError(case)


def start_replica():
    """The replica in a subprocess of its own; return (process, url)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "astroquery_fink.testing", "--port", "0", "--extra-objects", str(EXTRA_OBJECTS),
         "--nlimit", "none"], stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise RuntimeError(f"the replica did not start: {url!r}")
    return process, url


class CountingFink(FinkClass):
    """
    A client that adds up the ``Content-Length`` of the answers it and its worker copies receive.

    A split query's worker threads use copies made with ``type(client)(...)``, which count here too.
    """

    wire_bytes = 0
    _lock = threading.Lock()

    def _response_hook(self, response, *args, **kwargs):
        with CountingFink._lock:
            CountingFink.wire_bytes += int(response.headers.get("Content-Length", 0))
        return super()._response_hook(response, *args, **kwargs)


def fetch(client, ids, output_format):
    """One benchmarked call (its ``meta["transport"]`` says the format the answers came in)."""
    return client.query_forced_photometry(ids, output_format=output_format, verbose=False)


def table_bytes(table):
    """Bytes of a table's column data and masks."""
    total = 0
    for column in table.itercols():
        total += column.data.nbytes if hasattr(column.data, "nbytes") else 0
        mask = getattr(column, "mask", None)
        if mask is not None and hasattr(mask, "nbytes"):
            total += mask.nbytes
    return total


def time_case(url, case, rounds):
    """Interleaved timings of the four formats on one call; also the rows, transports and bytes per format."""
    client = CountingFink(server=url, timeout=600)
    ids = case_ids(case)
    facts = {}
    for output_format in FORMATS:  # warm-up: imports, the replica's caches, connections
        CountingFink.wire_bytes = 0
        table = fetch(client, ids, output_format)
        facts[output_format] = {"rows": len(table), "transport": table.meta["transport"],
                                "bytes": CountingFink.wire_bytes}
    seconds = {output_format: [] for output_format in FORMATS}
    for _ in range(rounds):
        for output_format in FORMATS:
            gc.collect()
            start = time.perf_counter()
            fetch(client, ids, output_format)
            seconds[output_format].append(time.perf_counter() - start)
    return seconds, facts


def _status_kib(key):
    """A field of /proc/self/status in KiB (VmRSS: resident size now; VmHWM: its peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def memory_child(url, case, output_format):
    """In a fresh process: growth of the peak resident size during one call, and the table's size."""
    warnings.simplefilter("ignore")
    client = FinkClass(server=url, timeout=600)
    ids = case_ids(case)
    fetch(client, ids[:1], output_format)  # imports and the connection, not counted
    gc.collect()
    try:
        # Linux: reset the peak to the present size, so that the peak of the call itself is read
        # (without it, a call smaller than the imports' peak would show no growth)
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        before = _status_kib("VmRSS")
        table = fetch(client, ids, output_format)
        after = _status_kib("VmHWM")
    except OSError:  # elsewhere: the peak since the process started
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        table = fetch(client, ids, output_format)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"growth_mb": (after - before) / 1024, "table_mb": table_bytes(table) / 2**20,
                      "rows": len(table)}))


def memory_case(url, case, output_format, repeat):
    """Median over ``repeat`` fresh processes of (peak growth in MB, table size in MB)."""
    runs = []
    for _ in range(repeat):
        result = subprocess.run([sys.executable, __file__, "--memory-child", url, case, output_format],
                                capture_output=True, text=True, check=True)
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return statistics.median(run["growth_mb"] for run in runs), runs[0]["table_mb"]


def ratio_text(values, reference):
    ratios = [value / base for value, base in zip(values, reference, strict=True)]
    return f"{statistics.median(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds of the four formats (default 7)")
    parser.add_argument("--memory-repeat", type=int, default=3,
                        help="fresh processes per (call, format) for the peak memory (default 3; 0 skips it)")
    parser.add_argument("--cases", nargs="+", default=["1k", "20k", "ids"], choices=["1k", "20k", "ids"])
    parser.add_argument("--memory-child", nargs=3, metavar=("URL", "CASE", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    # the 20k object is past the real server's 10,000-row limit (MaxResultsWarning): known, not timed
    warnings.simplefilter("ignore")
    process, url = start_replica()
    try:
        print(f"rounds={args.rounds}, memory repeat={args.memory_repeat}, "
              f"max_ids_per_request={conf.max_ids_per_request}, max_workers={conf.max_workers}")
        print("| call | format | rows | on the wire (MB) | time (s), median | time / VOTable, median [min–max] "
              "| peak growth (MB) | peak / table |")
        print("|---|---|---|---|---|---|---|---|")
        for case in args.cases:
            seconds, facts = time_case(url, case, args.rounds)
            for output_format in FORMATS:
                fact = facts[output_format]
                used = "" if fact["transport"] == output_format else f" (answered in {fact['transport']})"
                memory = "| – | –"
                if args.memory_repeat:
                    growth, table_mb = memory_case(url, case, output_format, args.memory_repeat)
                    memory = f"| {growth:.1f} | {growth / table_mb:.1f}× (table {table_mb:.1f} MB)"
                print(f"| {case} | {output_format}{used} | {fact['rows']:,} | {fact['bytes'] / 1e6:.2f} "
                      f"| {statistics.median(seconds[output_format]):.3f} "
                      f"| {ratio_text(seconds[output_format], seconds['votable'])} {memory} |", flush=True)
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
