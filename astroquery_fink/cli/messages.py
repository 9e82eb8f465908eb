"""What ``fink-query`` says on stderr: its own notes and errors, and the warnings and log of the client."""
import logging
import sys
import warnings
from contextlib import contextmanager

from astropy.io.votable.exceptions import W03
from astroquery import log
from astroquery.exceptions import NoResultsWarning

PROG = "fink-query"


def _one_line(text):
    return " ".join(str(text).split())


def listed(items, most):
    """The first ``most`` of ``items``, comma-separated, with ``...`` when some are left out."""
    return ", ".join(items[:most]) + (", ..." if len(items) > most else "")


def say(message, kind=None):
    """Print ``fink-query: [kind: ]message`` on stderr, on one line."""
    label = f"{kind}: " if kind else ""
    print(f"{PROG}: {label}{_one_line(message)}", file=sys.stderr, flush=True)


@contextmanager
def warnings_reported(quiet):
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
                    say(text, kind)


class _NoteHandler(logging.Handler):
    """Astroquery's log records as ``fink-query: note: ...`` lines on stderr (astropy prints INFO on stdout)."""

    def emit(self, record):
        say(record.getMessage(), "note" if record.levelno < logging.WARNING else "warning")


@contextmanager
def log_reported(quiet):
    """Route astroquery's log (the client's notes, such as a CSV fallback) to stderr while the block runs."""
    saved = log.handlers[:], log.propagate
    handler = _NoteHandler(logging.WARNING if quiet else logging.INFO)
    log.handlers[:] = [handler]
    log.propagate = False  # stdout carries the table only
    try:
        yield
    finally:
        log.handlers[:], log.propagate = saved
