"""How a ``fink-query`` run ends: its exit codes, and the error that stops a command given wrongly."""

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


class UsageError(Exception):
    """The command cannot be run as given (exit status 2); the message says why."""
