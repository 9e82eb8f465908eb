"""
Read time and peak memory per GB of `read_data_transfer` on Data Transfer downloads of 13 MB, 0.1 and 1 GB (issue #13).

Run from the repository root (needs the ``replica`` extra for the downloads, ``dask`` for ``--engine dask``)::

    python benchmarks/bench_data_transfer.py [--repeat 5] [--folder /tmp/fink-bench-transfer] [--engine dask]
    python benchmarks/bench_data_transfer.py --code /tmp/other-tree --engine dask   # another source tree

The downloads are written once by ``astroquery_fink.testing.write_data_transfer`` into
``--folder`` and reused by later runs (writing them is not measured; the 1 GB one took 20
minutes and 4.5 GB of memory here). Every alert of an object is written (``alerts_per_object=None``), so each
alert repeats the object's history, as a download of several nights does:

* ``real``: the replica's 8 hand-made objects (``REAL_OBJECT_IDS``), every alert, 100 alerts
  a file at most. One object has 20,480 forced points over 40 alerts: the history written is
  about 19 times the unique forced points.
* ``0.1GB`` and ``1GB``: synthetic objects (``FinkReplica(extra_objects=N,
  extra_fp_rows=1000)``, 1 to 5 detections and 1,000 forced points each, about the median
  history length of the real sample), written in chunks of ``CHUNK`` objects (one
  ``write_data_transfer`` call each, files renamed ``part-<chunk>-0-<n>.parquet`` so chunks do
  not overwrite each other, as successive fink-client processes name theirs). The 0.1 GB
  download is the first chunks of the 1 GB one (hard links).

Every measurement is a fresh Python process, started from ``/`` with ``--code`` (default: this
checkout) first on ``PYTHONPATH``: it imports what the read needs and notes its resident size
(``/proc/self/statm``); reads the download's smallest file once (the modules and caches a
first read loads are a fixed cost, not a cost per GB) and notes its resident size again; then
reads the download and reports the wall time of that read, its peak resident size
(``ru_maxrss``) above the size after the first read ("peak above start") and above the size
after imports, the peak of Arrow's memory pool, and the size of the result (rows; ``Table``
data and masks, Arrow ``nbytes``, or pandas ``memory_usage(deep=True)``). A read the engine
does not offer (``FinkInvalidQueryError``) is reported as such. The configurations run in
turn (interleaved), ``--repeat`` times; the script prints median [min-max] per configuration and
the figures per GB on disk. What is compared:

* ``read_data_transfer(path, kind=...)`` for ``sources``, ``fp``, ``lightcurve``, and
  ``sources`` with ``columns=["r:psfFlux"]`` (a result of three columns: its peak is the
  read's own overhead, whatever the download's size);
* ``engine="dask"`` (``.compute()``) of the same, with ``--engine dask``, when the reader has it,
  and one computation that needs no more than a small result: each object's largest
  ``r:psfFlux`` per band (``groupby(["r:diaObjectId", "r:band"])["r:psfFlux"].max()``);
* baselines: ``pyarrow.parquet.read_table(files, columns=[...], schema=<dumped schema>)`` of the
  nested columns as they are (no flattening, no de-duplication), and ``pandas.read_parquet`` of
  the topic folder, on the ``real`` download only (it makes Python objects of every nested row).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GB = 1e9  # per GB figures are per 10^9 bytes on disk
CHUNK = 250  # synthetic objects per write_data_transfer call (about 20 MB of files, 0.8 GB of memory to write)
FP_ROWS = 1000  # forced points per synthetic object
OBJECTS = 14_000  # synthetic objects made; the 1 GB download takes what it needs of them
TARGETS = {"0.1GB": 1.0e8, "1GB": 1.0e9}

# What runs in the child: argv = [download, config as JSON]; prints one JSON line.
CHILD = r"""
import json, resource, sys, time
import numpy as np
import pyarrow as pa, pyarrow.compute, pyarrow.dataset, pyarrow.parquet as pq
import astropy.units, astropy.table
from astroquery import log
import astroquery_fink
from astroquery_fink import read_data_transfer
import astroquery_fink.lightcurve, astroquery_fink.annotate, astroquery_fink.layout, astroquery_fink.order
path, config = sys.argv[1], json.loads(sys.argv[2])
if config["engine"] == "dask" or config["how"] == "pandas":
    import pandas as pd
if config["engine"] == "dask":
    import dask, dask.dataframe
log.setLevel("WARNING")  # the reader's INFO line is not what is measured

def rss_now():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20

def table_bytes(table):
    total = 0
    for column in table.itercols():
        # a Time column (the light curve's "time") holds two float64 arrays
        total += column.nbytes if hasattr(column, "nbytes") else column.jd1.nbytes + column.jd2.nbytes
        mask = getattr(column, "mask", None)
        if mask is not None and np.ndim(mask):
            total += np.asarray(mask).nbytes
    return total

from pathlib import Path
from astroquery_fink.exceptions import FinkInvalidQueryError

def read(path, files):
    if config["how"] == "reader":
        options = {"kind": config["kind"]}
        if config.get("columns"):
            options["columns"] = config["columns"]
        if config["engine"] == "dask":
            frame = read_data_transfer(path, engine="dask", **options)
            if config.get("reduce"):  # an out-of-core computation: each object's brightest flux per band
                return frame.groupby(["r:diaObjectId", "r:band"])["r:psfFlux"].max().compute().to_frame()
            return frame.compute()
        return read_data_transfer(path, **options)
    if config["how"] == "pyarrow":
        dump = next(Path(path if path.is_dir() else path.parent.parent).glob("arrow_schema_*.metadata"))
        return pq.read_table(files, columns=config["columns"], schema=pq.read_schema(dump))
    return pd.read_parquet(next(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else path)

path = Path(path)
files = sorted(path.rglob("*.parquet"))
start_rss = rss_now()
# a first read of the smallest file: the modules imported and caches filled on first use are
# a fixed cost, not a cost per GB
smallest = min(files, key=lambda f: f.stat().st_size)
try:
    read(smallest, [smallest])
except FinkInvalidQueryError as error:  # a read this engine does not offer
    print(json.dumps({"skipped": str(error)}))
    sys.exit(0)
warm_rss, warm_peak = rss_now(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
result = read(path, files)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if isinstance(result, astropy.table.Table):
    size, rows = table_bytes(result), len(result)
elif isinstance(result, pa.Table):
    size, rows = result.nbytes, result.num_rows
elif config["how"] == "pandas":  # the nested cells are Python dicts and lists, which memory_usage does not size
    size, rows = None, len(result)
else:  # a computed Dask DataFrame: flat columns
    size, rows = int(result.memory_usage(deep=True).sum()), len(result)
print(json.dumps({"wall": wall, "start_rss": start_rss, "warm_rss": warm_rss, "warm_peak": warm_peak,
                  "peak_rss": peak, "above": peak - warm_rss, "above_imports": peak - start_rss,
                  "arrow_peak": pa.default_memory_pool().max_memory() / 2**20, "rows": rows, "bytes": size,
                  "duplicates": getattr(result, "meta", {}).get("duplicates")}))
"""


def log(*words):
    print(*words, file=sys.stderr, flush=True)


# --- the downloads ------------------------------------------------------------------------------


def download_size(path):
    import pyarrow.parquet as pq

    files = sorted(p for p in Path(path).rglob("*.parquet"))
    return {"bytes": sum(f.stat().st_size for f in files), "files": len(files),
            "alerts": sum(pq.ParquetFile(f).metadata.num_rows for f in files)}


def write_downloads(folder, names=("real", "0.1GB", "1GB")):
    """Write the downloads of ``names`` missing from ``folder``; return name -> (path, sizes).

    A ``sizes.json`` in a download's folder marks it complete.
    """
    from astroquery_fink.testing import FinkReplica, write_data_transfer
    from astroquery_fink.testing.data_transfer import DEFAULT_TOPIC

    folder.mkdir(parents=True, exist_ok=True)
    done = {}
    real = folder / "real"
    if not (real / "sizes.json").exists():
        log("writing the 'real' download")
        shutil.rmtree(real, ignore_errors=True)
        write_data_transfer(real, None, alerts_per_object=None, batchsize=100)
        (real / "sizes.json").write_text(json.dumps(download_size(real)))
    done["real"] = real
    big, small = folder / "1GB", folder / "0.1GB"
    if {"0.1GB", "1GB"}.isdisjoint(names):
        pass
    elif not (big / "sizes.json").exists() or not (small / "sizes.json").exists():
        shutil.rmtree(big, ignore_errors=True)
        shutil.rmtree(small, ignore_errors=True)
        log(f"making {OBJECTS} synthetic objects with {FP_ROWS} forced points each")
        dataset = FinkReplica(extra_objects=OBJECTS, extra_fp_rows=FP_ROWS).dataset
        ids = list(dataset.extra_object_ids)
        topic = DEFAULT_TOPIC
        (big / topic).mkdir(parents=True)
        (small / topic).mkdir(parents=True)
        written, chunk = 0, 0
        while written < TARGETS["1GB"]:
            if chunk * CHUNK >= len(ids):
                raise RuntimeError(f"{OBJECTS} objects give less than 1 GB: raise OBJECTS")
            scratch = folder / "chunk"
            shutil.rmtree(scratch, ignore_errors=True)
            files = write_data_transfer(scratch, ids[chunk * CHUNK:(chunk + 1) * CHUNK], dataset=dataset,
                                        alerts_per_object=None, batchsize=100, dump_schemas=chunk == 0)
            into_small = written < TARGETS["0.1GB"]
            if chunk == 0:
                for dump in scratch.glob("*_schema_*"):
                    shutil.copy(dump, small / dump.name)
                    shutil.move(dump, big / dump.name)
            for path in files:
                name = path.name.replace("part-1-0-", f"part-{chunk + 1}-0-")
                written += path.stat().st_size
                shutil.move(path, big / topic / name)
                if into_small:
                    os.link(big / topic / name, small / topic / name)
            log(f"chunk {chunk + 1}: {written / 1e6:.0f} MB")
            chunk += 1
        shutil.rmtree(folder / "chunk", ignore_errors=True)
        for path in (small, big):
            (path / "sizes.json").write_text(json.dumps(download_size(path)))
    done["0.1GB"], done["1GB"] = small, big
    return {name: (path, json.loads((path / "sizes.json").read_text())) for name, path in done.items()
            if name in names}


# --- the measurements ---------------------------------------------------------------------------


def configurations(engines, downloads):
    """(download, label, config) of every measurement."""
    reads = [("sources", None), ("fp", None), ("lightcurve", None), ("sources", ["r:psfFlux"])]
    todo = []
    for name in downloads:
        for engine in engines:
            for kind, columns in reads:
                label = f"{engine}: {kind}" + (f" columns={columns}" if columns else "")
                todo.append((name, label, {"how": "reader", "engine": engine, "kind": kind, "columns": columns}))
            if engine == "dask":
                todo.append((name, "dask: fp, groupby(diaObjectId, band) psfFlux max, computed",
                             {"how": "reader", "engine": engine, "kind": "fp", "columns": None, "reduce": True}))
        for columns in (["diaSource", "prvDiaSources"], ["diaSource", "prvDiaSources", "prvDiaForcedSources"]):
            todo.append((name, f"pyarrow read_table {columns}",
                         {"how": "pyarrow", "engine": "arrow", "columns": columns}))
        if name == "real":
            todo.append((name, "pandas read_parquet(topic folder)", {"how": "pandas", "engine": "pandas"}))
    return todo


def measure(path, config, pythonpath):
    env = dict(os.environ, PYTHONPATH=pythonpath)
    # run from a neutral folder: ``python -c`` puts the working directory first on sys.path
    answer = subprocess.run([sys.executable, "-c", CHILD, str(path), json.dumps(config)], env=env, cwd="/",
                            capture_output=True, text=True, timeout=3600)
    if answer.returncode != 0:
        raise RuntimeError(f"{config} on {path} failed:\n{answer.stderr[-3000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def has_dask_engine(pythonpath):
    """True when this checkout's read_data_transfer takes engine="dask" and dask is installed."""
    code = ("import inspect, dask; from astroquery_fink import read_data_transfer; "
            "print('engine' in inspect.signature(read_data_transfer).parameters)")
    answer = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=pythonpath), cwd="/",
                            capture_output=True, text=True)
    return answer.returncode == 0 and answer.stdout.strip() == "True"


def spread(values, fmt):
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of every configuration (default 5)")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/fink-bench-transfer"),
                        help="where the downloads are written once and kept (default /tmp/fink-bench-transfer)")
    parser.add_argument("--engine", action="append", choices=["dask"], default=[],
                        help="also measure engine='dask' (.compute()); skipped if the reader has no engine")
    parser.add_argument("--only", help="measure only the downloads whose name is this (real, 0.1GB, 1GB)")
    parser.add_argument("--match", help="measure only the configurations whose label contains this text")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="source tree measured (put first on PYTHONPATH; default: this checkout)")
    parser.add_argument("--json", type=Path, help="also write every run's figures to this file")
    args = parser.parse_args()
    pythonpath = str(args.code.resolve())  # the code measured, in this process (the writer) and in the children
    sys.path.insert(0, pythonpath)
    downloads = write_downloads(args.folder, [args.only] if args.only else ["real", "0.1GB", "1GB"])
    engines = ["in-memory"]
    if "dask" in args.engine:
        if has_dask_engine(pythonpath):
            engines.append("dask")
        else:
            log("engine='dask' skipped: this read_data_transfer has no engine parameter (or dask is missing)")
    names = list(downloads)
    todo = [case for case in configurations(engines, names) if not args.match or args.match in case[1]]
    runs = {}  # (download, label) -> list of figures
    for round_ in range(args.repeat):
        for name, label, config in todo:
            runs.setdefault((name, label), []).append(measure(downloads[name][0], config, pythonpath))
        log(f"round {round_ + 1}/{args.repeat} done")
    if args.json:
        args.json.write_text(json.dumps({f"{name} | {label}": figures for (name, label), figures in runs.items()}))
    print(f"median [min-max] of {args.repeat} interleaved runs, each in a fresh process; {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}")
    for name in names:
        path, sizes = downloads[name]
        gb = sizes["bytes"] / GB
        print(f"\n== {name}: {path}: {sizes['bytes']:,} B in {sizes['files']} files, {sizes['alerts']:,} alerts")
        print("| read | rows | result (MB) | read time (s) | s per GB | peak RSS above start (MB) | peak MB per GB "
              "| peak above imports (MB) | Arrow pool peak (MB) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for (where, label), figures in runs.items():
            if where != name:
                continue
            if "skipped" in figures[0]:
                print(f"| {label} | not offered: {figures[0]['skipped']} |||||||")
                continue
            values = {key: [f[key] for f in figures] for key in figures[0]}
            size = "" if figures[0]["bytes"] is None else f"{figures[0]['bytes'] / 2**20:.1f}"
            rows = f"{figures[0]['rows']:,}"
            if figures[0].get("duplicates"):  # the history rows read and dropped as copies
                rows += f" (+{figures[0]['duplicates']:,} copies dropped)"
            print(f"| {label} | {rows} | {size} "
                  f"| {spread(values['wall'], '{:.2f}')} | {statistics.median(values['wall']) / gb:.1f} "
                  f"| {spread(values['above'], '{:.0f}')} | {statistics.median(values['above']) / gb:.0f} "
                  f"| {spread(values['above_imports'], '{:.0f}')} | {spread(values['arrow_peak'], '{:.0f}')} |")
        for (where, label), figures in runs.items():
            if where == name and "skipped" not in figures[0]:
                values = {key: [f[key] for f in figures] for key in figures[0]}
                print(f"  {label}: RSS after imports {statistics.median(values['start_rss']):.0f} MB, "
                      f"after the warm-up read {statistics.median(values['warm_rss']):.0f} MB "
                      f"(its peak {statistics.median(values['warm_peak']):.0f} MB)")


if __name__ == "__main__":
    main()
