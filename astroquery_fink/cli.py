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


def _skymap(client, args):
    return client.query_skymap(event_name=args.event, skymap=args.map, credible_level=args.level,
                               output_format=args.transport)


def _blocks(client, args):
    return client.list_blocks()


def _cutout(client, args):
    if args.kind == "All":
        return _all_stamps(client, args)
    image = client.get_cutouts(args.id_list[0], kind=args.kind, output_format=args.image_format,
                               stretch=args.stretch, colormap=args.colormap, convolution_kernel=args.kernel)
    if args.image_format == "PNG":
        return image
    if not len(image):  # no such diaSourceId: the client has already warned
        return b""
    buffer = io.BytesIO()
    # the alert stamps are bare image extensions: 'silentfix' puts the primary HDU FITS files start with
    image.writeto(buffer, output_verify="silentfix")
    return buffer.getvalue()


def _all_stamps(client, args):
    """
    The three stamps of ``--kind All`` as one FITS file: an empty primary HDU, then SCIENCE, TEMPLATE, DIFFERENCE.

    The server gives the three together only as pixel arrays (it refuses ``kind=All`` in FITS or PNG), so
    these extensions carry the pixels without the alert's WCS; ask one kind at a time for the FITS stamps.
    """
    from astropy.io import fits  # only this command writes FITS images itself

    stamps = client.get_cutouts(args.id_list[0], kind="All", output_format="array")
    if not any(pixels.size for pixels in stamps.values()):  # no such diaSourceId: the client has already warned
        return b""
    primary = fits.PrimaryHDU()
    primary.header["DIASRCID"] = (int(args.id_list[0]), "diaSourceId of the alert")
    primary.header["COMMENT"] = "Fink cutouts of kind All: pixels only, no WCS (ask one kind for the FITS stamp)"
    hdus = [primary] + [fits.ImageHDU(pixels, name=kind.upper()) for kind, pixels in stamps.items()]
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
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
# groups of _SHARED_OPTIONS (described once, in the main help), ``options`` are its own arguments, made by
# _arg; ``ids`` is the kind of id its ID arguments are ("diaObjectId", which takes names too, or
# "diaSourceId"), None for a command without ids.
_Command = namedtuple("_Command", "name handler summary description examples shared options ids",
                      defaults=((), (), None))


def _arg(*flags, group=None, **settings):
    """An argument: argparse's flags and settings, listed in the help under ``group`` if given."""
    return group, flags, settings


def _window(what):
    return (_arg("--start", type=_time, metavar="TIME",
                 help=f"{what}: an ISO date (UTC) such as 2026-03-01, or an MJD (TAI)"),
            _arg("--stop", type=_time, metavar="TIME", help="see --start"))


_IDS_HELP = f"""\
The ids of fp, sources and object (diaObjectIds, or names such as 'SN 2026bqe', quoted) and the
diaSourceId of cutout come from the arguments (a '-' among them reads stdin there), from
--ids-file FILE, or, when the command line names none, from stdin if it is not a terminal.
What is read is either plain text, ids separated by blanks or commas (or a name a line; # starts
a comment), or a table astropy reads from text (ECSV, CSV with a header, VOTable, fink-query's
own screen output) with an r:diaObjectId or diaObjectId column (r:diaSourceId or diaSourceId for
cutout), so that commands chain:
  fink-query cone 53.2514 -27.861 --radius 10arcsec -f csv | fink-query fp -f ecsv > fp.ecsv
With ids on the command line, stdin is not read: data already waiting there (a file, or a pipe
with data) is an error, and an open pipe still empty is noted and left alone.
At most {MAX_IDS:,} ids and {MAX_IDS_BYTES // 2**20} MiB are read from a file or stdin."""

# Groups of options several commands take: (title, description), then the options.
_SHARED_GROUPS = {
    "ids": ("ids: fp, sources, object, cutout", _IDS_HELP),
    "batch": ("batches: fp, sources, object", None),
    "query": ("query: the table commands", None),
    "output": ("output: every command but cutout", None),
    "server": ("server: every command", None),
}
_SHARED_OPTIONS = {
    "ids": (
        _arg("--ids-file", metavar="FILE", group="ids",
             help="read the ids from FILE (UTF-8 text or a table, as above; - for stdin)"),
    ),
    "batch": (
        _arg("--failed-ids", metavar="FILE", group="batch",
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
                  "parquet, ascii.ipac, ascii.fixed_width, ...; without -o, the whole table goes to stdout in "
                  "this format (default: the screen view below)"),
        _arg("--overwrite", action="store_true", group="output",
             help="replace FILE (and --failed-ids FILE) if it exists"),
        _arg("--all-columns", action="store_true", group="output",
             help="screen view: every column (by default, the leading columns that fit the width: a title "
                  "line, the table with its units, and the row count)"),
        _arg("--max-lines", type=int, default=-1, metavar="N", group="output",
             help="screen view: at most N lines (default: all rows)"),
        _arg("--max-width", type=int, metavar="N", group="output",
             help="screen view: the width to fit, 0 for no limit (default: $COLUMNS, else the terminal's, else "
                  "100)"),
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
_ID_QUERY = ("ids", "batch", *_TABLE_QUERY)
# The positional ids, by kind of id: the one argument of the shared groups a command's help shows
_ID_ARGUMENTS = {
    "diaObjectId": _arg("ids", nargs="*", metavar="ID",
                        help="diaObjectIds or object names (quote a name with spaces); - reads stdin; see "
                             "'fink-query --help' for --ids-file and tables on stdin"),
    "diaSourceId": _arg("ids", nargs="*", metavar="DIASOURCEID",
                        help="the diaSourceId of the alert (one); - reads stdin; see 'fink-query --help' for "
                             "--ids-file and tables on stdin"),
}

_COMMAND_TABLE = (
    _Command(
        "fp", _fp, "forced photometry of diaObjects (/api/v1/fp)",
        "Forced photometry of one or several diaObjects, one row per diaForcedSource, newest first.",
        ("fink-query fp 313761043604045880",
         "fink-query fp 313761043604045880 314003014107006318 -o lc.ecsv",
         "fink-query fp --ids-file ids.txt --transport parquet -o lc.parquet --failed-ids failed.txt",
         "fink-query cone 53.2514 -27.861 --radius 10arcsec -f csv | fink-query fp -f ecsv > fp.ecsv"),
        shared=_ID_QUERY, ids="diaObjectId"),
    _Command(
        "sources", _sources, "alert light curves of diaObjects (/api/v1/sources)",
        "The alerts (diaSources) of one or several diaObjects, newest first.",
        ("fink-query sources 313761043604045880 --columns r:midpointMjdTai,r:band,r:psfFlux,r:psfFluxErr",
         "fink-query sources 314003014107006318 --time 61176.9896294959"),
        shared=_ID_QUERY, ids="diaObjectId",
        options=(_arg("--time", metavar="MJD", help="only the source(s) at this MJD (TAI), matched as a prefix: "
                                                     "61176 is a whole day; one id only"),)),
    _Command(
        "object", _object, "summary rows of diaObjects (/api/v1/objects)",
        "The diaObject summary row of one or several objects, in the order of the ids.",
        ("fink-query object 313761043604045880 --columns r:ra,r:dec,r:nDiaSources",
         "fink-query object --ids-file ids.txt -o objects.fits"),
        shared=_ID_QUERY, ids="diaObjectId"),
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
        "skymap", _skymap, "objects in the credible region of a gravitational-wave event (/api/v1/skymap)",
        "The objects Fink saw inside the credible region of a GW event's sky map, from the GraceDB superevent "
        "name (the server downloads its bayestar map) or from a bayestar FITS map of your own (--map).",
        ("fink-query skymap S251112cm --level 0.9",
         "fink-query skymap --map bayestar.fits.gz --level 0.5 -o gw.ecsv"),
        shared=("output", "server"),  # the whole rows: the endpoint takes no column list
        options=(_arg("event", nargs="?", metavar="EVENT", help="a GraceDB superevent name, e.g. S251112cm"),
                 _arg("--transport", default="votable", metavar="FORMAT",
                      help=f"format on the wire, one of {', '.join(OUTPUT_FORMATS)} (default: votable)"),
                 _arg("--map", metavar="FILE", help="or a bayestar sky map: a FITS file, gzipped or not"),
                 _arg("--level", "--credible-level", type=float, required=True, metavar="LEVEL",
                      help="keep the sky within this credible level, in (0, 1], e.g. 0.9"))),
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
        "blocks", _blocks, "the building blocks of Fink filters (/api/v1/blocks)",
        "The blocks Fink's filters are built from, with what each one selects.",
        ("fink-query blocks", "fink-query blocks -f csv > blocks.csv"),
        shared=("output", "server")),
    _Command(
        "cutout", _cutout, "image stamps of an alert, FITS or PNG (/api/v1/cutouts)",
        "The Science, Template or Difference stamp of an alert, as FITS or as a rendered PNG; --kind All "
        "writes the three stamps' pixels as the extensions of one FITS file (SCIENCE, TEMPLATE, DIFFERENCE).",
        ("fink-query cutout 170424319673368579 -o stamp.fits",
         "fink-query cutout 170424319673368579 --kind Difference -o diff.png --stretch asinh",
         "fink-query cutout 170424319673368579 --kind All -o stamps.fits"),
        shared=("ids", "server"), ids="diaSourceId",
        options=(
            _arg("--kind", default="Science", group="image",
                 help="which stamp: Science, Template, Difference, or All three (FITS only, pixels without WCS) "
                      "(default: Science)"),
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
_COMMANDS_BY_NAME = {command.name: command for command in _COMMAND_TABLE}


def _examples(*examples):
    lines = "\n".join(f"  {example}" for example in examples)
    return f"examples:\n{lines}"


def _add_arguments(parser, arguments, hidden=False):
    """Add ``arguments`` to ``parser``, in their groups; ``hidden`` ones are accepted but left out of the help."""
    groups = {}
    for group, flags, settings in arguments:
        if hidden:
            parser.add_argument(*flags, **{**settings, "help": argparse.SUPPRESS})
            continue
        if group is not None and group not in groups:
            title, description = _SHARED_GROUPS.get(group, (group, None))
            groups[group] = parser.add_argument_group(title, description)
        groups.get(group, parser).add_argument(*flags, **settings)


def _shared_options_help():
    """The help of the shared options, once for all commands: the groups of a parser made for the purpose."""
    holder = argparse.ArgumentParser(prog=PROG, usage=argparse.SUPPRESS, add_help=False,
                                     formatter_class=_HelpFormatter)
    _add_arguments(holder, (argument for options in _SHARED_OPTIONS.values() for argument in options))
    return "shared options, before or after the command (each command's help says which it takes):\n\n" + \
        holder.format_help().strip("\n")


def _pointer_to_main_help(command):
    """The one line of a command's help about the shared options it takes."""
    if not command.shared:
        return ""
    names = [_SHARED_GROUPS[name][0].split(":")[0] for name in command.shared]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"\n\nIt also takes the shared {listed} options: see 'fink-query --help'."


def build_parser():
    """The ``fink-query`` argument parser, built from ``_COMMAND_TABLE``: one sub-command per kind of query."""
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=_HelpFormatter,
        description="Query the Rubin/LSST alert data of the Fink broker (https://fink-broker.org); results are "
                    "astropy tables with units, shown on screen or written in any astropy format.",
        epilog="\n\n".join((
            _shared_options_help(),
            _examples(
                "fink-query fp 313761043604045880                   # forced photometry, on screen",
                "fink-query fp 313761043604045880 -o lc.ecsv        # ... to a file, with units and exact ids",
                "fink-query sources --ids-file ids.txt --columns r:midpointMjdTai,r:band,r:psfFlux -o lc.parquet",
                "cat ids.txt | fink-query object --format csv > objects.csv",
                "fink-query cone 53.2514 -27.861 --radius 10arcsec -f csv | fink-query fp -f ecsv > fp.ecsv",
                "fink-query schema fp",
                "fink-query fp 313761043604045880 --replica         # offline, against the embedded replica",
            ),
            EXIT_STATUS_HELP,
            "Run 'fink-query COMMAND --help' for the arguments of a command.")))
    parser.add_argument("--version", action="version", version=f"{PROG} (astroquery_fink {__version__})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in _COMMAND_TABLE:
        sub = commands.add_parser(command.name, help=command.summary, description=command.description,
                                  epilog=_examples(*command.examples) + _pointer_to_main_help(command),
                                  formatter_class=_HelpFormatter)
        sub.set_defaults(handler=command.handler, id_kind=command.ids)
        own = (*([_ID_ARGUMENTS[command.ids]] if command.ids else ()), *command.options)
        _add_arguments(sub, own)
        _add_arguments(sub, (argument for name in command.shared for argument in _SHARED_OPTIONS[name]),
                       hidden=True)
    return parser


# --- ids: from the arguments, --ids-file and stdin; plain text or a table --------------------------------------

# The columns a table read for ids may name them in, by kind of id (IPAC and VOTable IDs spell the colon _)
_ID_COLUMNS = {"diaObjectId": ("r:diaObjectId", "diaObjectId", "r_diaObjectId"),
               "diaSourceId": ("r:diaSourceId", "diaSourceId", "r_diaSourceId")}
# What separates the fields of a header line, to find an id column name among them
_HEADER_FIELDS = re.compile(r"[\s,;|\"']+")
# The rule under the header of fink-query's screen view (Table.pformat): runs of dashes
_RULE_LINE = re.compile(r" *-+( +-+)* *")


def _ids_in_lines(lines, source, kind):
    """
    The ids of plain text: ids separated by blanks or commas, several a line; # starts a comment.

    For diaObjectIds a line that is not all ids is one object name, passed on as it is (the client
    resolves it or says why not); a comma or a tab in such a line means a table without an id column.
    """
    ids = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        tokens = [token for token in _ID_SEPARATORS.split(text) if token]
        if all(_ID_TEXT.fullmatch(token) for token in tokens):
            ids += tokens
        elif kind == "diaObjectId" and not re.search(r"[,\t]", text):
            ids.append(text)
        else:
            columns = " or ".join(_ID_COLUMNS[kind][:2])
            bad = text if kind == "diaObjectId" else next(t for t in tokens if not _ID_TEXT.fullmatch(t))
            raise UsageError(f"{source}, line {number}: {bad!r} is not a {kind} (digits only; a table needs a "
                             f"{columns} column)")
    return ids


def _header_index(lines, kind):
    """The index of the first line naming an id column among its fields, else None (plain text)."""
    names = set(_ID_COLUMNS[kind])
    for index, line in enumerate(lines):
        if not line.lstrip().startswith("#") and names & set(_HEADER_FIELDS.split(line)):
            return index
    return None


def _ids_of_column(table, source, kind):
    """The ids of a table's id column, as exact decimal text (never through a float)."""
    name = next((name for name in _ID_COLUMNS[kind] if name in table.colnames), None)
    if name is None:
        shown = ", ".join(table.colnames[:8]) + (", ..." if len(table.colnames) > 8 else "")
        raise UsageError(f"{source}: the table has no {' or '.join(_ID_COLUMNS[kind][:2])} column (its columns: "
                         f"{shown})")
    column = table[name]
    if column.dtype.kind == "f":
        raise UsageError(f"{source}: the {name} column holds floating-point numbers, which do not keep the "
                         f"digits of 64-bit ids: write it as integers or text (fink-query's -f csv or ecsv do)")
    mask = getattr(column, "mask", None)
    ids = []
    for row, value in enumerate(column.data if mask is None else column.data.data, start=1):
        text = str(value).strip()
        if (mask is not None and mask[row - 1]) or not _ID_TEXT.fullmatch(text):
            shown = "no value" if mask is not None and mask[row - 1] else repr(text)
            raise UsageError(f"{source}: row {row} of the {name} column has {shown}, not a {kind}")
        ids.append(text)
    return ids


def _ids_of_screen(lines, header, source, kind):
    """
    The ids of fink-query's screen view: the id column under its name, between the rule's dashes.

    Rows end at a blank line (before the row count); a row of "..." means rows were left out.
    """
    rule = next(index for index in range(header + 1, min(header + 3, len(lines)))
                if _RULE_LINE.fullmatch(lines[index]))
    spans = [match.span() for match in re.finditer(r"-+", lines[rule])]
    start, end = next((span for span in spans if lines[header][span[0]:span[1]].strip() in _ID_COLUMNS[kind]),
                      (None, None))
    if start is None:
        raise UsageError(f"{source}: the screen view has no {_ID_COLUMNS[kind][0]} column")
    ids = []
    for number, line in enumerate(lines[rule + 1:], start=rule + 2):
        cell = line[start:end].strip()
        if not line.strip():
            break
        if cell == "...":
            raise UsageError(f"{source}, line {number}: rows were left out of this screen view (--max-lines): "
                             "chain commands with -f csv or -f ecsv")
        if not _ID_TEXT.fullmatch(cell):
            raise UsageError(f"{source}, line {number}: {cell!r} is not a {kind}")
        ids.append(cell)
    return ids


def _read_table(text, source, kind):
    """A table astropy reads from ``text``, with the id columns read as text where astropy would guess a type."""
    from astropy.io import ascii as astropy_ascii  # only for tables read from text

    stripped = text.lstrip()
    try:
        if stripped.startswith("<"):  # XML: a VOTable
            from astropy.io.votable import parse_single_table

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", W03)  # every Fink FIELD name has a colon
                return parse_single_table(io.BytesIO(text.encode("utf-8"))).to_table(use_names_over_ids=True)
        if stripped.startswith("# %ECSV"):  # typed by its header: int64 ids stay int64
            return Table.read(text, format="ascii.ecsv")
        converters = {name: [astropy_ascii.convert_numpy(str)] for name in _ID_COLUMNS[kind]}
        try:
            return Table.read(text, format="ascii", converters=converters)
        except Exception:  # a format that types its columns itself (IPAC's "long"): ids stay exact there
            return Table.read(text, format="ascii")
    except Exception as error:  # astropy's readers raise many kinds of errors for what they cannot read
        # (the first line of astropy's message: its guesses list would fill the screen)
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise UsageError(f"{source}: astropy cannot read it as a table ({reason}); ids are read from plain text, "
                         "ECSV, CSV, VOTable or another text format astropy reads") from error


def _ids_of_text(text, source, kind):
    """The ids of an ids file or of stdin: plain text, a table, or fink-query's screen view."""
    lines = text.splitlines()
    stripped = text.lstrip()
    if stripped.startswith("<") or stripped.startswith("# %ECSV"):
        return _ids_of_column(_read_table(text, source, kind), source, kind)
    header = _header_index(lines, kind)
    if header is None:
        if any(_RULE_LINE.fullmatch(line) for line in lines):  # an aligned table, cut before its id column
            raise UsageError(f"{source}: the table read does not show the {_ID_COLUMNS[kind][0]} column (a screen "
                             "view cut to the width?): chain commands with -f csv or -f ecsv")
        return _ids_in_lines(lines, source, kind)
    if any(_RULE_LINE.fullmatch(line) for line in lines[header + 1:header + 3]):
        return _ids_of_screen(lines, header, source, kind)
    return _ids_of_column(_read_table("\n".join(lines[header:]), source, kind), source, kind)


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
                         f"{error.start}); ids are read from text: ids, names or a table in a text format") from None


def _ids_of_stream(stream, source, kind):
    ids = _ids_of_text(_read_bounded(stream, source), source, kind)
    if len(ids) > MAX_IDS:
        raise UsageError(f"{source} holds {len(ids):,} ids, more than {MAX_IDS:,}: split it")
    return ids


def _read_ids_file(name, kind):
    if name == "-":
        return _ids_of_stream(sys.stdin, "stdin", kind)
    try:
        with open(name, "rb") as handle:
            return _ids_of_stream(handle, name, kind)
    except OSError as error:
        raise UsageError(f"cannot read the ids file: {error}") from error


def _stdin_kind():
    """"none" (no stdin, or one that cannot be read: pytest's while it captures output), "terminal", or "stream"."""
    stream = sys.stdin
    try:
        if stream is None or stream.closed or not stream.readable():
            return "none"
        return "terminal" if stream.isatty() else "stream"
    except (OSError, ValueError):
        return "none"


def _stdin_state():
    """
    What stdin holds, found without waiting: "none", "terminal", "data", "empty" or "open".

    "none": no stdin, or one that cannot be read (pytest's, while it captures output); "terminal":
    never read; a regular file (``< ids.txt``) holds "data" if bytes are left, else it is "empty";
    a pipe, socket or device is polled with a zero timeout: readable with a byte is "data", readable
    at end of file is "empty" (/dev/null, ``echo -n |``), not readable yet is "open" (a producer that
    has not written, or a pipe nobody will write to, as some CI runners leave). An in-memory stream
    (tests) holds "data" if it has characters left.
    """
    stream, kind = sys.stdin, _stdin_kind()
    if kind != "stream":
        return kind
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):  # io.UnsupportedOperation is both: a stream without a file descriptor
        if not stream.seekable():
            return "none"
        position = stream.tell()
        state = "data" if stream.read(1) else "empty"
        stream.seek(position)
        return state
    import select
    import stat

    status = os.fstat(descriptor)
    if stat.S_ISREG(status.st_mode):
        return "data" if status.st_size > os.lseek(descriptor, 0, os.SEEK_CUR) else "empty"
    try:
        readable, _, _ = select.select([descriptor], [], [], 0)
    except (OSError, ValueError):  # select does not take pipes on Windows: nothing to say
        return "open"
    if not readable:
        return "open"
    # a byte is consumed: either stdin is refused as data, or it was at its end anyway
    return "data" if os.read(descriptor, 1) else "empty"


def _collect_ids(args):
    """
    The ids of the arguments (a ``-`` among them reads stdin there) and of --ids-file, else of stdin.

    Stdin is read (to its end, as ``cat`` would) only when named (``-``, ``--ids-file -``) or when the
    command line has no ids and stdin is not a terminal. With ids on the command line, data waiting on
    stdin is refused rather than ignored (see `_stdin_state`).
    """
    kind = args.id_kind
    named = args.ids.count("-") + (args.ids_file == "-")
    if named > 1:
        raise UsageError("stdin is named twice ('-' and --ids-file -): name it once")
    ids = []
    for token in args.ids:
        ids += _ids_of_stream(sys.stdin, "stdin", kind) if token == "-" else [token.strip()]
    if args.ids_file is not None:
        ids += _read_ids_file(args.ids_file, kind)
    if not args.ids and args.ids_file is None:
        if _stdin_kind() == "stream":  # read to its end, not polled: polling may take a byte
            ids = _ids_of_stream(sys.stdin, "stdin", kind)
    elif not named:
        state = _stdin_state()
        if state == "data":
            raise UsageError("ids are given on the command line and stdin holds data too: give the ids one way, or "
                             "add '-' to the ids to read stdin as well")
        if state == "open" and not args.quiet:
            _say("stdin is an open pipe without data yet: it is not read, the ids are those of the command line",
                 "note")
    if not ids:
        raise UsageError(f"no {kind} given: put them on the command line, in --ids-file FILE, or on stdin")
    ids = list(dict.fromkeys(ids))  # a table of sources names each object once per row
    if kind == "diaSourceId" and len(ids) != 1:
        raise UsageError(f"cutout takes one diaSourceId, got {len(ids)}: {', '.join(ids[:3])}"
                         f"{', ...' if len(ids) > 3 else ''}")
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


# Formats that store an astropy Time column as a time; the others (VOTable among them) refuse it or
# would write its text, so they get the time as a number of days with its format and scale in the description.
_TIME_FORMATS = ("ascii.ecsv", "fits", "parquet", "hdf5")


def _time_as_number(time):
    """A Time column as a masked column of its value (e.g. JD), in days, saying which format and scale."""
    import numpy as np
    from astropy.table import MaskedColumn

    value = time.value
    values = np.ma.MaskedArray(getattr(value, "unmasked", value), mask=np.asarray(time.mask, dtype=bool))
    description = f"{time.info.description or ''} ({time.format.upper()}, {time.scale.upper()})".strip()
    return MaskedColumn(values, unit=u.day, description=description, meta=time.info.meta)


def _writable(table, fmt):
    """A copy of ``table`` that ``fmt`` can hold: what some formats refuse is turned into text."""
    from astropy.time import Time

    table = table.copy(copy_data=False)
    for name in table.colnames:
        if isinstance(table[name], Time):  # the ephemerides' Date
            if fmt not in _TIME_FORMATS:
                table[name] = _time_as_number(table[name])
        elif table[name].dtype.kind == "O":  # the Unit objects of a schema table
            table[name] = table[name].astype(str)
    if fmt == "fits":
        # a FITS header holds scalars only: keep the query (a dict) as JSON text rather than drop it
        table.meta = {key: json.dumps(value) if isinstance(value, (dict, list)) else value
                      for key, value in table.meta.items()}
    elif fmt == "ascii.ipac":
        # IPAC allows letters, digits and _ in names, and keywords in a form of its own
        table.rename_columns(table.colnames, [re.sub(r"\W", "_", name) for name in table.colnames])
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
    if args.kind.strip().lower() == "all":  # the client takes kinds in any case, so does the command
        args.kind = "All"
    if args.kind == "All":  # the server gives the three stamps together as pixel arrays only: written as FITS
        if args.image_format == "PNG":
            raise UsageError("--kind All writes the three stamps as one FITS file; a PNG holds one: choose "
                             "--kind Science, Template or Difference")
        if any(value is not None for value in (args.stretch, args.colormap, args.kernel)):
            raise UsageError("--stretch, --colormap and --kernel render a PNG: they do not apply to --kind All")
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


# What each command's title line says it queried, after the command's summary
_SUBJECTS = {
    "schema": lambda args: args.endpoint,
    "cone": lambda args: f"RA {args.ra.strip()}, Dec {args.dec.strip()}, radius "
                         f"{args.radius if isinstance(args.radius, u.Quantity) else f'{args.radius:g} arcsec'}",
    "tags": lambda args: args.tag or "",
    "sso": lambda args: ", ".join(args.names),
    "skymap": lambda args: f"{args.event or args.map}, credible level {args.level:g}",
    "resolve": lambda args: f"{args.name!r} ({args.resolver}{', reverse' if args.reverse else ''})",
    "stats": lambda args: args.date or "every night",
}


def _title(args):
    """The first line of the screen view: what was queried."""
    summary = _COMMANDS_BY_NAME[args.command].summary
    if args.id_kind is not None:
        ids = args.id_list
        subject = ", ".join(ids[:3]) + (f", ... ({len(ids):,} in all)" if len(ids) > 3 else "")
    else:
        subject = _SUBJECTS.get(args.command, lambda args: "")(args)
    return f"{summary}: {subject}" if subject else summary


def _screen_width(args):
    """The width to fit: --max-width, else the terminal's ($COLUMNS first), else 100 characters."""
    if args.max_width is not None:
        return args.max_width
    import shutil

    return shutil.get_terminal_size(fallback=(100, 24)).columns


def _leading_columns(table, width, max_lines):
    """The leading columns of ``table`` whose aligned print fits ``width`` characters (the first one always)."""
    shown, used = [], -1
    for name in table.colnames:
        # the column as Table.pformat prints it: name, unit, values (the rows printed only), one space between
        cells = table[name].pformat(max_lines=max_lines, show_unit=True)
        used += 1 + max(len(cell) for cell in cells)
        if shown and used > width:
            break
        shown.append(name)
    return shown


def _print_screen(table, args):
    """
    The screen view: a title line, the leading columns that fit the width (all with --all-columns)
    with their units, and the row count; blank lines set the table apart, which `_ids_of_screen` reads.
    """
    table = table.copy(copy_data=False)
    width = _screen_width(args)
    shown = table.colnames if args.all_columns or width <= 0 else _leading_columns(table, width, args.max_lines)
    table.pprint_include_names = shown
    count = f"{len(table):,} row{'' if len(table) == 1 else 's'}"
    if len(shown) < len(table.colnames):
        count += f", {len(shown)} of {len(table.colnames)} columns (--all-columns shows all)"
    title = _title(args)
    if 0 < width < len(title):
        title = title[:max(width - 3, 1)] + "..."
    lines = [title, ""]
    if table.colnames:
        printed = table.pformat(max_lines=args.max_lines, max_width=-1)
        # astropy ends a print cut by --max-lines with "Length = N rows": the count line says it already
        lines += printed[:-1] if printed[-1].startswith("Length = ") else printed
    sys.stdout.write("\n".join([*lines, "", count]) + "\n")
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
        return _print_screen(table, args)
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
    if args.id_kind is not None:
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
    """
    ``python -m astroquery_fink [--replica] ID...``, the first command line, means ``fp``; shared options
    written before the command (``fink-query --replica cone ...``) are moved after it, where they belong.
    """
    command = next((index for index, token in enumerate(argv) if token in COMMANDS), None)
    if command is None:
        return ["fp", *argv] if any(_ID_TEXT.fullmatch(token) for token in argv) else argv
    if command and not {"-h", "--help", "--version"} & set(argv[:command]):
        return [argv[command], *argv[:command], *argv[command + 1:]]
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
