"""
A Fink result combined with another astroquery service by position, offline.

The chain the documentation shows ("Combining with other services"): a cone search of the
replica, its positions sent to VizieR as a `~astropy.coordinates.SkyCoord` list, and the Gaia
sources that come back matched to the Fink objects, with `SkyCoord.match_to_catalog_sky` +
`~astropy.table.hstack` and with `~astropy.table.join` on VizieR's ``_q`` rank. VizieR is
answered by ``data/vizier_gaia_dr3_fink_cone.vot``, a hand-made stand-in of its answer (see the
file's header), so nothing leaves the machine.
"""
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import hstack, join
from astroquery.utils.mocks import MockResponse
from astroquery.vizier import Vizier

from astroquery_fink import FinkClass

VIZIER_ANSWER = Path(__file__).parent / "data" / "vizier_gaia_dr3_fink_cone.vot"
CENTRE = SkyCoord(7.4550, -44.635, unit="deg")
# the cone's objects, nearest first, and the Gaia sources the stand-in puts next to them
CONE_IDS = [313888627082919999, 313889004712635843, 313890577316982674, 313887162041295805]
GALAXY, RR_LYRAE = CONE_IDS[1], CONE_IDS[2]
NEAREST_SOURCE = {GALAXY: 4976100000000000021, RR_LYRAE: 4976100000000000022}
SOURCE_OFFSET = {4976100000000000021: 0.25, 4976100000000000022: 0.12, 4976100000000000023: 1.6}  # arcsec
VIZIER_RADIUS = 2 * u.arcsec


@pytest.fixture
def cone(fink_replica):
    """The replica's objects within 3 arcmin of CENTRE."""
    fink = FinkClass(server=fink_replica)
    return fink.query_region(CENTRE, 3 * u.arcmin, columns="r:diaObjectId,r:nDiaSources,f:main_label_crossmatch")


class RecordedVizier:
    """Stands for VizieR's HTTP service: records the requests, answers with the recorded stand-in."""

    def __init__(self):
        self.requests = []

    def __call__(self, method, url, *, data=None, **kwargs):
        self.requests.append((method, url, data))
        return MockResponse(VIZIER_ANSWER.read_bytes(), url=url)


@pytest.fixture
def vizier(monkeypatch):
    """A VizieR client for Gaia DR3 whose requests never leave the machine; ``vizier.service`` records them."""
    client = Vizier(catalog="I/355/gaiadr3", columns=["Source", "RA_ICRS", "DE_ICRS", "Gmag", "VarFlag"])
    client.service = RecordedVizier()
    monkeypatch.setattr(client, "_request", client.service)
    return client


def fink_positions(table):
    return SkyCoord(table["r:ra"], table["r:dec"])


def payload_positions(payload):
    """The target positions of a VizieR multi-position payload (``-c=<<====AstroqueryList`` block)."""
    lines = payload.splitlines()
    start = lines.index("-c=<<====AstroqueryList") + 1
    stop = lines.index("====AstroqueryList")
    ra, dec = [], []
    for line in lines[start:stop]:
        split = max(line.rfind("+"), line.rfind("-"))
        ra.append(float(line[:split]))
        dec.append(float(line[split:]))
    # VizieR's positions are FK5 J2000 (astroquery converts the ICRS coordinates it is given)
    return SkyCoord(ra, dec, unit="deg", frame="fk5")


def gaia_positions(table):
    return SkyCoord(table["RA_ICRS"], table["DE_ICRS"])


def test_cone_is_the_one_the_recorded_answer_was_made_for(cone):
    assert cone["r:diaObjectId"].tolist() == CONE_IDS
    assert cone["r:ra"].unit == u.deg and cone["r:diaObjectId"].dtype == np.int64


def test_fink_positions_reach_vizier(cone, vizier):
    positions = fink_positions(cone)
    payload = vizier.query_region(positions, radius=VIZIER_RADIUS, get_query_payload=True)
    assert not vizier.service.requests  # a payload is only built
    sent = payload_positions(payload)
    assert len(sent) == len(cone)
    # the same points, in the same order (the order _q refers to), to the payload's 1e-8 deg
    assert (sent.separation(positions) < 0.1 * u.arcsec).all()
    assert "-c.rs=2.0" in payload.splitlines()
    assert "-out.add=_q" in payload.splitlines()

    gaia = vizier.query_region(positions, radius=VIZIER_RADIUS)[0]
    (method, url, data), = vizier.service.requests
    assert method == "POST" and data == payload
    assert gaia["Gmag"].unit == u.mag and gaia["Source"].dtype == np.int64


def test_nearest_gaia_source_of_each_fink_object(cone, vizier):
    positions = fink_positions(cone)
    gaia = vizier.query_region(positions, radius=VIZIER_RADIUS)[0]

    index, separation, _ = positions.match_to_catalog_sky(gaia_positions(gaia))
    matched = separation < 1 * u.arcsec
    pairs = hstack([cone[matched], gaia[index[matched]]])
    pairs["separation"] = separation[matched].to(u.arcsec)

    assert dict(zip(pairs["r:diaObjectId"].tolist(), pairs["Source"].tolist(), strict=True)) == NEAREST_SOURCE
    # each pair is really side by side: the separation recomputed from the joined row's own columns
    again = fink_positions(pairs).separation(gaia_positions(pairs)).to_value(u.arcsec)
    assert np.allclose(again, pairs["separation"].value, atol=1e-6)
    assert np.allclose(pairs["separation"].value, [SOURCE_OFFSET[s] for s in pairs["Source"].tolist()], atol=1e-3)
    # both services' metadata survive the stacking
    assert pairs["r:ra"].unit == u.deg and pairs["Gmag"].unit == u.mag and pairs["separation"].unit == u.arcsec
    assert pairs["r:diaObjectId"].dtype == np.int64 and pairs["Source"].dtype == np.int64
    assert pairs["f:main_label_crossmatch"].tolist() == ["G", "RRLyr"]
    assert pairs[pairs["r:diaObjectId"] == RR_LYRAE]["VarFlag"][0] == "VARIABLE"


def test_join_on_vizier_rank_keeps_every_fink_object(cone, vizier):
    positions = fink_positions(cone)
    gaia = vizier.query_region(positions, radius=VIZIER_RADIUS)[0]

    cone["_q"] = np.arange(1, len(cone) + 1)
    joined = join(cone, gaia, keys="_q", join_type="left")

    # every Fink object once, the RR Lyrae twice (two Gaia sources within 2 arcsec), in _q order
    assert joined["r:diaObjectId"].tolist() == [CONE_IDS[0], GALAXY, RR_LYRAE, RR_LYRAE, CONE_IDS[3]]
    no_source = joined["Source"].mask
    assert joined["r:diaObjectId"][no_source].tolist() == [CONE_IDS[0], CONE_IDS[3]]
    assert sorted(joined["Source"][~no_source].tolist()) == sorted(SOURCE_OFFSET)
    # _q paired each source with the object it was found around: within VizieR's radius of it
    with_source = joined[~no_source]
    separation = fink_positions(with_source).separation(gaia_positions(with_source))
    assert (separation < VIZIER_RADIUS).all()
    assert np.allclose(separation.to_value(u.arcsec), [SOURCE_OFFSET[s] for s in with_source["Source"].tolist()],
                       atol=1e-3)
    assert joined["r:ra"].unit == u.deg and joined["Gmag"].unit == u.mag
