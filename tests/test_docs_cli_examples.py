"""The command-line page's console examples print what the page shows (run in a terminal, against the replica)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(sys.platform == "win32", reason="the examples run in a pseudo-terminal")
def test_the_command_line_page_shows_what_the_commands_print():
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "check_cli_examples.py")], capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "prints what the page shows" in done.stdout
