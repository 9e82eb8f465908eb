"""
Fink/LSST broker queries
========================

Access to the Rubin/LSST alert data served by the Fink broker
(https://api.lsst.fink-portal.org), returned as `~astropy.table.Table` objects whose
columns carry units, descriptions, exact 64-bit identifiers and masked nulls.
"""
from astropy import config as _config

try:
    from .version import version as __version__
except ImportError:  # running from a source tree that was never installed
    __version__ = "0.0.0"


class Conf(_config.ConfigNamespace):
    """
    Configuration parameters for `astroquery_fink`.
    """

    # A plain string (not a list of mirrors) so that users can point the client at a
    # staging server or at the local replica at run time (astroquery #3413/#3414).
    server = _config.ConfigItem(
        "https://api.lsst.fink-portal.org",
        "Base URL of the Fink/LSST REST API.",
    )
    timeout = _config.ConfigItem(
        120,
        "Time limit in seconds for one HTTP request to the Fink API.",
    )


conf = Conf()

from .core import Fink, FinkClass  # noqa: E402  (core reads conf, which must exist first)

__all__ = ["Fink", "FinkClass", "Conf", "conf", "__version__"]
