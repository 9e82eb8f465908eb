"""The replica in a process of its own, for benchmarks: server and client then share no GIL."""
import subprocess
import sys

__all__ = ["start_replica"]


def start_replica(*options):
    """
    Start ``python -m astroquery_fink.testing --port 0 *options``; return (process, url).

    The caller stops it (``process.kill()``); a replica that does not print its URL is killed
    and reported.
    """
    process = subprocess.Popen([sys.executable, "-m", "astroquery_fink.testing", "--port", "0", *options],
                               stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise RuntimeError(f"the replica did not start: {url!r}")
    return process, url
