"""
Where ``fink-query`` puts a result: a table to a file or stdout in an astropy format (or the screen view),
an image to a file or redirected stdout; the choices are checked before any request.
"""
import gzip
import json
import re
import sys
import tempfile
import warnings
from pathlib import Path

from astropy import units as u
from astropy.io import registry
from astropy.table import Table

from . import queries
from .messages import say
from .screen import print_screen
from .status import UsageError

# --- checking, before any request: the file, the format ----------------------------------------

# Formats whose bytes would garble a terminal: refused on stdout unless it is redirected.
_BINARY_FORMATS = ("fits", "parquet", "parquet.votable", "votable.parquet", "hdf5", "asdf")
# Extensions astropy does not identify when writing (it sniffs VOTables from their content).
_EXTENSION_FORMATS = {".xml": "votable", ".vot": "votable", ".votable": "votable", ".ipac": "ascii.ipac",
                      ".tbl": "ascii.ipac"}


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


def _header_value(value):
    """A meta value as a header keyword holds it: a scalar as it is, a dict or list (the query) as JSON text."""
    return json.dumps(value) if isinstance(value, (dict, list)) else value


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
        table.meta = {key: _header_value(value) for key, value in table.meta.items()}
    elif fmt == "ascii.ipac":
        # IPAC allows letters, digits and _ in names, and keywords in a form of its own
        table.rename_columns(table.colnames, [re.sub(r"\W", "_", name) for name in table.colnames])
        table.meta = {"keywords": {key: {"value": _header_value(value)} for key, value in table.meta.items()}}
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


def prepare_output(args):
    """Check the output choices before any request, and settle the table format."""
    if args.output == "-":  # the usual spelling of stdout
        args.output = None
    if args.output is not None:
        _check_output_path(args.output, args.overwrite)
    if args.handler is queries.cutout:
        return _prepare_image_output(args)
    args.resolved_format = _table_format(args.table_format, args.output)
    if args.output is None and args.resolved_format in _BINARY_FORMATS and sys.stdout.isatty():
        raise UsageError(f"the {args.resolved_format} format is binary: give -o FILE or redirect stdout")


# --- writing -----------------------------------------------------------------------------------

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


def emit_table(table, args):
    fmt = args.resolved_format
    if fmt is None:
        return print_screen(table, args)
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
        say(f"{len(table)} rows written to {args.output} ({fmt})")


def emit_image(data, args):
    if not data:
        if args.output is not None and not args.quiet:
            say(f"nothing written to {args.output}", "note")
        return
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    if args.output.endswith(".gz"):  # as astropy does for tables
        data = gzip.compress(data)
    Path(args.output).write_bytes(data)
    if not args.quiet:
        say(f"{args.image_format} image of {len(data)} bytes written to {args.output}")
