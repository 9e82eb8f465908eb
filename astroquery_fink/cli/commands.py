"""
The sub-commands of ``fink-query`` and its argument parser, built from one table (``_COMMAND_TABLE``).

A row of the table gives a command's query (in `queries`), its help and its own options; the options
several commands share are described once, in the main help.
"""
import argparse
import math
import re
from collections import namedtuple

from astropy import units as u

from .. import __version__, conf
from ..cutouts import KERNELS, STRETCHES
from ..lightcurve import DEFAULT_LIMIT_SIGMA, FLUX_COLUMNS
from ..payload import OUTPUT_FORMATS, RESOLVERS, SCHEMA_ENDPOINTS
from . import queries
from .ids import IDS_HELP
from .messages import PROG
from .status import EXIT_STATUS_HELP

# --- option values: the text of the command line -> what the client takes -----------------------

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


# The tables read-transfer makes of a Data Transfer download (read_data_transfer's ``kind``)
TRANSFER_KINDS = ("lightcurve", "sources", "fp", "objects", "alerts")


# --- the parser: one row of _COMMAND_TABLE per sub-command -------------------------------------

class _HelpFormatter(argparse.HelpFormatter):
    """Wrap one-paragraph descriptions to the terminal; keep the examples and exit codes as laid out."""

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def add_argument(self, action):
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):
            # argparse measures the command names at the list's indent but prints them one step further in,
            # so that the longest (read-transfer) would sit alone on its line, its summary below
            longest = max(map(len, action.choices)) + self._current_indent + self._indent_increment
            self._action_max_length = max(self._action_max_length, longest)


# A sub-command: its handler, (client, args) -> Table or bytes for an image, and its help; ``shared`` names
# groups of _SHARED_OPTIONS (described once, in the main help), ``options`` are its own arguments, made by
# _arg; ``ids`` is the kind of id its ID arguments are ("diaObjectId", which takes names too, or
# "diaSourceId"), None for a command without ids. A command without the "server" group queries no
# server: its handler gets None for the client (see `refused_options`).
_Command = namedtuple("_Command", "name handler summary description examples shared options ids",
                      defaults=((), (), None))


def _arg(*flags, group=None, **settings):
    """An argument: argparse's flags and settings, listed in the help under ``group`` if given."""
    return group, flags, settings


def _window(what):
    return (_arg("--start", type=_time, metavar="TIME",
                 help=f"{what}: an ISO date (UTC) such as 2026-03-01, or an MJD (TAI)"),
            _arg("--stop", type=_time, metavar="TIME", help="see --start"))


# Groups of options several commands take: (title, description), then the options.
_SHARED_GROUPS = {
    "ids": ("ids: fp, sources, object, cutout", IDS_HELP),
    "batch": ("batches: fp, sources, object", None),
    "query": ("query: the table commands", None),
    "output": ("output: every command but cutout", None),
    "server": ("server: every command but read-transfer", None),
    "notes": ("notes: every command", None),
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
        # no default here: the client reads astroquery_fink.conf.output_format at the call
        _arg("--transport", metavar="FORMAT", group="query",
             help=f"format on the wire, one of {', '.join(OUTPUT_FORMATS)}; the table is the same for all "
                  "(default: the output_format setting of astroquery_fink's configuration, votable unless set; "
                  "votable and parquet are sent again in csv if the server fails to write them; parquet is "
                  "fastest for large answers)"),
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
    ),
    "notes": (
        _arg("-q", "--quiet", action="store_true", group="notes",
             help="no progress bar and no notes on stderr (warnings and errors still show)"),
    ),
}
_SERVER = ("server", "notes")
_TABLE_QUERY = ("query", "output", *_SERVER)
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
        "fp", queries.forced_photometry, "forced photometry of diaObjects (/api/v1/fp)",
        "Forced photometry of one or several diaObjects, one row per diaForcedSource, newest first.",
        ("fink-query fp 313761043604045880",
         "fink-query fp 313761043604045880 314003014107006318 -o lc.ecsv",
         "fink-query fp --ids-file ids.txt --transport parquet -o lc.parquet --failed-ids failed.txt",
         "fink-query cone 53.2514 -27.861 --radius 10arcsec -f csv | fink-query fp -f ecsv > fp.ecsv"),
        shared=_ID_QUERY, ids="diaObjectId"),
    _Command(
        "sources", queries.sources, "alert light curves of diaObjects (/api/v1/sources)",
        "The alerts (diaSources) of one or several diaObjects, newest first.",
        ("fink-query sources 313761043604045880 --columns r:midpointMjdTai,r:band,r:psfFlux,r:psfFluxErr",
         "fink-query sources 314003014107006318 --time 61176.9896294959"),
        shared=_ID_QUERY, ids="diaObjectId",
        options=(_arg("--time", metavar="MJD", help="only the source(s) at this MJD (TAI), matched as a prefix: "
                                                     "61176 is a whole day; one id only"),)),
    _Command(
        "object", queries.objects, "summary rows of diaObjects (/api/v1/objects)",
        "The diaObject summary row of one or several objects, in the order of the ids.",
        ("fink-query object 313761043604045880 --columns r:ra,r:dec,r:nDiaSources",
         "fink-query object --ids-file ids.txt -o objects.fits"),
        shared=_ID_QUERY, ids="diaObjectId"),
    _Command(
        "schema", queries.schema, "the columns an endpoint returns (/api/v1/schema)",
        "One row per column of an endpoint: name, family, type, nullable, unit, description.",
        ("fink-query schema fp", "fink-query schema sources --format csv > sources_columns.csv",
         "fink-query schema sources --schema-version 10.0", "fink-query schema datatransfer/lsst"),
        shared=("output", *_SERVER),
        options=(_arg("endpoint", metavar="ENDPOINT", help=f"one of {', '.join(SCHEMA_ENDPOINTS)}"),
                 _arg("--schema-version", metavar="MAJOR[.MINOR]",
                      help="LSST alert schema version to describe, e.g. 10.0 (default: the server's latest)"))),
    _Command(
        "cone", queries.cone, "objects around a position (/api/v1/conesearch)",
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
        "tags", queries.tags, "the latest alerts with a tag, or the list of tags (/api/v1/tags)",
        "The latest alerts Fink selected with TAG, newest first; without TAG, the list of tags and whether the "
        "API can query them.",
        ("fink-query tags", "fink-query tags in_tns --n 100 --columns r:diaObjectId,f:xm_tns_fullname"),
        shared=_TABLE_QUERY,
        options=(_arg("tag", nargs="?", metavar="TAG", help="a tag the API can query, e.g. in_tns"),
                 _arg("--n", type=int, metavar="N", help="number of alerts (server default: 10)"),
                 *_window("alerts between START and STOP"))),
    _Command(
        "sso", queries.sso, "alerts of Solar System objects (/api/v1/sso)",
        "The alerts of Solar System objects, newest first, by name, number or designation.",
        ("fink-query sso '2015 BC557' --columns r:midpointMjdTai,r:band,r:psfFlux",
         "fink-query sso 8467 --ephemerides -o 8467.ecsv"),
        shared=_TABLE_QUERY,
        options=(_arg("names", nargs="+", metavar="NAME", help="names, numbers or designations (quote spaces)"),
                 _arg("--ephemerides", action="store_true", help="add the Miriade ephemerides at each alert"))),
    _Command(
        "skymap", queries.skymap, "objects in the credible region of a gravitational-wave event (/api/v1/skymap)",
        "The objects Fink saw inside the credible region of a GW event's sky map, from the GraceDB superevent "
        "name (the server downloads its bayestar map) or from a bayestar FITS map of your own (--map).",
        ("fink-query skymap S251112cm --level 0.9",
         "fink-query skymap --map bayestar.fits.gz --level 0.5 -o gw.ecsv"),
        shared=("output", *_SERVER),  # the whole rows: the endpoint takes no column list
        options=(_arg("event", nargs="?", metavar="EVENT", help="a GraceDB superevent name, e.g. S251112cm"),
                 _arg("--transport", metavar="FORMAT",
                      help=f"format on the wire, one of {', '.join(OUTPUT_FORMATS)} (default: the output_format "
                           "setting of astroquery_fink's configuration, votable unless set)"),
                 _arg("--map", metavar="FILE", help="or a bayestar sky map: a FITS file, gzipped or not"),
                 _arg("--level", "--credible-level", type=float, required=True, metavar="LEVEL",
                      help="keep the sky within this credible level, in (0, 1], e.g. 0.9"))),
    _Command(
        "resolve", queries.resolve, "names <-> Rubin ids (/api/v1/resolver)",
        "Translate a TNS, SIMBAD or Solar System name to Rubin ids, or (--reverse) an id to names.",
        ("fink-query resolve 'SN 2022and'", "fink-query resolve 313761043604045880 --reverse"),
        shared=("output", *_SERVER),
        options=(_arg("name", metavar="NAME", help="a name, or with --reverse a diaObjectId (an ssObjectId for "
                                                   "ssodnet)"),
                 _arg("--resolver", default="tns", metavar="NAME",
                      help=f"the name service: {', '.join(RESOLVERS)} (default: tns)"),
                 _arg("--reverse", action="store_true", help="resolve a Rubin id to names"),
                 _arg("--nmax", type=int, metavar="N", help="at most N rows (tns; server default: 10)"))),
    _Command(
        "stats", queries.statistics, "per-night counters of the alert stream (/api/v1/statistics)",
        "Fink's counters of the Rubin alert stream, one row per night, oldest first.",
        ("fink-query stats 20251102", "fink-query stats 2025 --columns f:alerts,f:objects -o 2025.csv"),
        shared=_TABLE_QUERY,
        options=(_arg("date", nargs="?", default="", metavar="DATE",
                      help="YYYY, YYYYMM or YYYYMMDD (a prefix of the night); every night by default"),)),
    _Command(
        "blocks", queries.blocks, "the building blocks of Fink filters (/api/v1/blocks)",
        "The blocks Fink's filters are built from, with what each one selects.",
        ("fink-query blocks", "fink-query blocks -f csv > blocks.csv"),
        shared=("output", *_SERVER)),
    _Command(
        "cutout", queries.cutout, "image stamps of an alert, FITS or PNG (/api/v1/cutouts)",
        "The Science, Template or Difference stamp of an alert, as FITS or as a rendered PNG; --kind All "
        "writes the three stamps' pixels as the extensions of one FITS file (SCIENCE, TEMPLATE, DIFFERENCE).",
        ("fink-query cutout 170424319673368579 -o stamp.fits",
         "fink-query cutout 170424319673368579 --kind Difference -o diff.png --stretch asinh",
         "fink-query cutout 170424319673368579 --kind All -o stamps.fits"),
        shared=("ids", *_SERVER), ids="diaSourceId",
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
    _Command(
        "read-transfer", queries.read_transfer, "tables from a Fink Data Transfer download (Parquet; no server)",
        "Read a Data Transfer download, the Parquet files of whole alerts 'finkctl transfer' writes, into the "
        "table the REST commands give for the same objects: the nested histories flattened, each detection and "
        "forced point once, with units and exact ids. Reads files only: no server is queried.",
        ("fink-query read-transfer ftransfer_lsst_2026-03-27_750709 --kind lightcurve -o lc.parquet",
         "fink-query read-transfer download --kind sources --columns r:midpointMjdTai,r:band,r:psfFlux",
         "fink-query read-transfer download --flux science --min-reliability 0.5 -o lc.ecsv"),
        shared=("output", "notes"),
        options=(
            _arg("path", metavar="FOLDER",
                 help="the folder 'finkctl transfer' wrote into (with its schema dump), the topic folder in it, "
                      "or one .parquet file"),
            _arg("--kind", choices=TRANSFER_KINDS, default="lightcurve", metavar="KIND",
                 help="the table to make: lightcurve (detections and forced photometry with AB magnitudes, as "
                      "Fink.get_lightcurve; the default), sources (a row per detection, as 'sources'), fp (a row "
                      "per forced point, as 'fp'), objects (a row per object, as 'object') or alerts (a row per "
                      "alert)"),
            _arg("--columns", metavar="A,B,C",
                 help="only these columns, comma-separated, with their family prefix (e.g. r:band,r:psfFlux)"),
            _arg("--flux", choices=tuple(FLUX_COLUMNS), metavar="FLUX", group="light curve: --kind lightcurve only",
                 help=f"the flux of mag and of the upper limits: {', '.join(FLUX_COLUMNS)} (default: difference)"),
            _arg("--limit-sigma", type=float, metavar="N", group="light curve: --kind lightcurve only",
                 help=f"a forced flux below N times its error is an upper limit (default: {DEFAULT_LIMIT_SIGMA:g})"),
            _arg("--keep-withdrawn", action="store_true", group="light curve: --kind lightcurve only",
                 help="keep the measurements Rubin withdrew, flagged in a 'withdrawn' column"),
            _arg("--min-reliability", type=float, metavar="R", group="light curve: --kind lightcurve only",
                 help="leave out the detections whose r:reliability (0 to 1) is below R or unknown"))),
)
COMMANDS = tuple(command.name for command in _COMMAND_TABLE)
COMMANDS_BY_NAME = {command.name: command for command in _COMMAND_TABLE}


def refused_options(args):
    """
    The server options given to a command that queries no server (``read-transfer``), as the user spelled them.

    Such a command parses them (they may come before the command, as for every other one) so as to refuse
    them by name rather than ignore them or let argparse call them unrecognized.
    """
    if "server" in COMMANDS_BY_NAME[args.command].shared:
        return []
    return [flags[0] for _, flags, settings in _SHARED_OPTIONS["server"]
            if getattr(args, settings.get("dest", flags[0].lstrip("-"))) not in (None, False)]


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
                "fink-query read-transfer download -o lc.parquet    # a Data Transfer download's light curves",
            ),
            EXIT_STATUS_HELP,
            "Run 'fink-query COMMAND --help' for the arguments of a command.")))
    parser.add_argument("--version", action="version", version=f"{PROG} (astroquery_fink {__version__})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in _COMMAND_TABLE:
        sub = commands.add_parser(command.name, help=command.summary, description=command.description,
                                  epilog=_examples(*command.examples) + _pointer_to_main_help(command),
                                  formatter_class=_HelpFormatter)
        sub.set_defaults(handler=command.handler, id_kind=command.ids, queries_server="server" in command.shared)
        own = (*([_ID_ARGUMENTS[command.ids]] if command.ids else ()), *command.options)
        _add_arguments(sub, own)
        # the server options of a command that queries none are parsed as well, to be refused (refused_options)
        groups = (*command.shared, *(() if "server" in command.shared else ("server",)))
        _add_arguments(sub, (argument for name in groups for argument in _SHARED_OPTIONS[name]), hidden=True)
    return parser
