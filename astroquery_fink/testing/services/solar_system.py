"""Solar-System objects: canned quaero answers, simple orbits, ``rubin.diaSource_sso`` rows and Miriade ephemerides."""

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..generate_helpers import BAND_NOISE, BANDS, Columns, ObjectSpec, source_columns, unique_ids
from ..store import row_key

__all__ = [
    "SolarSystemObject",
    "SSO_OBJECTS",
    "COMETS",
    "RESOLVER_SCHEMA",
    "ephemeris",
    "pack_provisional",
    "ss_object_id",
    "quaero",
    "miriade",
    "tables",
]

#: Columns of ``rubin.sso_resolver``, which the resolver's ssodnet reverse search (ssObjectId -> designations) reads.
RESOLVER_SCHEMA = {
    "r:diaSourceId": "long",
    "r:packed_primary_provisional_designation": "string",
    "r:ssObjectId": "long",
    "r:unpacked_primary_provisional_designation": "string",
}

_RUBIN_LAT, _RUBIN_LON = -30.2446, -70.7494  # observatory X05, degrees (east positive)
_OBLIQUITY = np.radians(23.4392911)
_AU_PER_DAY_KMS = 1731.45683681
_K_DEG = 0.9856076686  # Gaussian mean motion at 1 AU, deg/day
# rotation ICRS (equatorial) -> Galactic
_GALACTIC = np.array([
    [-0.0548755604162154, -0.8734370902348850, -0.4838350155487132],
    [0.4941094278755837, -0.4448296299600112, 0.7469822444972189],
    [-0.8676661490190047, -0.1980763734312015, 0.4559837761750669],
])
# typical S-type colours relative to V, per LSST band
_BAND_COLOUR = {"u": 1.35, "g": 0.38, "r": -0.18, "i": -0.33, "z": -0.38, "y": -0.42}


@dataclass(frozen=True)
class SolarSystemObject:
    """
    One Solar-System object of the replica.

    Attributes
    ----------
    name : str
        Name quaero returns (IAU name, or designation when unnamed).
    designation : str
        Unpacked primary provisional designation (``2015 BC557``).
    aliases : tuple of str
        Other spellings quaero knows (number, names...).
    a, inclination, node : float
        Circular orbit: semi-major axis (AU), inclination and ascending node (degrees).
    h_mag : float
        Absolute magnitude H.
    t_opposition : float
        MJD of the opposition the alerts are centred on.
    n_alerts : int
        Number of Rubin alerts (0: known to quaero, never seen by Rubin).
    """

    name: str
    designation: str
    aliases: tuple
    a: float
    inclination: float
    node: float
    h_mag: float
    t_opposition: float
    n_alerts: int

    @property
    def packed(self):
        """7-character packed designation (``K15Bt7C``)."""
        return pack_provisional(self.designation)


# The examples of the server's /sso tests and user docs. Names, numbers and orbits other than the
# designation pairs 2015 BC557/K15Bt7C, 1996 TC28/J96T28C and 1984 CP are invented [guess].
SSO_OBJECTS = (
    SolarSystemObject("2015 BC557", "2015 BC557", ("2015_BC557",), 2.61, 4.2, 120.0, 18.9, 61080.0, 14),
    SolarSystemObject("1996 TC28", "1996 TC28", (), 2.35, 6.1, 40.0, 16.8, 61020.0, 7),
    SolarSystemObject("1984 CP", "1984 CP", (), 2.78, 9.5, 300.0, 15.9, 61150.0, 9),
    SolarSystemObject("Benoîtcarry", "1995 UJ7", ("8467", "Benoitcarry"), 2.42, 5.5, 210.0, 14.3, 61110.0, 12),
    SolarSystemObject("2014 QS441", "2014 QS441", ("734394",), 2.95, 11.0, 80.0, 17.7, 61200.0, 10),
    SolarSystemObject("2013 RG98", "2013 RG98", ("713454",), 3.12, 2.3, 160.0, 17.2, 61060.0, 8),
    SolarSystemObject("Schwarzschilda", "1916 SC", ("837",), 3.16, 2.0, 250.0, 11.1, 61240.0, 16),
    SolarSystemObject("Ukyounodaibu", "1998 BT6", ("15417",), 2.55, 7.3, 330.0, 14.9, 61170.0, 11),
)

#: Comets quaero knows: name -> aliases (one 7-character provisional designation, no Rubin alert).
COMETS = {"10P/Tempel": ("10P", "0010P", "Tempel 2", "I73N010")}


def _pack_cycle(cycle):
    if cycle < 100:
        return f"{cycle:02d}"
    head, tail = divmod(cycle, 10)
    return ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[head - 10]) + str(tail)


def pack_provisional(designation):
    """
    MPC packed form of a provisional designation (``2015 BC557`` -> ``K15Bt7C``).

    Parameters
    ----------
    designation : str

    Returns
    -------
    str
    """
    year, code = designation.split()
    century = {"18": "I", "19": "J", "20": "K"}[year[:2]]
    cycle = int(code[2:] or 0)
    return f"{century}{year[2:]}{code[0]}{_pack_cycle(cycle)}{code[1]}"


def ss_object_id(packed):
    """
    Rubin ``ssObjectId`` of a packed designation: its ASCII bytes as a big-endian integer.

    ``K15Bt7C`` gives 21164728071239491, the resolver documentation's example (``2015 BC557``).

    Parameters
    ----------
    packed : str

    Returns
    -------
    int
    """
    return int.from_bytes(packed.encode("ascii"), "big")


def _normalise(name):
    # quaero is lenient: case, accents, blanks and underscores do not matter [guess]
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[\s_]+", "", text).casefold()


def _quaero_index():
    index = {}
    for sso in SSO_OBJECTS:
        aliases = tuple(dict.fromkeys((sso.name, sso.designation, sso.packed, *sso.aliases)))
        for alias in aliases:
            index[_normalise(alias)] = (sso.name, aliases)
    for name, aliases in COMETS.items():
        for alias in (name, *aliases):
            index[_normalise(alias)] = (name, (name, *aliases))
    return index


_QUAERO = _quaero_index()


def quaero(name):
    """
    What the SsODNet quaero resolver answers for ``-name=EQUAL:<name>`` (/sso resolves every name there).

    Parameters
    ----------
    name : str

    Returns
    -------
    status : int
        HTTP status.
    body : object
        Decoded JSON: ``{"data": [{"name", "aliases", ...}]}``, or ``[]`` when unknown.
    """
    hit = _QUAERO.get(_normalise(name))
    if hit is None:
        return 200, []
    sso_name, aliases = hit
    entry = {"id": sso_name.replace(" ", "_"), "name": sso_name, "aliases": ", ".join(aliases),
             "type": "Comet" if sso_name in COMETS else "Asteroid"}
    return 200, {"data": [entry], "total": 1}


def _sso_by_name():
    return {sso.name: sso for sso in SSO_OBJECTS}


def _geometry(sso, mjd):
    """Heliocentric and geocentric vectors (ecliptic, AU, AU/day) on circular orbits."""
    t = np.asarray(mjd, dtype=float)
    earth_lon = np.radians(100.464 + 0.9856474 * (t - 51544.5))
    earth_rate = np.radians(0.9856474)
    earth = np.stack([np.cos(earth_lon), np.sin(earth_lon), np.zeros_like(t)])
    earth_v = earth_rate * np.stack([-np.sin(earth_lon), np.cos(earth_lon), np.zeros_like(t)])
    node, inc = np.radians(sso.node), np.radians(sso.inclination)
    rate = np.radians(_K_DEG / sso.a**1.5)
    # at opposition the object sits on the Sun-Earth line, beyond the Earth
    u0 = np.radians(100.464 + 0.9856474 * (sso.t_opposition - 51544.5)) - node
    u = u0 + rate * (t - sso.t_opposition)
    helio = sso.a * np.stack([
        np.cos(node) * np.cos(u) - np.sin(node) * np.sin(u) * np.cos(inc),
        np.sin(node) * np.cos(u) + np.cos(node) * np.sin(u) * np.cos(inc),
        np.sin(u) * np.sin(inc),
    ])
    helio_v = sso.a * rate * np.stack([
        -np.cos(node) * np.sin(u) - np.sin(node) * np.cos(u) * np.cos(inc),
        -np.sin(node) * np.sin(u) + np.cos(node) * np.cos(u) * np.cos(inc),
        np.cos(u) * np.sin(inc),
    ])
    return helio, helio_v, helio - earth, helio_v - earth_v, earth


def _to_equatorial(vec):
    x, y, z = vec
    c, s = np.cos(_OBLIQUITY), np.sin(_OBLIQUITY)
    return np.stack([x, y * c - z * s, y * s + z * c])


def _radec(vec):
    eq = _to_equatorial(vec)
    dist = np.linalg.norm(eq, axis=0)
    ra = np.degrees(np.arctan2(eq[1], eq[0])) % 360.0
    dec = np.degrees(np.arcsin(eq[2] / dist))
    return ra, dec


def ephemeris(sso, mjd):
    """
    Positions, distances, angles and magnitude of an object at the given times.

    Parameters
    ----------
    sso : SolarSystemObject
    mjd : array-like
        Times (MJD; TAI/UTC differences are irrelevant at this precision).

    Returns
    -------
    dict of str to numpy.ndarray
        ``ra``, ``dec`` (deg), ``rate_ra`` (dRA cos dec), ``rate_dec`` (deg/day), ``delta``,
        ``r`` (AU), ``phase``, ``elongation`` (deg), ``v_mag``, ecliptic ``lon``/``lat`` (deg),
        ``range_rate`` (km/s), and the vectors ``helio``, ``helio_v``, ``geo``, ``geo_v``.
    """
    t = np.asarray(mjd, dtype=float)
    helio, helio_v, geo, geo_v, earth = _geometry(sso, t)
    ra, dec = _radec(geo)
    step = 1e-3
    ra_next, dec_next = _radec(_geometry(sso, t + step)[2])
    rate_ra = ((ra_next - ra + 180.0) % 360.0 - 180.0) * np.cos(np.radians(dec)) / step
    rate_dec = (dec_next - dec) / step
    r = np.linalg.norm(helio, axis=0)
    delta = np.linalg.norm(geo, axis=0)
    phase = np.degrees(np.arccos(np.clip(np.sum(helio * geo, axis=0) / (r * delta), -1, 1)))
    elongation = np.degrees(np.arccos(np.clip(np.sum(-earth * geo, axis=0) / delta, -1, 1)))
    tan_half = np.tan(np.radians(phase) / 2)
    # H, G photometric system with G = 0.15
    phi1, phi2 = np.exp(-3.33 * tan_half**0.63), np.exp(-1.87 * tan_half**1.22)
    v_mag = sso.h_mag + 5 * np.log10(r * delta) - 2.5 * np.log10(0.85 * phi1 + 0.15 * phi2)
    return {
        "ra": ra, "dec": dec, "rate_ra": rate_ra, "rate_dec": rate_dec, "delta": delta, "r": r,
        "phase": phase, "elongation": elongation, "v_mag": v_mag,
        "lon": np.degrees(np.arctan2(geo[1], geo[0])) % 360.0, "lat": np.degrees(np.arcsin(geo[2] / delta)),
        "range_rate": np.sum(geo * geo_v, axis=0) / delta * _AU_PER_DAY_KMS,
        "helio": helio, "helio_v": helio_v, "geo": geo, "geo_v": geo_v,
    }


def _local_sky(ra, dec, jd_utc):
    """Local apparent sidereal time, hour angle (deg), altitude and azimuth (deg) at Rubin."""
    gmst = 280.46061837 + 360.98564736629 * (np.asarray(jd_utc) - 2451545.0)
    last = (gmst + _RUBIN_LON) % 360.0
    hour_angle = (last - ra + 180.0) % 360.0 - 180.0
    lat, d, h = np.radians(_RUBIN_LAT), np.radians(dec), np.radians(hour_angle)
    altitude = np.degrees(np.arcsin(np.sin(lat) * np.sin(d) + np.cos(lat) * np.cos(d) * np.cos(h)))
    azimuth = np.degrees(np.arctan2(-np.cos(d) * np.sin(h),
                                    np.sin(d) * np.cos(lat) - np.cos(d) * np.cos(h) * np.sin(lat))) % 360.0
    return last, hour_angle, altitude, azimuth


def miriade(name, epochs):
    """
    Miriade ``ephemcc`` answer as fink-utils reads it (``-tcoor=5``, observer X05,
    ``--colors(SDSS:r,SDSS:g)``, ``--iofile(ephemcc-photom.xml)``).

    The columns are those fink-utils expects from that iofile (``RA``, ``DEC``,
    ``RA_h``, ``DEC_h``, the ecliptic vectors) plus the usual observation quantities;
    positions in decimal degrees, as the Fink portal subtracts them from alert
    positions [guess: exact column set and order].

    Parameters
    ----------
    name : str
        Object name, as the route passes ``f:sso_name``.
    epochs : array-like
        Julian dates (UTC), in request order.

    Returns
    -------
    pandas.DataFrame
        One row per epoch; empty when Miriade has no ephemerides for the name.
    """
    sso = _sso_by_name().get(str(name))
    if sso is None:
        return pd.DataFrame()
    # the client sends epochs with 6 decimals (fink-utils query_miriade)
    jd = np.asarray([float(f"{e:.6f}") for e in np.asarray(epochs, dtype=float)])
    eph = ephemeris(sso, jd - 2400000.5)
    helio_ra, helio_dec = _radec(eph["helio"])
    rows = []
    for k in range(len(jd)):
        rows.append({
            "Date": jd[k],
            "RA": round(float(eph["ra"][k]), 7),
            "DEC": round(float(eph["dec"][k]), 7),
            "Dobs": round(float(eph["delta"][k]), 9),
            "Dhelio": round(float(eph["r"][k]), 9),
            "VMag": round(float(eph["v_mag"][k]), 2),
            "Phase": round(float(eph["phase"][k]), 3),
            "Elong.": round(float(eph["elongation"][k]), 3),
            "dRAcosDEC": round(float(eph["rate_ra"][k]) * 3600 / 1440, 5),  # arcsec/min
            "dDEC": round(float(eph["rate_dec"][k]) * 3600 / 1440, 5),
            "RV": round(float(eph["range_rate"][k]), 5),
            "RA_h": round(float(helio_ra[k]), 7),
            "DEC_h": round(float(helio_dec[k]), 7),
            **{f"p{a}_ec": round(float(eph["geo"][i][k]), 9) for i, a in enumerate("xyz")},
            **{f"p{a}_h_ec": round(float(eph["helio"][i][k]), 9) for i, a in enumerate("xyz")},
            "SDSS:r": round(float(eph["v_mag"][k] - 0.22), 2),
            "SDSS:g": round(float(eph["v_mag"][k] + 0.28), 2),
        })
    return pd.DataFrame(rows)  # fink-utils: DataFrame.from_dict(j["data"]), the same frame


def _visit_times(rng, sso, n):
    """Pairs of visits ~30 min apart on nights around opposition, when the object is high."""
    nights = np.sort(rng.choice(np.arange(-35, 36), size=(n + 1) // 2, replace=False)) + np.floor(sso.t_opposition)
    grid = np.arange(0.04, 0.33, 0.004)
    times = []
    for night in nights:
        mjd = night + grid
        eph = ephemeris(sso, mjd)
        altitude = _local_sky(eph["ra"], eph["dec"], mjd + 2400000.5)[2]
        high = mjd[altitude > 40.0] if np.any(altitude > 40.0) else mjd[[int(np.argmax(altitude))]]
        first = float(rng.choice(high[high < night + 0.31])) if np.any(high < night + 0.31) else float(high[0])
        times.extend([first, first + rng.uniform(0.018, 0.025)])
    times = np.sort(np.asarray(times[:n]) + rng.uniform(0, 20.0 / 86400, size=n))
    return times


def _ss_source_columns(cols, sso, ra, dec, eph):
    """The 37 ssSource columns and the storage columns of the alerts of one object."""
    n = len(ra)
    add = cols.add
    off_ra = (ra - eph["ra"]) * np.cos(np.radians(dec)) * 3600.0
    off_dec = (dec - eph["dec"]) * 3600.0
    rate = np.hypot(eph["rate_ra"], eph["rate_dec"])
    along = (off_ra * eph["rate_ra"] + off_dec * eph["rate_dec"]) / rate
    cross = (-off_ra * eph["rate_dec"] + off_dec * eph["rate_ra"]) / rate
    unit = np.stack([np.cos(np.radians(eph["dec"])) * np.cos(np.radians(eph["ra"])),
                     np.cos(np.radians(eph["dec"])) * np.sin(np.radians(eph["ra"])), np.sin(np.radians(eph["dec"]))])
    gal = _GALACTIC @ unit
    helio, helio_v = _to_equatorial(eph["helio"]), _to_equatorial(eph["helio_v"]) * _AU_PER_DAY_KMS
    geo, geo_v = _to_equatorial(eph["geo"]), _to_equatorial(eph["geo_v"]) * _AU_PER_DAY_KMS
    add("r:designation", np.full(n, sso.designation, dtype=object))
    add("r:diaDistanceRank", pd.array(np.ones(n, dtype=np.int64), dtype="Int64"))
    add("r:eclLambda", eph["lon"])
    add("r:eclBeta", eph["lat"])
    add("r:galLon", np.degrees(np.arctan2(gal[1], gal[0])) % 360.0)
    add("r:galLat", np.degrees(np.arcsin(gal[2])))
    add("r:elongation", eph["elongation"])
    add("r:phaseAngle", eph["phase"])
    add("r:ephRa", eph["ra"])
    add("r:ephDec", eph["dec"])
    add("r:ephVmag", eph["v_mag"])
    add("r:ephRate", rate)
    add("r:ephRateRa", eph["rate_ra"])
    add("r:ephRateDec", eph["rate_dec"])
    add("r:ephOffset", np.hypot(off_ra, off_dec))
    add("r:ephOffsetRa", off_ra)
    add("r:ephOffsetDec", off_dec)
    add("r:ephOffsetAlongTrack", along)
    add("r:ephOffsetCrossTrack", cross)
    add("r:helioRange", eph["r"])
    add("r:helioRangeRate", np.sum(eph["helio"] * eph["helio_v"], axis=0) / eph["r"] * _AU_PER_DAY_KMS)
    add("r:topoRange", eph["delta"])
    add("r:topoRangeRate", eph["range_rate"])
    for axis, name in enumerate("xyz"):
        add(f"r:helio_{name}", helio[axis])
        add(f"r:helio_v{name}", helio_v[axis])
        add(f"r:topo_{name}", geo[axis])
        add(f"r:topo_v{name}", geo_v[axis])
    add("r:helio_vtot", np.linalg.norm(helio_v, axis=0))
    add("r:topo_vtot", np.linalg.norm(geo_v, axis=0))
    add("r:packed_primary_provisional_designation", np.full(n, sso.packed, dtype=object))
    add("r:salt", np.full(n, sso.packed[1:3], dtype=object))
    add("r:observation_reason", np.full(n, "wfd", dtype=object))
    add("r:target_name", np.full(n, "lowdust", dtype=object))


def tables(rng):
    """
    ``rubin.diaSource_sso`` and ``rubin.sso_resolver``, as the server stores them.

    Parameters
    ----------
    rng : numpy.random.Generator

    Returns
    -------
    sso : pandas.DataFrame
        Alert rows keyed ``{packed[1:3]}_{packed}_{midpointMjdTai}``.
    resolver : pandas.DataFrame
        One row per object keyed ``{ssObjectId[-3:]}_{ssObjectId}`` (latest alert's diaSourceId).
    """
    seen = [sso for sso in SSO_OBJECTS if sso.n_alerts]
    times = [_visit_times(rng, sso, sso.n_alerts) for sso in seen]
    all_t = np.concatenate(times)
    ids = unique_ids(rng, len(all_t), 169_000_000_000_000_000, 171_000_000_000_000_000)
    ids = ids[np.argsort(np.argsort(all_t, kind="stable"), kind="stable")]  # ids grow with time
    cols, keys, resolver = Columns(), [], {}
    start = 0
    for sso, t in zip(seen, times, strict=True):
        n = len(t)
        eph = ephemeris(sso, t)
        band = rng.choice(6, size=n, p=[0.03, 0.2, 0.32, 0.3, 0.1, 0.05])
        light = 0.15 * np.sin(2 * np.pi * t / rng.uniform(0.2, 0.5) + rng.uniform(0, 6.3))
        mag = eph["v_mag"] + np.asarray([_BAND_COLOUR[BANDS[b]] for b in band]) + light
        flux = 10 ** ((31.4 - mag) / 2.5)
        err = np.hypot(BAND_NOISE[band], 0.02 * flux)
        flux = flux + rng.normal(0, 1, n) * err
        fp = {"t": t, "band": band, "flux": flux, "err": err}
        stand_in = ObjectSpec("0", "sso", 0.0, 0.0, n, n, float(t[0]), float(t[-1] - t[0]), "Unknown")
        per_object = Columns()
        source_columns(rng, per_object, stand_in, fp, np.arange(n), ids[start:start + n], np.zeros(6))
        # a moving object: measured position = ephemeris + astrometric noise, no diaObject
        ra = eph["ra"] + rng.normal(0, 0.08 / 3600, n) / np.cos(np.radians(eph["dec"]))
        dec = eph["dec"] + rng.normal(0, 0.08 / 3600, n)
        flat = {name: parts[0] for name, parts in per_object.items()}
        flat.update({"r:ra": ra, "r:dec": dec, "r:trailRa": np.where(np.isnan(flat["r:trailRa"]), np.nan, ra),
                     "r:trailDec": np.where(np.isnan(flat["r:trailDec"]), np.nan, dec),
                     "r:diaObjectId": pd.array([None] * n, dtype="Int64"),
                     "r:ssObjectId": pd.array(np.full(n, ss_object_id(sso.packed)), dtype="Int64"),
                     "r:isNegative": np.zeros(n, dtype=bool).astype(object)})
        for name, values in flat.items():
            cols.add(name, values)
        _ss_source_columns(cols, sso, ra, dec, eph)
        keys.extend(row_key(sso.packed[1:3], sso.packed, float(x)) for x in t)
        object_id = str(ss_object_id(sso.packed))
        resolver[row_key(object_id[-3:], object_id)] = {
            "r:diaSourceId": int(ids[start + n - 1]),
            "r:packed_primary_provisional_designation": sso.packed,
            "r:ssObjectId": int(object_id),
            "r:unpacked_primary_provisional_designation": sso.designation,
        }
        start += n
    sso_frame = cols.frame(keys)
    resolver_frame = pd.DataFrame.from_dict(resolver, orient="index")
    resolver_frame["r:diaSourceId"] = resolver_frame["r:diaSourceId"].astype("Int64")
    resolver_frame["r:ssObjectId"] = resolver_frame["r:ssObjectId"].astype("Int64")
    return sso_frame, resolver_frame
