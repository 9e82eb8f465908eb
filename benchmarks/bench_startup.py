"""
Start-up cost of the package, of the README's main job and of the replica (issue #11).

Every figure is a fresh Python process started from an empty directory; its wall time and
peak resident size (``ru_maxrss`` from ``os.wait4``) are read when it ends. The commands run
in turn (interleaved), ``--repeat`` times, and the medians are printed. Three figures:

1. ``import astroquery_fink`` and ``from astroquery_fink import Fink``, against
   ``import astroquery.simbad`` on the same machine (the issue's yardstick): wall time, CPU
   time (user + system: less sensitive than the wall time to other jobs on the machine), the
   import's own time from ``python -X importtime``, and peak memory;
2. the README's main job, ``python -m astroquery_fink fp 313761043604045880 --replica``;
3. ``FinkReplica()``: its import, its construction alone (both timed inside the process), and
   the construction plus one forced-photometry request answered (the tables a replica serves
   are made on first use, so that figure shows where the work went).

Every process runs with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` is lifted), after
one uncounted round that writes the ``__pycache__`` of the trees measured: an installed package
runs from the bytecode pip compiled, as ``astroquery.simbad`` does here.

Run from anywhere; ``--code`` names the source trees to measure (default: this checkout),
and several trees are interleaved too, so a before/after comparison shares the machine's load::

    git archive 87470f5 | tar -x -C /tmp/before        # the code before the change
    python benchmarks/bench_startup.py --repeat 11 --code /tmp/before --code .
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEMO_OBJECT = "313761043604045880"

# the replica's construction, timed inside the process (the import is not part of it)
REPLICA_CHILD = r"""
import sys, time
start = time.perf_counter()
from astroquery_fink.testing import FinkReplica
imported = time.perf_counter() - start
start = time.perf_counter()
replica = FinkReplica()
built = time.perf_counter() - start
if sys.argv[1] == "request":
    import requests
    with replica as url:
        answer = requests.post(url + "/api/v1/fp", json={"diaObjectId": sys.argv[2], "output-format": "votable"})
        answer.raise_for_status()
print(imported, built, time.perf_counter() - start)
"""


def run(argv, pythonpath, workdir):
    """Run one command; return (wall seconds, peak RSS in MiB, stdout, stderr, CPU seconds)."""
    env = dict(os.environ, PYTHONPATH=pythonpath)
    # as an installed package runs: from cached bytecode (pip compiles it at install), like
    # astroquery.simbad; without it every import of a source tree compiles its modules again
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, cwd=workdir, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}):\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024, stdout, stderr, usage.ru_utime + usage.ru_stime


def import_time(stderr):
    """Seconds ``python -X importtime`` gives the imports of the ``-c`` code (the top-level ones after ``site``)."""
    total, after_site = 0, False
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)$", line)
        if not match:
            continue
        if after_site and not match.group(2):
            total += int(match.group(1))
        after_site = after_site or (match.group(3) == "site" and not match.group(2))
    return total / 1e6


def cases(python):
    """(name, argv, how to read the figures from what `run` returns) of every measured command."""

    def wall_rss(result):
        return {"wall (s)": result[0], "CPU (s)": result[4], "max RSS (MiB)": result[1]}

    def importtime(result):
        return {"import time (s)": import_time(result[3])}

    def replica(result):
        imported, built, _ = (float(x) for x in result[2].split())
        return {"import (s)": imported, "construction (s)": built}

    def replica_request(result):
        return {"construction + 1 fp request (s)": float(result[2].split()[2])}

    imports = ["import astroquery.simbad", "import astroquery_fink", "from astroquery_fink import Fink"]
    return [
        *((code, [python, "-c", code], wall_rss) for code in imports),
        *((f"-X importtime {code}", [python, "-X", "importtime", "-c", code], importtime) for code in imports),
        ("README main job", [python, "-m", "astroquery_fink", "fp", DEMO_OBJECT, "--replica"], wall_rss),
        ("FinkReplica()", [python, "-c", REPLICA_CHILD, "construct", DEMO_OBJECT], replica),
        ("FinkReplica() + request", [python, "-c", REPLICA_CHILD, "request", DEMO_OBJECT], replica_request),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=9, help="runs of every command (default 9)")
    parser.add_argument("--code", action="append", default=None,
                        help="source tree to put on PYTHONPATH (repeatable; default: this checkout)")
    parser.add_argument("--only", help="measure only the cases whose name contains this text")
    args = parser.parse_args()
    trees = [str(Path(tree).resolve()) for tree in (args.code or [Path(__file__).resolve().parents[1]])]
    todo = [case for case in cases(sys.executable) if not args.only or args.only in case[0]]
    figures = {}  # (tree, case) -> figure -> values
    with tempfile.TemporaryDirectory() as workdir:
        for _, argv, _ in todo:  # an uncounted round, which writes the trees' __pycache__
            for tree in trees:
                run(argv, tree, workdir)
        for round_ in range(args.repeat):
            for name, argv, read in todo:
                for tree in trees:
                    values = read(run(argv, tree, workdir))
                    for figure, value in values.items():
                        figures.setdefault((tree, name), {}).setdefault(figure, []).append(value)
            print(f"round {round_ + 1}/{args.repeat} done", file=sys.stderr, flush=True)
    print(f"medians of {args.repeat} interleaved runs, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for tree in trees:
        print(f"\n== {tree}")
        medians = {}
        for name, _, _ in todo:
            for figure, values in figures[(tree, name)].items():
                medians[(name, figure)] = statistics.median(values)
                spread = f"[{min(values):.3f} .. {max(values):.3f}]"
                print(f"  {name:48s} {figure:32s} {medians[(name, figure)]:8.3f}  {spread}")
        yardsticks = {"import astroquery_fink": "import astroquery.simbad",
                      "from astroquery_fink import Fink": "import astroquery.simbad",
                      "-X importtime import astroquery_fink": "-X importtime import astroquery.simbad",
                      "-X importtime from astroquery_fink import Fink": "-X importtime import astroquery.simbad"}
        for figure in ("wall (s)", "CPU (s)", "max RSS (MiB)", "import time (s)"):
            for fink, simbad in yardsticks.items():
                if (fink, figure) in medians and (simbad, figure) in medians:
                    ratio = medians[(fink, figure)] / medians[(simbad, figure)]
                    print(f"  ratio {fink!r} / {simbad!r}, {figure}: {ratio:.2f}")


if __name__ == "__main__":
    main()
