"""
Offline replica of the Fink/LSST REST API
=========================================

`FinkReplica` serves a faithful stand-in of ``https://api.lsst.fink-portal.org`` on
loopback: same routes, argument handling, error bodies, content types and
serialization (json, csv, votable, parquet) as the real server, over a small
deterministic LSST-shaped dataset. Use it to test code that talks to Fink without
network access, or to run a pipeline offline. Starting one is instant: each table of the
dataset is generated when a request first reads it (`FinkReplica.preload` builds them all).

Served: the 12 routes of the LSST app, ``/api/v1/sources``, ``/objects``, ``/fp``,
``/conesearch``, ``/cutouts``, ``/schema``, ``/sso``, ``/resolver``, ``/skymap``,
``/statistics``, ``/tags`` and ``/blocks``. Services the server calls (quaero, Miriade,
CDS Sesame, GraceDB, the cutout service) are emulated in process: no network access.

Examples
--------
>>> import requests
>>> from astroquery_fink.testing import FinkReplica, REAL_OBJECT_IDS
>>> with FinkReplica() as url:
...     r = requests.get(f"{url}/api/v1/sources",
...                      params={"diaObjectId": "314003014107006318",
...                              "columns": "r:midpointMjdTai,r:band,r:psfFlux"})
>>> r.headers["Content-Type"]
'application/json'
>>> sorted(r.json()[0])
['r:band', 'r:midpointMjdTai', 'r:psfFlux']

Point the client at it with ``astroquery_fink.conf.server = url``. For pytest, enable
the fixtures ``fink_replica``, ``fink_replica_server`` and ``fink_replica_pandas2`` with::

    pytest_plugins = ["astroquery_fink.testing.pytest_plugin"]

To test how code copes with an unreliable service, `FinkReplica.inject` makes the replica
answer with front-end errors (429, 502, 503, 504 with ``Retry-After``), crashes (500), slow,
truncated, malformed or reset answers, per endpoint and per diaObjectId, and
`FinkReplica.requests` logs what was asked. For benchmarks, ``extra_objects`` adds thousands
of synthetic objects (ids from `extra_object_ids`), and ``python -m astroquery_fink.testing``
serves the replica in a process of its own. `write_data_transfer` writes the replica's objects
as a Fink Data Transfer download (Parquet files of whole alerts).
"""

__all__ = [
    "FinkReplica",
    "create_app",
    "Dataset",
    "generate_dataset",
    "add_extra_objects",
    "extra_object_ids",
    "FAULTS",
    "REAL_OBJECT_IDS",
    "BIG_FP_OBJECT_ID",
    "KNOWN_SOURCE",
    "SPEC_SOURCE_IDS",
    "write_data_transfer",
]

# Each name is imported from its module on first access (PEP 562): importing this package, or
# its pytest plugin, loads neither pandas, pyarrow nor Flask until a replica or its data is asked for.
_HOMES = {
    "FinkReplica": "server",
    "create_app": "server",
    "Dataset": "dataset",
    "generate_dataset": "dataset",
    "REAL_OBJECT_IDS": "dataset",
    "BIG_FP_OBJECT_ID": "dataset",
    "KNOWN_SOURCE": "dataset",
    "SPEC_SOURCE_IDS": "dataset",
    "add_extra_objects": "extra",
    "extra_object_ids": "extra",
    "FAULTS": "faults",
    "write_data_transfer": "data_transfer",
}


def __getattr__(name):
    if name in _HOMES:
        import importlib

        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value  # the next access is a plain module attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOMES))
