"""The ``fink-query`` command: Fink/LSST queries from the shell, printed or written as tables with units."""
import argparse
import gzip
import io
import json
import logging
import math
import os
import re
import sys
import tempfile
import warnings
from collections import namedtuple
from contextlib import contextmanager, nullcontext
from pathlib import Path

import requests
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord
from astropy.io import registry
from astropy.io.votable.exceptions import W03
from astropy.table import Table
from astroquery import log
from astroquery.exceptions import InvalidQueryError, NoResultsWarning, RemoteServiceError, TableParseError
from astroquery.exceptions import TimeoutError as AstroqueryTimeoutError

from . import FinkClass, __version__, conf
from .batch import BatchInterrupted
from .cutouts import KERNELS, STRETCHES
from .exceptions import IncompleteResultError
from .payload import OUTPUT_FORMATS, RESOLVERS, SCHEMA_ENDPOINTS

__all__ = ["main", "EXIT_OK", "EXIT_SERVER", "EXIT_USAGE", "EXIT_PARTIAL", "EXIT_INTERRUPTED", "MAX_IDS",
           "MAX_IDS_BYTES"]

PROG = "fink-query"
EXIT_OK = 0  # done, including an answer without data
EXIT_SERVER = 1  # the server failed or could not be reached: trying again later may work
EXIT_USAGE = 2  # the command cannot be run as given: fix it (argparse uses 2 as well)
EXIT_PARTIAL = 3  # some requests of a batch failed: the rows obtained are written, the failed ids named
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it; a batch writes the rows it has
EXIT_BROKEN_PIPE = 141  # what a shell reports for a program stopped by SIGPIPE (e.g. `| head`)

EXIT_STATUS_HELP = f"""\
exit status:
  {EXIT_OK}  success, also when the server has no data (a note on stderr)
  {EXIT_SERVER}  the server failed, timed out or could not be reached: try again later
  {EXIT_USAGE}  bad command line or input: usage error, an id or value the client refuses,
     an output file that exists (use --overwrite) or cannot be written
  {EXIT_PARTIAL}  partial result: some requests of a batch failed; the rows obtained are
     written and the failed ids named (see --failed-ids)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C): the rows fetched so far are written, the ids
     without rows named (see --failed-ids)"""

_ID_TEXT = re.compile(r"[0-9]+")
#: Most ids read from --ids-file or stdin, and most bytes read there (checked before any request).
MAX_IDS = 1_000_000
MAX_IDS_BYTES = 32 * 2**20
_ID_SEPARATORS = re.compile(r"[\s,]+")
# Formats whose bytes would garble a terminal: refused on stdout unless it is redirected.
_BINARY_FORMATS = ("fits", "parquet", "parquet.votable", "votable.parquet", "hdf5", "asdf")
# Extensions astropy does not identify when writing (it sniffs VOTables from their content).
_EXTENSION_FORMATS = {".xml": "votable", ".vot": "votable", ".votable": "votable", ".ipac": "ascii.ipac",
                      ".tbl": "ascii.ipac"}


class UsageError(Exception):
    """The command cannot be run as given (exit status 2); the message says why."""


# --- messages ----------------------------------------------------------------------------------

def _one_line(text):
    return " ".join(str(text).split())


def _say(message, kind=None):
    """Print ``fink-query: [kind: ]message`` on stderr, on one line."""
    label = f"{kind}: " if kind else ""
    print(f"{PROG}: {label}{_one_line(message)}", file=sys.stderr, flush=True)


@contextmanager
def _warnings_reported(quiet):
    """
    Turn the warnings raised inside the block into one stderr line each, even if the block fails.

    ``NoResultsWarning`` is a note (silenced by ``--quiet``); anything else is a warning and is
    always shown.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # astropy names every VOTable FIELD whose name has a colon (all Fink columns): not news
        warnings.filterwarnings("ignore", category=W03)
        try:
            yield
        finally:
            lines = dict.fromkeys(
                ("note" if issubclass(item.category, NoResultsWarning) else "warning", _one_line(item.message))
                for item in caught
            )
            for kind, text in lines:
                if kind == "warning" or not quiet:
                    _say(text, kind)


class _NoteHandler(logging.Handler):
    """Astroquery's log records as ``fink-query: note: ...`` lines on stderr (astropy prints INFO on stdout)."""

    def emit(self, record):
        _say(record.getMessage(), "note" if record.levelno < logging.WARNING else "warning")


@contextmanager
def _log_reported(quiet):
    """Route astroquery's log (the client's notes, such as a CSV fallback) to stderr while the block runs."""
    saved = log.handlers[:], log.propagate
    handler = _NoteHandler(logging.WARNING if quiet else logging.INFO)
    log.handlers[:] = [handler]
    log.propagate = False  # stdout carries the table only
    try:
        yield
    finally:
        log.handlers[:], log.propagate = saved


# --- argument types ----------------------------------------------------------------------------

def _server_url(text):
    if not re.match(r"^https?://[^/\s]+", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text.strip()


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (value > 0 and math.isfinite(value)):  # inf and nan are no time limit
        raise argparse.ArgumentTypeError(f"{text.strip()!r} is not a positive finite number")
    return value


def _retries(text):
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text.strip()!r} is not an integer >= 0")
    return int(text)


def _radius(text):
    """A cone radius: an astropy angle string (``10arcsec``, ``0.5deg``), or a bare number of arcsec."""
    try:
        return float(text)  # the client reads a bare number as arcsec, like query_region
    except ValueError:
        pass
    try:
        return u.Quantity(text.strip())  # the client refuses what is not an angle, such as 10m (metres)
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"{text.strip()!r} is not an angle such as 10arcsec or 0.5deg") from error


def _time(text):
    """A time for the client: a number is an MJD (TAI), anything else an ISO date (UTC)."""
    try:
        return float(text)
    except ValueError:
        return text.strip()


# --- the queries: (client, arguments) -> Table, or bytes for an image ---------------------------

def _wire(args):
    """The options every table query takes: --columns and --transport."""
    return {"columns": args.columns, "output_format": args.transport}


def _fp(client, args):
    return client.query_forced_photometry(args.id_list, **_wire(args), verbose=not args.quiet)


def _sources(client, args):
    return client.query_sources(args.id_list, midpoint_mjd_tai=args.time, **_wire(args), verbose=not args.quiet)


def _object(client, args):
    return client.query_object(args.id_list, **_wire(args), verbose=not args.quiet)


def _schema(client, args):
    return client.get_schema(args.endpoint)


def _cone(client, args):
    return client.query_region(_position(args.ra, args.dec), args.radius, n=args.n, start_time=args.start,
                               stop_time=args.stop, window=args.window, **_wire(args))


def _tags(client, args):
    if args.tag is None:
        return client.list_tags()
    return client.query_tags(args.tag, n=args.n, start_time=args.start, stop_time=args.stop, **_wire(args))


def _sso(client, args):
    return client.query_sso(args.names, with_ephemerides=args.ephemerides, **_wire(args))


def _resolve(client, args):
    return client.resolve(args.name, resolver=args.resolver, reverse=args.reverse, nmax=args.nmax)


def _stats(client, args):
    return client.query_statistics(args.date, **_wire(args))


def _cutout(client, args):
    image = client.get_cutouts(args.dia_source_id, kind=args.kind, output_format=args.image_format,
                               stretch=args.stretch, colormap=args.colormap, convolution_kernel=args.kernel)
    if args.image_format == "PNG":
        return image
    if not len(image):  # no such diaSourceId: the client has already warned
        return b""
    buffer = io.BytesIO()
    # the alert stamps are bare image extensions: 'silentfix' puts the primary HDU FITS files start with
    image.writeto(buffer, output_verify="silentfix")
    return buffer.getvalue()


def _position(ra, dec):
    """A SkyCoord from RA and Dec texts: decimal degrees, or sexagesimal (RA in hours unless it has units)."""
    ra, dec = ra.strip(), dec.strip()
    ra_unit = u.hourangle if re.search(r"[:\s]", ra) else u.deg
    try:
        return SkyCoord(Angle(ra, unit=ra_unit), Angle(dec, unit=u.deg), frame="icrs")
    except (ValueError, TypeError, u.UnitsError) as error:
        raise InvalidQueryError(f"could not read the position RA={ra!r} DEC={dec!r}: {error}") from error


# --- the parser: one row of _COMMAND_TABLE per sub-command -------------------------------------

class _HelpFormatter(argparse.HelpFormatter):
    """Wrap one-paragraph descriptions to the terminal; keep the examples and exit codes as laid out."""

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


# A sub-command: its handler, (client, args) -> Table or bytes for an image, and its help; ``shared`` names
# groups of _SHARED_OPTIONS, ``options`` are its own arguments, made by _arg.
_Command = namedtuple("_Command", "name handler summary description examples shared options", defaults=((), ()))


def _arg(*flags, group=None, **settings):
    """An argument: argparse's flags and settings, listed in the help under ``group`` if given."""
    return group, flags, settings


def _window(what):
    return (_arg("--start", type=_time, metavar="TIME",
                 help=f"{what}: an ISO date (UTC) such as 2026-03-01, or an MJD (TAI)"),
            _arg("--stop", type=_time, metavar="TIME", help="see --start"))


_SHARED_OPTIONS = {
    "ids": (
        _arg("ids", nargs="*", metavar="ID", help="diaObjectIds; or --ids-file, or one per line on stdin"),
        _arg("--ids-file", metavar="FILE", group="ids",
             help=f"read the ids from FILE (UTF-8, one a line; blank lines and # comments ignored; - for stdin); "
                  f"at most {MAX_IDS:,} ids and {MAX_IDS_BYTES // 2**20} MiB"),
        _arg("--failed-ids", metavar="FILE", group="ids",
             help="if some requests fail (or Ctrl-C stops the batch), write the ids without rows to FILE (one "
                  "a line, for --ids-file); an existing FILE is only replaced with --overwrite"),
    ),
    "query": (
        _arg("--columns", metavar="A,B,C", group="query",
             help="only these columns, comma-separated, with their family prefix (e.g. r:midpointMjdTai,r:band,"
                  "r:psfFlux); see 'fink-query schema'. The columns that order the rows (object id, time) are "
                  "added where the command sorts on them"),
        _arg("--transport", default="votable", metavar="FORMAT", group="query",
             help=f"format on the wire, one of {', '.join(OUTPUT_FORMATS)}; the table is the same for all "
                  "(default: votable, sent again in csv if the server fails to write it; parquet is fastest for "
                  "large answers)"),
    ),
    "output": (
        _arg("-o", "--output", metavar="FILE", group="output",
             help="write the table to FILE, in the --format or the one its extension names (.ecsv, .csv, .fits, "
                  ".parquet, .xml/.vot for VOTable, .ipac, ...)"),
        _arg("-f", "--format", dest="table_format", metavar="FORMAT", group="output",
             help="any format astropy's Table.write can write: ecsv (keeps units and types), csv, votable, fits, "
                  "parquet, ascii.ipac, ascii.fixed_width, ...; without -o, the table goes to stdout in this "
                  "format (default: an aligned table)"),
        _arg("--overwrite", action="store_true", group="output",
             help="replace FILE (and --failed-ids FILE) if it exists"),
        _arg("--max-lines", type=int, default=-1, metavar="N", group="output",
             help="aligned table only: at most N lines (default: all rows)"),
        _arg("--max-width", type=int, metavar="N", group="output",
             help="aligned table only: at most N characters a line (default: the terminal's width, unlimited "
                  "when stdout is not a terminal)"),
    ),
    "server": (
        _arg("--server", type=_server_url, metavar="URL", group="server",
             help=f"base URL of the Fink API (default: {conf.server})"),
        _arg("--replica", action="store_true", group="server",
             help="start the embedded replica of the API on loopback and query it (offline; needs the 'replica' "
                  "extra)"),
        _arg("--timeout", type=_positive_float, metavar="SECONDS", group="server",
             help=f"time limit of one HTTP request (default: {conf.timeout:g})"),
        _arg("--retries", type=_retries, metavar="N", group="server",
             help=f"further attempts after a transient failure, 0 for none (default: {conf.max_retries})"),
        _arg("-q", "--quiet", action="store_true", group="server",
             help="no progress bar and no notes on stderr (warnings and errors still show)"),
    ),
}
_TABLE_QUERY = ("query", "output", "server")

_COMMAND_TABLE = (
    _Command(
        "fp", _fp, "forced photometry of diaObjects (/api/v1/fp)",
        "Forced photometry of one or several diaObjects, one row per diaForcedSource, newest first.",
        ("fink-query fp 313761043604045880",
         "fink-query fp 313761043604045880 314003014107006318 -o lc.ecsv",
         "fink-query fp --ids-file ids.txt --transport parquet -o lc.parquet --failed-ids failed.txt"),
        shared=("ids", *_TABLE_QUERY)),
    _Command(
        "sources", _sources, "alert light curves of diaObjects (/api/v1/sources)",
        "The alerts (diaSources) of one or several diaObjects, newest first.",
        ("fink-query sources 313761043604045880 --columns r:midpointMjdTai,r:band,r:psfFlux,r:psfFluxErr",
         "fink-query sources 314003014107006318 --time 61176.9896294959"),
        shared=("ids", *_TABLE_QUERY),
        options=(_arg("--time", metavar="MJD", help="only the source(s) at this MJD (TAI), matched as a prefix: "
                                                     "61176 is a whole day; one id only"),)),
    _Command(
        "object", _object, "summary rows of diaObjects (/api/v1/objects)",
        "The diaObject summary row of one or several objects, in the order of the ids.",
        ("fink-query object 313761043604045880 --columns r:ra,r:dec,r:nDiaSources",
         "fink-query object --ids-file ids.txt -o objects.fits"),
        shared=("ids", *_TABLE_QUERY)),
    _Command(
        "schema", _schema, "the columns an endpoint returns (/api/v1/schema)",
        "One row per column of an endpoint: name, family, type, nullable, unit, description.",
        ("fink-query schema fp", "fink-query schema sources --format csv > sources_columns.csv"),
        shared=("output", "server"),
        options=(_arg("endpoint", metavar="ENDPOINT", help=f"one of {', '.join(SCHEMA_ENDPOINTS)}"),)),
    _Command(
        "cone", _cone, "objects around a position (/api/v1/conesearch)",
        "The objects Fink saw within a radius of a position (ICRS): the latest alert of each, with "
        "v:separation_degree, nearest first.",
        ("fink-query cone 53.2514 -27.861 --radius 10arcsec",
         "fink-query cone 03:33:00.3 -27:51:39.6 --radius 0.5arcmin --start 2026-03-01 -o cone.ecsv",
         "fink-query cone 3h33m00.3s -27d51m39.6s --radius 5      # a bare radius is in arcsec"),
        shared=_TABLE_QUERY,
        options=(
            _arg("ra", metavar="RA", help="right ascension: degrees (53.2514), or hours as 03:33:00.3 or 3h33m0.3s"),
            _arg("dec", metavar="DEC", help="declination: degrees (-27.861), or -27:51:39.6 or -27d51m39.6s"),
            _arg("--radius", type=_radius, required=True, metavar="ANGLE",
                 help="search radius, e.g. 10arcsec, 0.5arcmin, 0.1deg; a bare number is in arcsec (at most 5 deg)"),
            *_window("objects first detected at or after START and last detected at or before STOP"),
            _arg("--window", type=float, metavar="DAYS",
                 help="with --start: keep objects last detected within DAYS of START"),
            _arg("--n", type=int, metavar="N",
                 help="rows the server reads per HEALPix pixel of the cone (server default: 1000)"))),
    _Command(
        "tags", _tags, "the latest alerts with a tag, or the list of tags (/api/v1/tags)",
        "The latest alerts Fink selected with TAG, newest first; without TAG, the list of tags and whether the "
        "API can query them.",
        ("fink-query tags", "fink-query tags in_tns --n 100 --columns r:diaObjectId,f:xm_tns_fullname"),
        shared=_TABLE_QUERY,
        options=(_arg("tag", nargs="?", metavar="TAG", help="a tag the API can query, e.g. in_tns"),
                 _arg("--n", type=int, metavar="N", help="number of alerts (server default: 10)"),
                 *_window("alerts between START and STOP"))),
    _Command(
        "sso", _sso, "alerts of Solar System objects (/api/v1/sso)",
        "The alerts of Solar System objects, newest first, by name, number or designation.",
        ("fink-query sso '2015 BC557' --columns r:midpointMjdTai,r:band,r:psfFlux",
         "fink-query sso 8467 --ephemerides -o 8467.ecsv"),
        shared=_TABLE_QUERY,
        options=(_arg("names", nargs="+", metavar="NAME", help="names, numbers or designations (quote spaces)"),
                 _arg("--ephemerides", action="store_true", help="add the Miriade ephemerides at each alert"))),
    _Command(
        "resolve", _resolve, "names <-> Rubin ids (/api/v1/resolver)",
        "Translate a TNS, SIMBAD or Solar System name to Rubin ids, or (--reverse) an id to names.",
        ("fink-query resolve 'SN 2022and'", "fink-query resolve 313761043604045880 --reverse"),
        shared=("output", "server"),
        options=(_arg("name", metavar="NAME", help="a name, or with --reverse a diaObjectId (an ssObjectId for "
                                                   "ssodnet)"),
                 _arg("--resolver", default="tns", metavar="NAME",
                      help=f"the name service: {', '.join(RESOLVERS)} (default: tns)"),
                 _arg("--reverse", action="store_true", help="resolve a Rubin id to names"),
                 _arg("--nmax", type=int, metavar="N", help="at most N rows (tns; server default: 10)"))),
    _Command(
        "stats", _stats, "per-night counters of the alert stream (/api/v1/statistics)",
        "Fink's counters of the Rubin alert stream, one row per night, oldest first.",
        ("fink-query stats 20251102", "fink-query stats 2025 --columns f:alerts,f:objects -o 2025.csv"),
        shared=_TABLE_QUERY,
        options=(_arg("date", nargs="?", default="", metavar="DATE",
                      help="YYYY, YYYYMM or YYYYMMDD (a prefix of the night); every night by default"),)),
    _Command(
        "cutout", _cutout, "image stamp of an alert, FITS or PNG (/api/v1/cutouts)",
        "The Science, Template or Difference stamp of an alert, as FITS or as a rendered PNG.",
        ("fink-query cutout 170424319673368579 -o stamp.fits",
         "fink-query cutout 170424319673368579 --kind Difference -o diff.png --stretch asinh"),
        shared=("server",),
        options=(
            _arg("dia_source_id", metavar="DIASOURCEID", help="the diaSourceId of the alert"),
            _arg("--kind", default="Science", group="image",
                 help="which stamp: Science, Template or Difference (default: Science)"),
            # FITS or PNG only: the command writes the one or the other
            _arg("-f", "--format", dest="image_format", type=str.upper, choices=("FITS", "PNG"), group="image",
                 help="FITS or PNG (default: PNG for a .png FILE, else FITS)"),
            _arg("-o", "--output", metavar="FILE", group="image",
                 help="write the image to FILE (else to redirected stdout)"),
            _arg("--overwrite", action="store_true", group="image", help="replace FILE if it exists"),
            _arg("--stretch", metavar="NAME", group="image",
                 help=f"PNG: intensity stretch, one of {', '.join(STRETCHES)} (server default: sigmoid)"),
            _arg("--colormap", metavar="NAME", group="image",
                 help="PNG: a matplotlib colormap (default: grey levels)"),
            _arg("--kernel", metavar="NAME", group="image",
                 help=f"PNG: smooth with a one-pixel kernel first: {', '.join(KERNELS)}"))),
)
COMMANDS = tuple(command.name for command in _COMMAND_TABLE)


def _epilog(*examples):
    lines = "\n".join(f"  {example}" for example in examples)
    return f"examples:\n{lines}\n\n{EXIT_STATUS_HELP}"


def _add_arguments(parser, arguments):
    groups = {}
    for group, flags, settings in arguments:
        if group is not None and group not in groups:
            groups[group] = parser.add_argument_group(group)
        groups.get(group, parser).add_argument(*flags, **settings)


def build_parser():
    """The ``fink-query`` argument parser, built from ``_COMMAND_TABLE``: one sub-command per kind of query."""
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=_HelpFormatter,
        description="Query the Rubin/LSST alert data of the Fink broker (https://fink-broker.org); results are "
                    "astropy tables with units, printed aligned or written in any astropy format.",
        epilog=_epilog(
            "fink-query fp 313761043604045880                   # forced photometry, aligned on stdout",
            "fink-query fp 313761043604045880 -o lc.ecsv        # ... to a file, with units and exact ids",
            "fink-query sources --ids-file ids.txt --columns r:midpointMjdTai,r:band,r:psfFlux -o lc.parquet",
            "cat ids.txt | fink-query object --format csv > objects.csv",
            "fink-query cone 53.2514 -27.861 --radius 10arcsec",
            "fink-query schema fp",
            "fink-query fp 313761043604045880 --replica         # offline, against the embedded replica",
        ) + "\n\nRun 'fink-query COMMAND --help' for the options of a command.")
    parser.add_argument("--version", action="version", version=f"{PROG} (astroquery_fink {__version__})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in _COMMAND_TABLE:
        sub = commands.add_parser(command.name, help=command.summary, description=command.description,
                                  epilog=_epilog(*command.examples), formatter_class=_HelpFormatter)
        sub.set_defaults(handler=command.handler)
        shared = (argument for name in command.shared for argument in _SHARED_OPTIONS[name])
        _add_arguments(sub, (*command.options, *shared))
    return parser


# --- ids ---------------------------------------------------------------------------------------

def _ids_in(lines, source):
    """The ids of a text, one or several a line, skipping blank lines and # comments; checked line by line."""
    ids = []
    for number, line in enumerate(lines, start=1):
        for token in _ID_SEPARATORS.split(line.split("#", 1)[0].strip()):
            if not token:
                continue
            if not _ID_TEXT.fullmatch(token):
                raise UsageError(f"{source}, line {number}: {token!r} is not a diaObjectId (digits only)")
            ids.append(token)
    return ids


def _read_bounded(stream, source):
    """The text of an ids file or of stdin: at most `MAX_IDS_BYTES` bytes, UTF-8 (a BOM is allowed)."""
    reader = getattr(stream, "buffer", stream) if isinstance(stream, io.TextIOBase) else stream
    binary = not isinstance(reader, io.TextIOBase)  # a text stream without bytes below stands for stdin in tests
    parts, size = [], 0
    while size <= MAX_IDS_BYTES:
        block = reader.read(min(1 << 20, MAX_IDS_BYTES + 1 - size))
        if not block:
            break
        parts.append(block)
        size += len(block)
    if size > MAX_IDS_BYTES:
        raise UsageError(f"{source} is larger than {MAX_IDS_BYTES // 2**20} MiB: split it (at most {MAX_IDS:,} ids "
                         "per command)")
    data = (b"" if binary else "").join(parts)
    if not binary:
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UsageError(f"{source}, line {line}: not UTF-8 text (byte {data[error.start]:#04x} at offset "
                         f"{error.start}); the ids file holds one diaObjectId a line") from None


def _ids_of_stream(stream, source):
    ids = _ids_in(io.StringIO(_read_bounded(stream, source), newline=None), source)
    if len(ids) > MAX_IDS:
        raise UsageError(f"{source} holds {len(ids):,} ids, more than {MAX_IDS:,}: split it")
    return ids


def _read_ids_file(name):
    if name == "-":
        return _ids_of_stream(sys.stdin, "stdin")
    try:
        with open(name, "rb") as handle:
            return _ids_of_stream(handle, name)
    except OSError as error:
        raise UsageError(f"cannot read the ids file: {error}") from error


def _collect_ids(args):
    """The ids of the arguments and of --ids-file, else of stdin when it is not a terminal."""
    ids = list(args.ids)
    if args.ids_file is not None:
        ids += _read_ids_file(args.ids_file)
    elif not ids and sys.stdin is not None and not sys.stdin.isatty():
        ids = _ids_of_stream(sys.stdin, "stdin")
    if not ids:
        raise UsageError("no diaObjectId given: put them on the command line, in --ids-file FILE, or on stdin")
    return ids


# --- output ------------------------------------------------------------------------------------

def _writable_formats():
    """The formats Table.write knows, and those of them to advertise (not astropy's deprecated aliases)."""
    formats = registry.get_formats(Table, "Write")
    writable = formats[formats["Write"] == "Yes"]
    return set(writable["Format"]), sorted(writable["Format"][writable["Deprecated"] != "Yes"])


def _table_format(name, path):
    """The astropy format to write: ``--format`` (checked), else guessed from FILE; None for the aligned print."""
    writable, advertised = _writable_formats()
    if name:
        text = name.strip().lower()
        # 'csv', 'ecsv', ... are astropy's short (deprecated) aliases of the ascii.* formats
        text = f"ascii.{text}" if f"ascii.{text}" in writable else text
        if text not in writable:
            raise UsageError(f"astropy cannot write the format {name!r}; choose one of {', '.join(advertised)}")
        return text
    if path is None:
        return None
    guesses = registry.identify_format("write", Table, str(path), None, [], {})
    if len(guesses) == 1:
        return guesses[0]
    suffix = Path(path).suffix.lower()
    if suffix in _EXTENSION_FORMATS:
        return _EXTENSION_FORMATS[suffix]
    raise UsageError(f"cannot tell the format of {path} from its extension; give --format (e.g. ecsv, csv, fits, "
                     "votable, parquet)")


def _writable(table, fmt):
    """A copy of ``table`` that ``fmt`` can hold: what some formats refuse is turned into text."""
    table = table.copy(copy_data=False)
    for name in table.colnames:
        if table[name].dtype.kind == "O":  # the Unit objects of a schema table
            table[name] = table[name].astype(str)
    if fmt == "fits":
        # a FITS header holds scalars only: keep the query (a dict) as JSON text rather than drop it
        table.meta = {key: json.dumps(value) if isinstance(value, (dict, list)) else value
                      for key, value in table.meta.items()}
    elif fmt == "ascii.ipac":
        # IPAC allows letters, digits and _ in names, and keywords in a form of its own
        table.rename_columns(table.colnames, [name.replace(":", "_") for name in table.colnames])
        table.meta = {"keywords": {key: {"value": json.dumps(value) if isinstance(value, (dict, list)) else value}
                                   for key, value in table.meta.items()}}
    return table


# FITS keeps a meta key longer than 8 characters ("transport") as a HIERARCH card, after a warning that only says so
_HIERARCH_WARNING = "Keyword name .* is greater than 8 characters"
# Formats astropy writes to a named file only, not to a stream
_PATH_ONLY_FORMATS = ("parquet", "parquet.votable", "votable.parquet", "hdf5")


def _check_output_path(path, overwrite):
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a directory")
    if path.exists() and not overwrite:
        raise UsageError(f"{path} exists; use --overwrite to replace it")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: the directory {path.parent} does not exist")


def _prepare_image_output(args):
    if args.image_format is None:
        args.image_format = "PNG" if str(args.output or "").lower().endswith(".png") else "FITS"
    if args.output is None and sys.stdout.isatty():
        raise UsageError("an image would garble the terminal: give -o FILE or redirect stdout")


def _prepare_output(args):
    """Check the output choices before any request, and settle the table format."""
    if args.output == "-":  # the usual spelling of stdout
        args.output = None
    if args.output is not None:
        _check_output_path(args.output, args.overwrite)
    if args.handler is _cutout:
        return _prepare_image_output(args)
    args.resolved_format = _table_format(args.table_format, args.output)
    if args.output is None and args.resolved_format in _BINARY_FORMATS and sys.stdout.isatty():
        raise UsageError(f"the {args.resolved_format} format is binary: give -o FILE or redirect stdout")


def _print_aligned(table, args):
    if not table.colnames:
        return
    width = args.max_width if args.max_width is not None else (None if sys.stdout.isatty() else -1)
    lines = table.pformat(max_lines=args.max_lines, max_width=width)
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _write_to_stdout(table, fmt):
    sys.stdout.flush()
    if fmt not in _BINARY_FORMATS:
        table.write(sys.stdout, format=fmt)
        sys.stdout.flush()
        return
    if fmt in _PATH_ONLY_FORMATS:  # astropy's parquet and HDF5 writers take a file name, not a stream or buffer
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "table"
            table.write(path, format=fmt)
            sys.stdout.buffer.write(path.read_bytes())
    else:
        table.write(sys.stdout.buffer, format=fmt)
    sys.stdout.buffer.flush()


def _write_to_file(table, fmt, path, overwrite):
    existed = Path(path).exists()
    try:
        table.write(path, format=fmt, overwrite=overwrite)
    except BaseException:  # a second Ctrl-C too
        if not existed:  # no half-written file left behind
            Path(path).unlink(missing_ok=True)
        raise


def _emit_table(table, args):
    fmt = args.resolved_format
    if fmt is None:
        return _print_aligned(table, args)
    table = _writable(table, fmt)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_HIERARCH_WARNING)
            if args.output is None:
                _write_to_stdout(table, fmt)
            else:
                _write_to_file(table, fmt, args.output, args.overwrite)
    except OSError:
        raise  # a full disk, a closed pipe...: main() reports them
    except Exception as error:  # a package the format needs is missing, a column it cannot hold...
        raise UsageError(f"cannot write the {fmt} format: {type(error).__name__}: {error}") from error
    if args.output is not None and not args.quiet:
        _say(f"{len(table)} rows written to {args.output} ({fmt})")


def _emit_image(data, args):
    if not data:
        if args.output is not None and not args.quiet:
            _say(f"nothing written to {args.output}", "note")
        return
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    if args.output.endswith(".gz"):  # as astropy does for tables
        data = gzip.compress(data)
    Path(args.output).write_bytes(data)
    if not args.quiet:
        _say(f"{args.image_format} image of {len(data)} bytes written to {args.output}")


# --- running -----------------------------------------------------------------------------------

@contextmanager
def _client(args):
    """A client for --server, conf.server or the embedded replica, with --timeout and --retries applied."""
    if args.replica:
        try:
            from .testing import FinkReplica  # imported here: the replica needs the optional 'replica' extra
        except ImportError as error:
            raise UsageError(f"--replica needs the replica's packages: pip install 'astroquery-fink[replica]' "
                             f"({error})") from error
        where = FinkReplica()
        # its crashes are answered as HTTP 500, as the server's are; their tracebacks are not the user's business
        where.app.logger.disabled = True
    else:
        where = nullcontext(args.server)
    retries = conf.set_temp("max_retries", args.retries) if args.retries is not None else nullcontext()
    with where as server, retries:
        if args.replica and not args.quiet:
            _say(f"querying the embedded replica at {server} (test data, not the live service)")
        yield FinkClass(server=server, timeout=args.timeout)


def _check_failed_ids_path(args):
    """Refuse, before any request, a --failed-ids FILE that exists (or is a symlink) without --overwrite."""
    name = getattr(args, "failed_ids", None)
    if not name:
        return
    path = Path(name)
    if path.is_dir():
        raise UsageError(f"--failed-ids {path} is a directory")
    if os.path.lexists(path) and not args.overwrite:
        what = "is a symbolic link" if path.is_symlink() else "exists"
        raise UsageError(f"--failed-ids {path} {what}; use --overwrite to replace it")
    if not path.absolute().parent.is_dir():
        raise UsageError(f"cannot write --failed-ids {path}: the directory {path.parent} does not exist")


def _write_failed_ids(name, ids, overwrite):
    """Write ``ids`` one a line; without ``overwrite`` never replace a file nor follow a symlink."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL | getattr(os, "O_NOFOLLOW", 0))
    descriptor = os.open(name, flags, 0o666)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("".join(f"{identifier}\n" for identifier in ids))


def _list_ids(ids, args, what):
    """Put ``ids`` in --failed-ids FILE when given, else say how to get them; True when they were written."""
    failed_ids_file = getattr(args, "failed_ids", None)
    if failed_ids_file:
        try:
            _write_failed_ids(failed_ids_file, ids, args.overwrite)
        except OSError as write_error:  # the rows obtained still get written
            _say(f"cannot write the {what} ids: {write_error}", "error")
            return False
        _say(f"the {len(ids)} {what} ids are in {failed_ids_file}: retry with --ids-file {failed_ids_file}", "error")
        return True
    if len(ids) > 10:
        _say("--failed-ids FILE lists them all", "error")
    return False


def _report_partial(error, args):
    """Say which ids failed (and list them in --failed-ids FILE); the partial table is written as usual."""
    _say(error, "error")
    _list_ids(error.failed_ids, args, "failed")


def _report_interrupted(interrupted, args):
    """Ctrl-C during a batch: say what is written, and list the ids without rows in --failed-ids FILE."""
    missing = interrupted.unfetched_ids
    asked = len(args.id_list)
    shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
    _say(f"interrupted: the rows of {asked - len(missing)} of {asked} ids are written (a partial result); "
         f"{len(missing)} ids have no rows: {shown}", "note")
    _list_ids(missing, args, "unfetched")


def _run(args):
    """Run a parsed command; return the exit status."""
    if args.replica and args.server:
        raise UsageError("--server and --replica exclude each other")
    if hasattr(args, "ids"):
        args.id_list = _collect_ids(args)
        _check_failed_ids_path(args)
    _prepare_output(args)
    status = EXIT_OK
    try:
        with _warnings_reported(args.quiet), _log_reported(args.quiet), _client(args) as client:
            result = args.handler(client, args)
    except IncompleteResultError as error:
        _report_partial(error, args)
        result, status = error.table, EXIT_PARTIAL
    except BatchInterrupted as interrupted:
        if interrupted.table is None:
            raise
        _report_interrupted(interrupted, args)
        result, status = interrupted.table, EXIT_INTERRUPTED
    except (RemoteServiceError, AstroqueryTimeoutError, TableParseError) as error:
        _say(error, "error")
        return EXIT_SERVER
    except requests.RequestException as error:  # what the client does not map to astroquery's exceptions
        _say(f"the request to {args.server or conf.server} failed: {error}", "error")
        return EXIT_SERVER
    with _warnings_reported(args.quiet):
        if isinstance(result, bytes):
            _emit_image(result, args)
        else:
            _emit_table(result, args)
    return status


# argparse before Python 3.13 takes "-27:51:39.6" for an option, as it is not a plain negative
# number; no fink-query option starts with a digit, so a leading space keeps such values positional.
def _protect_negative_values(argv):
    return [f" {token}" if re.match(r"-[0-9.]", token) else token for token in argv]


def _with_default_command(argv):
    """``python -m astroquery_fink [--replica] ID...``, the first command line, means ``fp``."""
    if not any(token in COMMANDS for token in argv) and any(_ID_TEXT.fullmatch(token) for token in argv):
        return ["fp", *argv]
    return argv


def main(argv=None):
    """Run ``fink-query`` with ``argv`` (default: the command line); return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    argv = _protect_negative_values(_with_default_command(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors (status 2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        return _run(args)
    except (UsageError, InvalidQueryError) as error:
        _say(error, "error")
        return EXIT_USAGE
    except OSError as error:  # the output file could not be written
        if _is_broken_pipe(error):
            return _stdout_closed()
        _say(error, "error")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED


def _is_broken_pipe(error):
    """Whether ``error`` is, or was raised for, a closed stdout (astropy's FITS writer wraps it in an OSError)."""
    while error is not None:
        if isinstance(error, BrokenPipeError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _stdout_closed():
    """The reader of stdout left (``fink-query ... | head``): stop quietly, as other filters do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that Python's final flush does not complain
    except (OSError, ValueError):
        pass
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
