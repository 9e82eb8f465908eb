"""Fetch the forced photometry of Rubin diaObjects from the command line: ``python -m astroquery_fink``."""
import argparse
import sys
from contextlib import nullcontext

from astroquery.exceptions import InvalidQueryError, RemoteServiceError, TableParseError
from astroquery.exceptions import TimeoutError as AstroqueryTimeoutError

from . import FinkClass, conf
from .payload import OUTPUT_FORMATS


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m astroquery_fink",
        description="Fetch the forced photometry of Rubin diaObjects from the Fink broker as a table with units.",
    )
    parser.add_argument("dia_object_id", nargs="+", help="one or more diaObjectIds")
    parser.add_argument("--server", default=None, help=f"base URL of the Fink API (default {conf.server})")
    parser.add_argument("--replica", action="store_true",
                        help="query the embedded replica of the API on loopback (no network needed)")
    parser.add_argument("--transport", choices=OUTPUT_FORMATS, default="votable",
                        help="format on the wire (the table is the same for all)")
    parser.add_argument("-o", "--output", help="write the table to this file (format from its extension)")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.replica:
        from .testing import FinkReplica  # the replica needs the [replica] extra
        context = FinkReplica()
    else:
        context = nullcontext(args.server)
    try:
        with context as server:
            table = FinkClass(server=server).query_forced_photometry(args.dia_object_id,
                                                                     output_format=args.transport)
    except (InvalidQueryError, RemoteServiceError, TableParseError, AstroqueryTimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output:
        table.write(args.output, overwrite=True)
        print(f"{len(table)} rows written to {args.output}")
    else:
        table.pprint(max_lines=20, max_width=200)
    return 0


if __name__ == "__main__":
    sys.exit(main())
