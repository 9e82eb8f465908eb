"""Serve the replica from the command line: ``python -m astroquery_fink.testing`` prints its URL, then serves."""

import argparse
import signal
import sys
import threading
import time

from .store import NLIMIT

__all__ = ["main"]


def _nlimit(text):
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'none', not {text!r}") from None


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m astroquery_fink.testing",
        description="Serve the Fink/LSST REST API replica over HTTP until killed. The first line on stdout "
                    "is the base URL; the ids of the extra objects are astroquery_fink.testing.extra."
                    "extra_object_ids(N).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 (default) picks a free one")
    parser.add_argument("--extra-objects", type=int, default=0, metavar="N",
                        help="synthetic diaObjects added for benchmarks (default 0)")
    parser.add_argument("--extra-fp-rows", type=int, default=20, metavar="M",
                        help="forced-photometry rows of each extra object (default 20)")
    parser.add_argument("--nlimit", type=_nlimit, default=NLIMIT, metavar="N|none",
                        help=f"row cap of one HBase scan, 'none' for no cap (default {NLIMIT})")
    parser.add_argument("--pandas-major", type=int, choices=(2, 3), default=3,
                        help="pandas version of the emulated server (default 3)")
    return parser


def main(argv=None):
    """
    Run the replica until SIGTERM or SIGINT.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit status.
    """
    args = _parser().parse_args(argv)
    from .server import FinkReplica  # after parsing: --help answers without loading the data

    began = time.perf_counter()
    try:
        # no request log: nobody reads it in this process, and it would grow with every request
        replica = FinkReplica(args.host, args.port, pandas_major=args.pandas_major, nlimit=args.nlimit,
                              extra_objects=args.extra_objects, extra_fp_rows=args.extra_fp_rows,
                              request_log_size=0).preload()  # a server of its own: every table ready now
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    url = replica.start()
    # the URL first and flushed at once: the parent process reads it to know where to connect
    print(url, flush=True)
    print(f"Fink/LSST replica at {url} ({len(replica.dataset.extra_object_ids)} extra objects, ready in "
          f"{time.perf_counter() - began:.2f} s); stop it with Ctrl-C or SIGTERM", file=sys.stderr, flush=True)

    def _terminate(signum, frame):
        raise SystemExit(0)

    # SIGTERM (kill, Popen.terminate) ends like Ctrl-C: the socket is closed cleanly
    signal.signal(signal.SIGTERM, _terminate)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        replica.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
