"""
Running ``fink-query``: `main` parses the command line, runs the command's query against a client, writes
the result and turns what happened into the exit status (see `status`).
"""
import os
import re
import sys
from contextlib import contextmanager, nullcontext

import requests
from astroquery.exceptions import InvalidQueryError, RemoteServiceError, TableParseError
from astroquery.exceptions import TimeoutError as AstroqueryTimeoutError

from .. import FinkClass, conf
from ..batch import BatchInterrupted
from ..exceptions import IncompleteResultError
from .commands import COMMANDS, build_parser, refused_options
from .failed_ids import check_failed_ids_path, report_interrupted, report_partial
from .ids import ID_TEXT, collect_ids
from .messages import log_reported, say, warnings_reported
from .output import emit_image, emit_table, prepare_output
from .status import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, EXIT_SERVER, EXIT_USAGE, UsageError


@contextmanager
def _client(args):
    """A client for --server, conf.server or the embedded replica, with --timeout and --retries applied."""
    if args.replica:
        try:
            from ..testing import FinkReplica  # imported here: the replica needs the optional 'replica' extra
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
            say(f"querying the embedded replica at {server} (test data, not the live service)")
        yield FinkClass(server=server, timeout=args.timeout)


def _run(args):
    """Run a parsed command; return the exit status."""
    refused = refused_options(args)
    if refused:
        raise UsageError(f"{args.command} reads files and queries no server: {', '.join(refused)} "
                         f"{'does' if len(refused) == 1 else 'do'} not apply")
    if args.replica and args.server:
        raise UsageError("--server and --replica exclude each other")
    if args.id_kind is not None:
        args.id_list = collect_ids(args)
        check_failed_ids_path(args)
    prepare_output(args)
    status = EXIT_OK
    try:
        # a command without server options (read-transfer) reads files: no client, no replica started
        client_or_none = _client(args) if args.queries_server else nullcontext()
        with warnings_reported(args.quiet), log_reported(args.quiet), client_or_none as client:
            result = args.handler(client, args)
    except IncompleteResultError as error:
        report_partial(error, args)
        result, status = error.table, EXIT_PARTIAL
    except BatchInterrupted as interrupted:
        if interrupted.table is None:
            raise
        report_interrupted(interrupted, args)
        result, status = interrupted.table, EXIT_INTERRUPTED
    except (RemoteServiceError, AstroqueryTimeoutError, TableParseError) as error:
        say(error, "error")
        return EXIT_SERVER
    except requests.RequestException as error:  # what the client does not map to astroquery's exceptions
        say(f"the request to {args.server or conf.server} failed: {error}", "error")
        return EXIT_SERVER
    with warnings_reported(args.quiet):
        if isinstance(result, bytes):
            emit_image(result, args)
        else:
            emit_table(result, args)
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
        return ["fp", *argv] if any(ID_TEXT.fullmatch(token) for token in argv) else argv
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
        say(error, "error")
        return EXIT_USAGE
    except OSError as error:  # the output file could not be written
        if _is_broken_pipe(error):
            return _stdout_closed()
        say(error, "error")
        return EXIT_USAGE
    except KeyboardInterrupt:
        say("interrupted")
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

