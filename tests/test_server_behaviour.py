"""The client against answers shaped as the real server sends them: HashMap row order, rows that
vanish under ``columns=``, and VOTable writes that crash (HTTP 500) while CSV works.

The recorded answers (tests/data, see its README) come from the replica, which reproduces these
behaviours of the server; each test first checks, by reading the recorded bytes with astropy or
the standard library directly, that the answer really has the quirk, so it cannot pass vacuously.
"""
import io
import json
import logging

import numpy as np
import pytest
from astropy.io import votable
from astroquery.exceptions import RemoteServiceError

from .recorded import DATA, MANIFEST, assert_same_table

FP_ID = 313761043604045880
SMALL_ID = 170587115523932323
ORDER_IDS = [int(i) for i in MANIFEST["objects_order.xml"]["payload"]["diaObjectId"].split(",")]
CRASH = f"sources_{FP_ID}_full.votable_500.json"


def raw_votable(name):
    """A recorded VOTable answer read by astropy directly (not by the client's reader), rows as sent."""
    return votable.parse_single_table(io.BytesIO((DATA / name).read_bytes())).to_table(use_names_over_ids=True)


def raw_votable_ids(name):
    return [int(value) for value in raw_votable(name)["r:diaObjectId"]]


# --- row order ----------------------------------------------------------------------------------


def test_objects_come_back_in_the_order_of_the_ids_given(server, client):
    served = raw_votable_ids("objects_order.xml")
    assert sorted(served) == sorted(ORDER_IDS) and served != ORDER_IDS  # the server's own order
    server.answer("objects_order.xml")
    table = client.query_object(ORDER_IDS, columns="r:ra,r:dec")
    assert table["r:diaObjectId"].tolist() == ORDER_IDS
    assert server.calls[0]["json"]["columns"] == "r:ra,r:dec,r:diaObjectId"


def test_objects_order_follows_the_caller_not_the_answer(server, client):
    server.answer("objects_order.xml")
    given = ORDER_IDS[::-1]
    table = client.query_object(given, columns="r:ra,r:dec")
    assert table["r:diaObjectId"].tolist() == given
    # each row kept its own values: ra of an object is the same whatever the order
    raw = raw_votable("objects_order.xml")
    by_id = dict(zip(raw["r:diaObjectId"].tolist(), raw["r:ra"].tolist(), strict=True))
    assert [by_id[i] for i in given] == table["r:ra"].tolist()


def test_forced_photometry_newest_first(server, client):
    server.answer("fp_psfFlux_client.json")
    table = client.query_forced_photometry(FP_ID, columns="r:psfFlux", output_format="json")
    times = np.asarray(table["r:midpointMjdTai"])
    assert len(times) > 1 and np.all(np.diff(times) <= 0)


# --- rows that vanish under columns= ------------------------------------------------------------


def test_a_row_whose_selected_cells_are_null_is_kept(server, client):
    alone = json.loads((DATA / "fp_psfFlux_alone.json").read_bytes())
    full = json.loads((DATA / "fp_psfFlux_client.json").read_bytes())
    # what the server does: with r:psfFlux alone, the row with no flux is not sent at all
    assert len(alone) == len(full) - 1 and sum(row["r:psfFlux"] is None for row in full) == 1
    server.answer("fp_psfFlux_client.json")
    table = client.query_forced_photometry(FP_ID, columns="r:psfFlux", output_format="json")
    sent = server.calls[0]["json"]["columns"].split(",")
    assert "r:diaObjectId" in sent  # a column that is never null: every row comes back
    assert len(table) == len(full) and int(np.sum(table["r:psfFlux"].mask)) == 1
    assert set(table["r:diaObjectId"].tolist()) == {FP_ID}


# --- VOTable crash, CSV fallback ----------------------------------------------------------------


def test_votable_crash_is_asked_again_in_csv(server, client, caplog):
    # a pandas-3 server: a boolean column null in the newest (first) row cannot be written in VOTable
    assert MANIFEST[CRASH]["status"] == 500
    server.answer(CRASH, f"sources_{FP_ID}_full.csv")
    with caplog.at_level(logging.INFO, logger="astroquery"):
        table = client.query_sources(FP_ID)
    assert [call["json"]["output-format"] for call in server.calls] == ["votable", "csv"]
    assert table.meta["transport"] == "csv"
    assert any("HTTP 500" in record.getMessage() and "CSV" in record.getMessage() for record in caplog.records)
    newest = table[0]
    assert newest["r:midpointMjdTai"] == table["r:midpointMjdTai"].max()
    assert np.ma.is_masked(newest["r:isDipole"])  # the null that crashed the VOTable writer stays masked


def test_csv_fallback_gives_the_table_of_another_transport(server, client):
    # a pandas-2 server: text columns null in every row of a full read cannot be written in VOTable
    name = f"sources_{SMALL_ID}_full_pandas2"
    assert MANIFEST[f"{name}.votable_500.json"]["status"] == 500
    server.answer(f"{name}.votable_500.json", f"{name}.csv")
    table = client.query_sources(SMALL_ID)
    assert table.meta["transport"] == "csv"
    # the same query in JSON goes through another decoder: the same table (JSON rounds floats)
    server.answer(f"{name}.json")
    expected = client.query_sources(SMALL_ID, output_format="json")
    assert len(table) > 1 and len(table.colnames) > 100
    assert_same_table(table, expected, float_rtol=1e-9)


def test_csv_crash_too_raises_with_both_answers(server, client):
    server.answer(CRASH, CRASH)
    with pytest.raises(RemoteServiceError, match=r"HTTP 500.*CSV failed too \(HTTP 500\)"):
        client.query_sources(FP_ID)
    assert [call["json"]["output-format"] for call in server.calls] == ["votable", "csv"]


def test_json_crash_is_not_asked_again(server, client):
    server.answer(CRASH)
    with pytest.raises(RemoteServiceError, match="HTTP 500"):
        client.query_sources(FP_ID, output_format="json")
    assert len(server.calls) == 1
