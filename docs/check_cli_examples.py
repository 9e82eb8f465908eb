"""Run the shell examples of the command-line page against the replica and compare what they print.

Usage (from the repository's root; needs bash)::

    python docs/check_cli_examples.py [docs/fink/cli.rst]

The page's ``.. code-block:: console`` blocks show commands (lines starting with ``$``), each
followed by what it prints. Every command that names ``--replica``, and every ``fink-query
read-transfer`` (which reads the Data Transfer download ``download`` that the replica's
``write_data_transfer`` writes there first, for the objects in ``DOWNLOAD_OBJECTS``), is run here,
in a temporary directory, in a pseudo-terminal 100 characters wide (as on the page), with
``fink-query`` being this source tree's ``python -m astroquery_fink``. Its output, stderr and stdout in the order a
terminal shows them, must be the one on the page, but for the replica's port, written ``...``
there (it changes from run to run), and blanks at the ends of lines. Exit status 1 when an
example differs. (Not run by pytest: these examples are not doctests.)
"""
import argparse
import difflib
import os
import pty
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = re.compile(r"127\.0\.0\.1:[0-9]+")
# The objects of the download the read-transfer examples read: every alert of each
DOWNLOAD_OBJECTS = ["313761043604045880", "314003014107006318"]


def examples(page):
    """(command, expected output lines) of every console block's ``$`` lines that query the replica."""
    found, command, lines, in_block = [], None, [], False
    for line in page.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith(".. code-block:: console"):
            in_block = True
            continue
        if in_block and line and not line.startswith("    "):  # the block ended
            in_block = False
        if not in_block:
            if command is not None:
                found.append((command, lines))
                command, lines = None, []
            continue
        text = line[4:]
        if text.startswith("$ "):
            if command is not None:
                found.append((command, lines))
            command, lines = text[2:], []
        elif command is not None:
            lines.append(text)
    return [(command, _trim(lines)) for command, lines in found
            if "--replica" in command or command.startswith("fink-query read-transfer ")]


def write_download(directory, environment):
    """The Data Transfer download ``download`` in ``directory``, written by this source tree's replica."""
    code = ("from astroquery_fink.testing import write_data_transfer\n"
            f"write_data_transfer('download', {DOWNLOAD_OBJECTS!r}, alerts_per_object=None)")
    subprocess.run([sys.executable, "-c", code], cwd=directory, env=environment, check=True)


def _trim(lines):
    """Lines without blanks at their ends, and without blank lines at the end."""
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def run_in_terminal(command, directory, environment):
    """What ``command`` prints in a terminal: stdin, stdout and stderr on one pseudo-terminal."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(["bash", "-c", command], stdin=follower, stdout=follower, stderr=follower,
                               cwd=directory, env=environment)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # every holder of the terminal's other end is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    process.wait()
    text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    return _trim(PORT.sub("127.0.0.1:...", text).split("\n"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("page", nargs="?", type=Path, default=ROOT / "docs" / "fink" / "cli.rst")
    page = parser.parse_args().page
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        bin_dir = Path(scratch) / "bin"
        bin_dir.mkdir()
        wrapper = bin_dir / "fink-query"
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m astroquery_fink "$@"\n')
        wrapper.chmod(0o755)
        environment = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", COLUMNS="100",
                           PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        environment.pop("LINES", None)
        work = Path(scratch) / "work"
        work.mkdir()
        write_download(work, environment)
        for command, expected in examples(page):
            got = run_in_terminal(command, work, environment)
            if got == expected:
                print(f"ok       $ {command}")
            else:
                failures += 1
                print(f"DIFFERS  $ {command}")
                sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(
                    expected, got, "on the page", "printed", lineterm=""))
    print(f"{failures} example(s) of {page} differ from what they print" if failures
          else f"every --replica and read-transfer example of {page} prints what the page shows")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
