"""Processes sharing one cache, and a damaged cache entry: astroquery's cache against the client's.

Run from the repository root (needs the ``replica`` extra)::

    python benchmarks/bench_cache.py [--rounds 20] [--processes 6] [--calls 4]

The replica runs in its own process. Each round starts from an empty cache directory that
``--processes`` worker processes share; they start together (a barrier) and each makes
``--calls`` calls of the same query with ``cache=True`` (forced photometry of one object, all
columns, VOTable: about 0.5 MB pickled). A call that raises counts as a crash.

* before: astroquery's own cache (``BaseQuery._request`` and ``clear_cache``, as in the client
  before issue #10): entries written in place, read back without a check;
* after: the client's (`astroquery_fink.cache`): entries written to a temporary file and renamed,
  unreadable entries deleted and fetched again.

The damaged-entry case writes the first half of a good entry over it, then makes three calls.
"""
import argparse
import multiprocessing
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from astroquery.query import BaseQuery
from replica_process import start_replica

from astroquery_fink import FinkClass
from astroquery_fink.testing import REAL_OBJECT_IDS

OBJECT = REAL_OBJECT_IDS[0]


class AstroqueryCacheFink(FinkClass):
    """The client with astroquery's cache, as before issue #10."""

    _request = BaseQuery._request
    clear_cache = BaseQuery.clear_cache


CLIENTS = {"before": AstroqueryCacheFink, "after": FinkClass}


def client(mode, url, cache_dir):
    fink = CLIENTS[mode](server=url)
    fink.cache_location = cache_dir
    return fink


def call(fink):
    """'ok', or the name of the exception the call raised."""
    try:
        table = fink.query_forced_photometry(OBJECT, cache=True)
    except Exception as error:
        return type(error).__name__
    return "ok" if len(table) else "empty"


def worker(mode, url, cache_dir, calls, barrier, outcomes):
    fink = client(mode, url, cache_dir)
    barrier.wait()
    outcomes.put([call(fink) for _ in range(calls)])


def shared_cache(mode, url, rounds, processes, calls):
    context = multiprocessing.get_context("fork")
    tally = Counter()
    for _ in range(rounds):
        cache_dir = Path(tempfile.mkdtemp(prefix="bench-cache-"))
        barrier, outcomes = context.Barrier(processes), context.Queue()
        workers = [context.Process(target=worker, args=(mode, url, cache_dir, calls, barrier, outcomes))
                   for _ in range(processes)]
        for process in workers:
            process.start()
        for _ in workers:
            tally.update(outcomes.get(timeout=300))
        for process in workers:
            process.join()
        shutil.rmtree(cache_dir)
    return tally


def damaged_entry(mode, url):
    cache_dir = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    try:
        fink = client(mode, url, cache_dir)
        call(fink)
        (entry,) = cache_dir.glob("*.pickle")
        entry.write_bytes(entry.read_bytes()[:entry.stat().st_size // 2])
        return Counter(call(fink) for _ in range(3))
    finally:
        shutil.rmtree(cache_dir)


def crashes(tally):
    failed = sum(count for outcome, count in tally.items() if outcome != "ok")
    kinds = ", ".join(f"{name} {count}" for name, count in sorted(tally.items()) if name != "ok")
    return f"{failed} of {sum(tally.values())}" + (f" ({kinds})" if kinds else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--calls", type=int, default=4)
    options = parser.parse_args()
    process, url = start_replica()  # its built-in objects only
    try:
        print("| case | before (astroquery's cache) | after (astroquery_fink.cache) |\n|---|---|---|")
        label = (f"{options.processes} processes × {options.calls} calls, empty shared cache, "
                 f"{options.rounds} rounds: calls that raised")
        print(f"| {label} | " + " | ".join(
            crashes(shared_cache(mode, url, options.rounds, options.processes, options.calls))
            for mode in CLIENTS) + " |")
        print("| entry cut in half, then 3 calls: calls that raised | "
              + " | ".join(crashes(damaged_entry(mode, url)) for mode in CLIENTS) + " |")
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    main()
