"""
The ``fink-query`` command: Fink/LSST queries from the shell, printed or written as tables with units.

One module a job: `commands` (the sub-commands and the parser), `queries` (each command's call of the
client), `ids` (the ids read from the arguments, files and stdin), `output` (files and stdout), `screen`
(the screen view), `failed_ids` (the ids a batch has no rows for), `messages` (stderr), `status` (exit
codes) and `run` (`main`).
"""
from .commands import COMMANDS, build_parser
from .ids import MAX_IDS, MAX_IDS_BYTES
from .run import main
from .status import EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, EXIT_SERVER, EXIT_USAGE, UsageError

__all__ = ["main", "build_parser", "COMMANDS", "UsageError", "EXIT_OK", "EXIT_SERVER", "EXIT_USAGE", "EXIT_PARTIAL",
           "EXIT_INTERRUPTED", "MAX_IDS", "MAX_IDS_BYTES"]
