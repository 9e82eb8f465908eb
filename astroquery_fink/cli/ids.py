"""
The ids of ``fink-query``'s id commands: from the arguments, --ids-file and stdin; plain text or a table.

A table read from text is how commands chain (``fink-query cone ... -f csv | fink-query fp``); what is read
is bounded (`MAX_IDS`, `MAX_IDS_BYTES`) and checked before any request.
"""
import io
import os
import re
import sys
import warnings

from astropy.io.votable.exceptions import W03
from astropy.table import Table

from .messages import listed, say
from .status import UsageError

# An id as text: decimal digits only (a 64-bit id is never read through a float)
ID_TEXT = re.compile(r"[0-9]+")
#: Most ids read from --ids-file or stdin, and most bytes read there (checked before any request).
MAX_IDS = 1_000_000
MAX_IDS_BYTES = 32 * 2**20
_ID_SEPARATORS = re.compile(r"[\s,]+")

IDS_HELP = f"""\
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
        if all(ID_TEXT.fullmatch(token) for token in tokens):
            ids += tokens
        elif kind == "diaObjectId" and not re.search(r"[,\t]", text):
            ids.append(text)
        else:
            columns = " or ".join(_ID_COLUMNS[kind][:2])
            bad = text if kind == "diaObjectId" else next(t for t in tokens if not ID_TEXT.fullmatch(t))
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
        raise UsageError(f"{source}: the table has no {' or '.join(_ID_COLUMNS[kind][:2])} column (its columns: "
                         f"{listed(table.colnames, 8)})")
    column = table[name]
    if column.dtype.kind == "f":
        raise UsageError(f"{source}: the {name} column holds floating-point numbers, which do not keep the "
                         f"digits of 64-bit ids: write it as integers or text (fink-query's -f csv or ecsv do)")
    mask = getattr(column, "mask", None)
    ids = []
    for row, value in enumerate(column.data if mask is None else column.data.data, start=1):
        text = str(value).strip()
        if (mask is not None and mask[row - 1]) or not ID_TEXT.fullmatch(text):
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
        if not ID_TEXT.fullmatch(cell):
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


def collect_ids(args):
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
            say("stdin is an open pipe without data yet: it is not read, the ids are those of the command line",
                 "note")
    if not ids:
        raise UsageError(f"no {kind} given: put them on the command line, in --ids-file FILE, or on stdin")
    ids = list(dict.fromkeys(ids))  # a table of sources names each object once per row
    if kind == "diaSourceId" and len(ids) != 1:
        raise UsageError(f"cutout takes one diaSourceId, got {len(ids)}: {listed(ids, 3)}")
    return ids
