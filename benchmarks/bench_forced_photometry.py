"""Time ``Fink.query_forced_photometry`` against the seed-style code on the replica's largest object.

Run from the repository root (needs the ``replica`` extra)::

    python benchmarks/bench_forced_photometry.py [--repeat 9] [--server-limit]

The real server returns at most 10 000 rows per object and request (its per-scan limit); the
replica lifts that limit here by default so that the whole 20 000+-row light curve is timed.

Two comparisons, each run in interleaved rounds (client, seed-style, client, seed-style, ...) and
reported as the round-by-round ratio client / seed-style, median [min-max]:

* end to end: ``FinkClass.query_forced_photometry(id)`` against
  ``requests.post(...)`` + ``astropy.io.votable.parse(...).get_first_table().to_table()``,
  both over HTTP from the same replica, so the server's own time is in both;
* decoding only: the client's decoder against ``parse(...).to_table()`` on the same bytes,
  which isolates what the client adds (names, dtypes, masks, units, descriptions).
"""
import argparse
import io
import warnings

import requests
from astropy.io import votable
from interleave import interleaved, ratio, spread

from astroquery_fink import FinkClass
from astroquery_fink.annotate import annotate, complete_columns
from astroquery_fink.columns import column_kinds
from astroquery_fink.decode import decode_table
from astroquery_fink.testing import BIG_FP_OBJECT_ID, FinkReplica

BIG_OBJECT = BIG_FP_OBJECT_ID


def seed_style(url):
    """What users copy from the Fink docs today, with VOTable instead of JSON."""
    response = requests.post(f"{url}/api/v1/fp", json={"diaObjectId": str(BIG_OBJECT), "output-format": "votable"},
                             timeout=300)
    response.raise_for_status()
    return votable.parse(io.BytesIO(response.content)).get_first_table().to_table()


def client_decode(content):
    """The client's whole post-request path, without the HTTP."""
    table = decode_table(content, "votable", column_kinds("fp"), content_type="text/xml")
    table, _ = complete_columns(table, "fp", None)
    return annotate(table, "fp")


def astropy_decode(content):
    return votable.parse(io.BytesIO(content)).get_first_table().to_table()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--server-limit", action="store_true",
                        help="keep the server's 10 000-rows-per-scan limit (default: lifted, to time 20 000+ rows)")
    args = parser.parse_args()
    # astropy's reader may warn on the baseline path, and the client warns that the object
    # reached the server's row limit when --server-limit is given; neither is timed here
    warnings.simplefilter("ignore")
    with FinkReplica(nlimit=10_000 if args.server_limit else None) as url:
        fink = FinkClass(server=url, timeout=300)
        table = fink.query_forced_photometry(BIG_OBJECT)  # warm-up: replica data, imports, sockets
        baseline = seed_style(url)
        assert len(table) == len(baseline) >= (10_000 if args.server_limit else 20_000), (len(table), len(baseline))
        content = requests.post(f"{url}/api/v1/fp", json={"diaObjectId": str(BIG_OBJECT),
                                                          "output-format": "votable"}, timeout=300).content

        end_to_end = interleaved({"client": lambda: fink.query_forced_photometry(BIG_OBJECT),
                                  "seed": lambda: seed_style(url)}, args.repeat)
        decoding = interleaved({"client": lambda: client_decode(content), "seed": lambda: astropy_decode(content)},
                               args.repeat)

    print(f"object {BIG_OBJECT}: {len(table)} rows x {len(table.colnames)} columns, "
          f"VOTable answer {len(content) / 1e6:.1f} MB, {args.repeat} interleaved rounds, median [min-max]")
    print("| path | client (s) | seed-style (s) | client / seed |")
    print("|---|---|---|---|")
    for path, times in (("end to end over HTTP", end_to_end), ("decoding only", decoding)):
        print(f"| {path} | {spread(times['client'])} | {spread(times['seed'])} | "
              f"{ratio(times['client'], times['seed'], 3)} |")


if __name__ == "__main__":
    main()
