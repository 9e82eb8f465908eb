"""Time and memory of ``Fink.summarize`` on 500 objects of the replica (issue #12's closing figures).

Run from the repository root (needs the ``replica`` extra)::

    python benchmarks/bench_summary.py [--ids 500] [--fp-rows 40] [--repeat 5]

The replica runs in its own process (``python -m astroquery_fink.testing``) with synthetic
objects of ``--fp-rows`` forced-photometry rows and 1 to 5 detections each, so that server and
client do not share a GIL. Printed, as medians of ``--repeat`` runs:

* end to end: ``FinkClass.summarize(ids)`` with the shipped defaults; it sends
  ``3 * ceil(n / conf.max_ids_per_request)`` requests (tests/test_summary.py checks the count
  on the replica's request log);
* the computation alone: `astroquery_fink.summary.summarize` on the fetched tables;
* peak memory allocated by Python during one end-to-end call (``tracemalloc``).

Measured on the project machine (2 cores shared with four other jobs, Python 3.11.7, astropy
8.0.2), ``python benchmarks/bench_summary.py`` (500 objects, 40 forced rows each)::

    500 objects, 21482 light-curve rows, 74 summary columns, 15 requests (max_ids_per_request=100, max_workers=2)
    end to end:   median 2.347 s  (runs: 2.822, 2.628, 2.076, 2.347, 1.461)
    summary only: median 0.120 s  (runs: 0.120, 0.120, 0.117, 0.117, 0.126)
    peak Python memory of one end-to-end call: 17.0 MiB

Again on main merged with this branch (light curves with upper limits and quality columns),
the machine less busy::

    end to end:   median 1.378 s  (runs: 1.447, 1.341, 1.377, 1.378, 1.424)
    summary only: median 0.112 s  (runs: 0.112, 0.113, 0.111, 0.111, 0.157)
    peak Python memory of one end-to-end call: 17.6 MiB

The summary itself is 5 to 8 % of the call; the rest is the three queries (replica included).
"""
import argparse
import statistics
import time
import tracemalloc
import warnings

from replica_process import start_replica

from astroquery_fink import FinkClass, conf, summary
from astroquery_fink.testing import extra_object_ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=500)
    parser.add_argument("--fp-rows", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    process, url = start_replica("--extra-objects", str(args.ids), "--extra-fp-rows", str(args.fp_rows))
    try:
        client = FinkClass(server=url)
        ids = [int(identifier) for identifier in extra_object_ids(args.ids)]
        warnings.simplefilter("ignore")
        client.summarize(ids[:5], verbose=False)  # warm-up: the replica builds its tables on first use
        ends, computes = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            table = client.summarize(ids, verbose=False)
            ends.append(time.perf_counter() - start)
        lightcurve = client.get_lightcurve(ids, columns=list(summary.LATEST_ALERT_COLUMNS), verbose=False)
        objects = client.query_object(ids, columns=list(summary.OBJECT_COLUMNS), verbose=False)
        for _ in range(args.repeat):
            start = time.perf_counter()
            summary.summarize(lightcurve, objects, ids=ids)
            computes.append(time.perf_counter() - start)
        tracemalloc.start()
        client.summarize(ids, verbose=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        process.terminate()
        process.wait()
    requests = 3 * -(-args.ids // conf.max_ids_per_request)
    print(f"{args.ids} objects, {len(lightcurve)} light-curve rows, {len(table.colnames)} summary columns, "
          f"{requests} requests (max_ids_per_request={conf.max_ids_per_request}, max_workers={conf.max_workers})")
    print(f"end to end:   median {statistics.median(ends):.3f} s  (runs: {', '.join(f'{t:.3f}' for t in ends)})")
    print(f"summary only: median {statistics.median(computes):.3f} s  "
          f"(runs: {', '.join(f'{t:.3f}' for t in computes)})")
    print(f"peak Python memory of one end-to-end call: {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
