"""
The ids a batch has no rows for (some requests failed, or Ctrl-C stopped it): said on stderr, and written
one a line to --failed-ids FILE, to be read again with --ids-file.
"""
import os
from pathlib import Path

from .messages import listed, say
from .status import UsageError


def check_failed_ids_path(args):
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
            say(f"cannot write the {what} ids: {write_error}", "error")
            return False
        say(f"the {len(ids)} {what} ids are in {failed_ids_file}: retry with --ids-file {failed_ids_file}", "error")
        return True
    if len(ids) > 10:
        say("--failed-ids FILE lists them all", "error")
    return False


def report_partial(error, args):
    """Say which ids failed (and list them in --failed-ids FILE); the partial table is written as usual."""
    say(error, "error")
    _list_ids(error.failed_ids, args, "failed")


def report_interrupted(interrupted, args):
    """Ctrl-C during a batch: say what is written, and list the ids without rows in --failed-ids FILE."""
    missing = interrupted.unfetched_ids
    asked = len(args.id_list)
    say(f"interrupted: the rows of {asked - len(missing)} of {asked} ids are written (a partial result); "
         f"{len(missing)} ids have no rows: {listed(missing, 10)}", "note")
    _list_ids(missing, args, "unfetched")
