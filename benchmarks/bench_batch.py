"""End-to-end fetch of 1,000 and 5,000 objects' forced photometry: the client against a seed-style loop.

Run from the repository root (needs the ``replica`` extra)::

    python benchmarks/bench_batch.py [--ids 1000 5000] [--sweep]

The replica runs in its own process (``python -m astroquery_fink.testing``) with 5,000 extra
objects of 20 forced-photometry rows each, so that server and client do not share a GIL.

* client: ``FinkClass.query_forced_photometry(ids)`` with the shipped defaults
  (``conf.max_ids_per_request`` ids per request, ``conf.max_workers`` requests in flight, VOTable);
* seed-style loop: what users write today, one ``requests.post`` per id, each answer read with
  ``astropy.io.votable.parse(...).to_table()``, stacked at the end.

``--sweep`` also times the client on 1,000 ids for several request sizes and worker counts:
the measurement behind the defaults.
"""
import argparse
import io
import subprocess
import sys
import time
import warnings

import requests
from astropy.io import votable
from astropy.table import vstack

from astroquery_fink import FinkClass, conf
from astroquery_fink.testing.dataset import generate_dataset

EXTRA_OBJECTS, EXTRA_FP_ROWS = 5_000, 20


def start_replica():
    """Start the replica in a subprocess; return (process, url)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "astroquery_fink.testing", "--port", "0", "--extra-objects", str(EXTRA_OBJECTS),
         "--extra-fp-rows", str(EXTRA_FP_ROWS)],
        stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise RuntimeError(f"the replica did not start: {url!r}")
    return process, url


def seed_loop(url, ids):
    tables = []
    for identifier in ids:
        response = requests.post(f"{url}/api/v1/fp", json={"diaObjectId": str(identifier), "output-format": "votable"},
                                 timeout=120)
        response.raise_for_status()
        tables.append(votable.parse(io.BytesIO(response.content)).get_first_table().to_table())
    return vstack([table for table in tables if len(table.colnames)])


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, nargs="+", default=[1_000, 5_000])
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # astropy's notes on the IDs it generated, on the baseline path
    ids = list(generate_dataset(extra_objects=EXTRA_OBJECTS, extra_fp_rows=EXTRA_FP_ROWS).extra_object_ids)
    process, url = start_replica()
    try:
        fink = FinkClass(server=url)
        fink.query_forced_photometry(ids[:10], verbose=False)  # warm-up: imports, connections
        print(f"defaults: max_ids_per_request={conf.max_ids_per_request}, max_workers={conf.max_workers}")
        print("| ids | rows | client (s) | seed-style loop (s) | speed-up |")
        print("|---|---|---|---|---|")
        for count in args.ids:
            client_time, table = timed(lambda c=count: fink.query_forced_photometry(ids[:c], verbose=False))
            loop_time, baseline = timed(lambda c=count: seed_loop(url, ids[:c]))
            assert len(table) == len(baseline) == count * EXTRA_FP_ROWS, (len(table), len(baseline))
            print(f"| {count:,} | {len(table):,} | {client_time:.2f} | {loop_time:.2f} | "
                  f"**{loop_time / client_time:.1f}x** |")
        if args.sweep:
            print("\n1,000 ids, client time (s) by request size and workers")
            print("| ids per request | 1 worker | 2 workers | 4 workers |")
            print("|---|---|---|---|")
            for size in (10, 25, 50, 100, 200, 500, 1000):
                cells = []
                for workers in (1, 2, 4):
                    with conf.set_temp("max_ids_per_request", size), conf.set_temp("max_workers", workers):
                        seconds, _ = timed(lambda: fink.query_forced_photometry(ids[:1000], verbose=False))
                    cells.append(f"{seconds:.2f}")
                print(f"| {size} | " + " | ".join(cells) + " |")
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    main()
