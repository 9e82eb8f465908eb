"""Regenerate docs/fink/cutouts.png: the three stamps of one replica alert, drawn by plot_cutouts.

Run from anywhere: ``python docs/make_cutouts_figure.py`` (needs the ``replica`` and ``plot``
extras). The stamps come from the embedded replica, so the figure is the same on every machine
with the same versions of the dependencies.

The alert is a detection of the object of the light-curve figure (docs/make_lightcurve_figure.py)
near its peak, so that the difference stamp shows the transient. As for that figure, the page shows
the image at the width of its text column, about 880 px: 9 inches at 150 dots per inch, fonts of 10
to 12 points (13 to 16 px there). Three panels side by side leave each stamp about 2.6 inches; the
colour bars go under them, where they take no width.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed, and the same rendering everywhere

import matplotlib.pyplot as plt

from astroquery_fink import FinkClass
from astroquery_fink.stamps import plot_cutouts
from astroquery_fink.testing import FinkReplica

SOURCE_ID = 169783732249668577  # diaObject 313761043604045880, r band, 35 000 nJy
OUTPUT = Path(__file__).parent / "fink" / "cutouts.png"

FIGURE_SIZE = (9.0, 3.6)  # inches
DPI = 150
STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
}


def main():
    with plt.rc_context(STYLE):
        figure = plt.figure(figsize=FIGURE_SIZE, layout="constrained")
        with FinkReplica() as url:
            plot_cutouts(SOURCE_ID, client=FinkClass(server=url), fig=figure, colorbar=True,
                         title=f"plot_cutouts({SOURCE_ID}, colorbar=True)   (replica data)")
        figure.savefig(OUTPUT, dpi=DPI)
        plt.close(figure)
    print(f"{OUTPUT}: {OUTPUT.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
