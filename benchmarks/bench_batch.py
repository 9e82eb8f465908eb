"""End-to-end fetch of 1,000 and 5,000 objects' forced photometry: the client against a seed-style loop.

Run from the repository root (needs the ``replica`` extra)::

    python benchmarks/bench_batch.py [--ids 1 10 100 1000 5000] [--rounds 5] [--sweep]

The replica runs in its own process (``python -m astroquery_fink.testing``) with 5,000 extra
objects of 20 forced-photometry rows each, so that server and client do not share a GIL.

* client: ``FinkClass.query_forced_photometry(ids)`` with the shipped defaults
  (``conf.max_ids_per_request`` ids per request, ``conf.max_workers`` requests in flight, VOTable);
* seed-style loop: what users write today, one ``requests.post`` per id, each answer read with
  ``astropy.io.votable.parse(...).to_table()``, stacked at the end.

For each number of ids the two run in turn, round after round (client, loop, client, loop, ...),
and the speed-up is given per round as median [min-max]. ``--sweep`` also times the client on
1,000 ids for several request sizes and worker counts, all configurations interleaved in each
round: the measurement behind the defaults.
"""
import argparse
import io
import warnings

import requests
from astropy.io import votable
from astropy.table import vstack
from interleave import interleaved, ratio, spread
from replica_process import start_replica

from astroquery_fink import FinkClass, conf
from astroquery_fink.testing.dataset import generate_dataset

EXTRA_OBJECTS, EXTRA_FP_ROWS = 5_000, 20


def seed_loop(url, ids):
    tables = []
    for identifier in ids:
        response = requests.post(f"{url}/api/v1/fp", json={"diaObjectId": str(identifier), "output-format": "votable"},
                                 timeout=120)
        response.raise_for_status()
        tables.append(votable.parse(io.BytesIO(response.content)).get_first_table().to_table())
    return vstack([table for table in tables if len(table.colnames)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, nargs="+", default=[1, 10, 100, 1_000, 5_000])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # astropy's notes on the IDs it generated, on the baseline path
    ids = list(generate_dataset(extra_objects=EXTRA_OBJECTS, extra_fp_rows=EXTRA_FP_ROWS).extra_object_ids)
    process, url = start_replica("--extra-objects", str(EXTRA_OBJECTS), "--extra-fp-rows", str(EXTRA_FP_ROWS))
    try:
        fink = FinkClass(server=url)
        fink.query_forced_photometry(ids[:10], verbose=False)  # warm-up: imports, connections
        print(f"defaults: max_ids_per_request={conf.max_ids_per_request}, max_workers={conf.max_workers}")
        print("| ids | rows | client (s) | seed-style loop (s) | loop / client |")
        print("|---|---|---|---|---|")
        for count in args.ids:
            times = interleaved({"client": lambda c=count: fink.query_forced_photometry(ids[:c], verbose=False),
                                 "loop": lambda c=count: seed_loop(url, ids[:c])}, args.rounds)
            table, baseline = interleaved.results["client"], interleaved.results["loop"]
            assert len(table) == len(baseline) == count * EXTRA_FP_ROWS, (len(table), len(baseline))
            print(f"| {count:,} | {len(table):,} | {spread(times['client'], 2)} | {spread(times['loop'], 2)} | "
                  f"**{ratio(times['loop'], times['client'], 1)}** |")
        if args.sweep:
            sizes, workers = (10, 25, 50, 100, 200, 500, 1000), (1, 2, 4)

            def configured(size, count):
                def run():
                    with conf.set_temp("max_ids_per_request", size), conf.set_temp("max_workers", count):
                        return fink.query_forced_photometry(ids[:1000], verbose=False)
                return run

            times = interleaved({(s, w): configured(s, w) for s in sizes for w in workers}, args.rounds)
            print("\n1,000 ids, client time (s) by request size and workers, median [min-max]")
            print("| ids per request | " + " | ".join(f"{w} worker{'s' * (w > 1)}" for w in workers) + " |")
            print("|---|" + "---|" * len(workers))
            for size in sizes:
                print(f"| {size} | " + " | ".join(spread(times[(size, w)], 2) for w in workers) + " |")
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    main()
