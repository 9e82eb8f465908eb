"""``python -m astroquery_fink.cli``: the ``fink-query`` command, as ``python -m astroquery_fink``."""
import sys

from . import main

sys.exit(main())
