"""The ``rubin.statistics`` table: per-night counters of the Rubin alert stream processed by Fink."""

import datetime

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "FIXED_NIGHTS", "statistics_table"]

#: The 21 stored counters and versions; the night is the row key (returned as ``f:night``).
COLUMNS = (
    "f:alerts", "f:alerts_g", "f:alerts_i", "f:alerts_r", "f:alerts_u", "f:alerts_y", "f:alerts_z",
    "f:fink_broker_version", "f:fink_science_version", "f:glint_trail", "f:in_tns", "f:isDipole",
    "f:is_cataloged", "f:is_first", "f:is_sso", "f:lsst_schema_version", "f:objects", "f:pixelFlags_cr",
    "f:pixelFlags_saturated", "f:pixelFlags_streak", "f:visits",
)

#: Nights quoted by the server's tests and examples, with the alert count its test checks (20251102: 1348).
FIXED_NIGHTS = {"20250906": None, "20251102": 1348, "20260129": None}

_FIRST_NIGHT = datetime.date(2025, 9, 6)
_N_NIGHTS_2025 = 37  # server test: date=2025 -> 37 nights
_N_NIGHTS_2026 = 96
_LAST_NIGHT = datetime.date(2026, 6, 20)
# fink-broker 4.1 / fink-science 8.36 from 2026-03-01 on, as in the diaSource data
_BROKER_41 = datetime.date(2026, 3, 1)
_BAND_SHARE = {"u": 0.05, "g": 0.15, "r": 0.3, "i": 0.28, "z": 0.14, "y": 0.08}


def _nights(rng):
    """Observing nights: 37 in 2025 from 2025-09-06, then nights of 2026 up to 2026-06-20."""
    days_2025 = [_FIRST_NIGHT + datetime.timedelta(days=i) for i in range(1, 117)]
    forced = [datetime.date.fromisoformat(f"{n[:4]}-{n[4:6]}-{n[6:]}") for n in FIXED_NIGHTS]
    pool = [d for d in days_2025 if d not in forced]
    chosen = set(rng.choice(len(pool), size=_N_NIGHTS_2025 - 2, replace=False).tolist())
    nights_2025 = sorted([_FIRST_NIGHT, forced[1]] + [d for i, d in enumerate(pool) if i in chosen])
    new_year = datetime.date(2026, 1, 1)
    days_2026 = [new_year + datetime.timedelta(days=i) for i in range((_LAST_NIGHT - new_year).days + 1)]
    pool = [d for d in days_2026 if d != forced[2]]
    chosen = set(rng.choice(len(pool), size=_N_NIGHTS_2026 - 1, replace=False).tolist())
    nights_2026 = sorted([forced[2]] + [d for i, d in enumerate(pool) if i in chosen])
    return nights_2025 + nights_2026


def statistics_table(rng):
    """
    One row per night, every cell a string (the route does no type restoration).

    Parameters
    ----------
    rng : numpy.random.Generator

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        Cells indexed by ``YYYYMMDD``, and the table's schema (every column ``string``).
    """
    rows = {}
    for night in _nights(rng):
        key = night.strftime("%Y%m%d")
        growth = 1.0 + 4.0 * max(0, (night - _FIRST_NIGHT).days) / 287
        alerts = FIXED_NIGHTS.get(key) or int(rng.lognormal(np.log(2500 * growth), 0.5))
        shares = rng.dirichlet([200 * _BAND_SHARE[b] for b in "ugrizy"])
        bands = rng.multinomial(alerts, shares)
        new = night >= _BROKER_41

        def count(rate, n=alerts):
            return str(int(rng.binomial(n, rate)))

        row = {f"f:alerts_{b}": str(int(n)) for b, n in zip("ugrizy", bands, strict=True)}
        row.update({
            "f:alerts": str(alerts),
            "f:objects": count(0.62),
            "f:visits": str(int(rng.integers(60, 900))),
            "f:is_sso": count(0.11),
            "f:is_first": count(0.38),
            "f:is_cataloged": count(0.21),
            "f:in_tns": count(0.006),
            "f:glint_trail": count(0.002),
            "f:isDipole": count(0.05),
            "f:pixelFlags_cr": count(0.03),
            "f:pixelFlags_saturated": count(0.012),
            "f:pixelFlags_streak": count(0.004),
            "f:fink_broker_version": "4.1" if new else "4.0",
            "f:fink_science_version": "8.36.0" if new else "8.26.0",
            "f:lsst_schema_version": "lsst.v10_0",
        })
        rows[key] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")[list(COLUMNS)]
    return frame, dict.fromkeys(COLUMNS, "string")
