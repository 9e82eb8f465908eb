"""
The screen view of ``fink-query``: a title line, the leading columns of the table that fit the terminal
(with their units), and the row count.
"""
import sys

from astropy import units as u

from .commands import COMMANDS_BY_NAME

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
    "read-transfer": lambda args: f"{args.path}, kind {args.kind}",
}


def _title(args):
    """The first line of the screen view: what was queried."""
    summary = COMMANDS_BY_NAME[args.command].summary
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
        # the column as Table.pformat prints it: name, unit, values (the rows printed only), one space between;
        # printed as a one-column table, since a Time (a light curve's time) has no pformat of its own
        cells = table[[name]].pformat(max_lines=max_lines, show_unit=True, max_width=-1)
        used += 1 + max(len(cell) for cell in cells)
        if shown and used > width:
            break
        shown.append(name)
    return shown


def print_screen(table, args):
    """
    The screen view: a title line, the leading columns that fit the width (all with --all-columns)
    with their units, and the row count; blank lines set the table apart, which `ids` relies on to read
    the ids back from a screen view piped to another command.
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
