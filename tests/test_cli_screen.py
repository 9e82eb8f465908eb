"""fink-query's screen view: a title, the leading columns that fit the width with their units, the row count.

The oracle of "what fits" is astropy's own aligned print of the client's table, made here column by column.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from astropy.table import Table

from astroquery_fink import FinkClass
from astroquery_fink.cli import EXIT_OK, main

OBJECT = "313761043604045880"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def expected_fp(fink_replica):
    return FinkClass(server=fink_replica).query_forced_photometry(OBJECT)


def widest_line(table, names):
    """The longest line of astropy's aligned print of these columns of ``table``."""
    subset = table.copy(copy_data=False)
    subset.pprint_include_names = names
    return max(len(line) for line in subset.pformat(max_lines=-1, max_width=-1))


def fitting_prefix(table, width):
    """The most leading columns whose aligned print fits ``width`` (at least one)."""
    names = table.colnames
    count = 1
    while count < len(names) and widest_line(table, names[:count + 1]) <= width:
        count += 1
    return names[:count]


def screen(text):
    """The parts of a screen view: title, table lines, count line."""
    title, blank, *table, blank_after, count = text.splitlines()
    assert blank == blank_after == ""
    return title, table, count


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_fits_the_terminal_width(fink_replica, expected_fp, monkeypatch, capsys, columns):
    monkeypatch.setenv("COLUMNS", str(columns))  # what shutil.get_terminal_size reads first
    assert main(["fp", OBJECT, "--server", fink_replica]) == EXIT_OK
    title, table, count = screen(capsys.readouterr().out)
    shown = table[0].split()
    assert shown == fitting_prefix(expected_fp, columns)  # the table's leading columns, as many as fit
    assert len(shown) < len(expected_fp.colnames)
    assert all(len(line) <= columns for line in [title, *table, count])
    assert count == f"{len(expected_fp)} rows, {len(shown)} of {len(expected_fp.colnames)} columns " \
                    "(--all-columns shows all)"
    units = {str(expected_fp[name].unit) for name in shown if expected_fp[name].unit is not None}
    assert units and units <= set(table[1].split())  # the units line, under the columns shown
    assert len(table) == 3 + len(expected_fp)  # header, units, rule, every row


def test_width_unknown_is_100_columns(fink_replica, expected_fp):
    """Stdout a pipe and no $COLUMNS: 100 columns (a real process: pytest's own terminal stays out of it)."""
    env = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "-m", "astroquery_fink", "fp", OBJECT, "--server", fink_replica],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == EXIT_OK, result.stderr
    title, table, count = screen(result.stdout)
    assert table[0].split() == fitting_prefix(expected_fp, 100)
    assert fitting_prefix(expected_fp, 100) != fitting_prefix(expected_fp, 80)  # so the width tells them apart
    assert title == f"forced photometry of diaObjects (/api/v1/fp): {OBJECT}"


def test_all_columns(fink_replica, expected_fp, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["fp", OBJECT, "--server", fink_replica, "--all-columns"]) == EXIT_OK
    title, table, count = screen(capsys.readouterr().out)
    assert table[0].split() == expected_fp.colnames and count == f"{len(expected_fp)} rows"


def test_max_width_option(fink_replica, expected_fp, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "300")
    assert main(["fp", OBJECT, "--server", fink_replica, "--max-width", "70"]) == EXIT_OK
    _, table, _ = screen(capsys.readouterr().out)
    assert table[0].split() == fitting_prefix(expected_fp, 70)


def test_machine_formats_are_whole(fink_replica, expected_fp, monkeypatch, capsys):
    """-f to stdout is what chaining reads: every column and row, no title, whatever the width."""
    monkeypatch.setenv("COLUMNS", "40")
    assert main(["fp", OBJECT, "--server", fink_replica, "-f", "ecsv"]) == EXIT_OK
    table = Table.read(capsys.readouterr().out, format="ascii.ecsv")
    assert table.colnames == expected_fp.colnames and len(table) == len(expected_fp)


def test_no_rows(fink_replica, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["fp", "1", "--server", fink_replica]) == EXIT_OK
    captured = capsys.readouterr()
    title, table, count = screen(captured.out)
    assert title.endswith(": 1") and count.startswith("0 rows") and "no data" in captured.err
    assert len(table) == 3  # the header, units and rule of the columns that fit: the reader sees what is missing


def test_long_title_is_cut_to_the_width(fink_replica, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "50")
    assert main(["cone", "53.2514", "-27.861", "--radius", "10arcsec", "--server", fink_replica, "-q"]) == EXIT_OK
    title, _, _ = screen(capsys.readouterr().out)
    assert len(title) == 50 and title.startswith("objects around a position (/api/v1/conesearch)")
    assert title.endswith("...")


def test_max_lines(fink_replica, expected_fp, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["fp", OBJECT, "--server", fink_replica, "--max-lines", "8"]) == EXIT_OK
    _, table, count = screen(capsys.readouterr().out)
    assert len(table) <= 8 and any(line.split()[:1] == ["..."] for line in table)
    assert count.startswith(f"{len(expected_fp)} rows")  # the count is the table's, not the lines shown
    assert not any(line.startswith("Length = ") for line in table)  # said once, in the count line


@pytest.mark.parametrize("count", [2, 5])
def test_width_boundary(fink_replica, expected_fp, monkeypatch, capsys, count):
    """The columns fit exactly at their printed width, and one column fewer a character below it."""
    exact = widest_line(expected_fp, expected_fp.colnames[:count])
    for width, shown in ((exact, count), (exact - 1, count - 1)):
        monkeypatch.setenv("COLUMNS", str(width))
        assert main(["fp", OBJECT, "--server", fink_replica, "-q"]) == EXIT_OK
        _, table, _ = screen(capsys.readouterr().out)
        assert table[0].split() == expected_fp.colnames[:shown]
