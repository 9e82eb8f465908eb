"""Look for clipped content in the built HTML pages, as a browser 1280 px wide lays them out.

Usage (after building the pages; needs a Chromium or Chrome executable, not needed in CI)::

    python -m sphinx -W -b html docs /tmp/docs-html
    python docs/check_layout.py /tmp/docs-html [--width 1280] [--only 'fink/*'] [--screenshots DIR]

For every page, the browser loads a copy of it carrying a small script that lists the elements
a reader sees cut off: a box that scrolls or clips horizontally (code blocks, tables, the
article, the side column) holding wider content, or anything past the right edge of the window. The copies are
deleted afterwards. With ``--screenshots``, a PNG of the top of every page is written too, to
look at. Exit status 1 when a page has clipped content.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Elements whose overflow a reader would notice; the script reports each one wider than its box.
PROBE = """
<script>
window.addEventListener("load", () => {
  const clipped = [];
  for (const element of document.querySelectorAll("body *")) {
    const style = getComputedStyle(element);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // content cut off or behind a scroll bar: a box that clips or scrolls, holding wider content
    const scrolls = ["auto", "scroll", "hidden", "clip"].includes(style.overflowX);
    const cut = scrolls && element.scrollWidth > element.clientWidth + 1;
    // or a box that runs past the right edge of the window
    const outside = box.right > window.innerWidth + 1;
    if (cut || outside) {
      clipped.push(`${element.tagName.toLowerCase()}.${element.className}: content ${element.scrollWidth}px `
                   + `in ${element.clientWidth}px, right edge ${Math.round(box.right)}px: `
                   + element.textContent.trim().slice(0, 70).replace(/\\s+/g, " "));
    }
  }
  document.body.setAttribute("data-clipped", JSON.stringify(clipped));
});
</script>
"""

BROWSER_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def browser():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    sys.exit("no Chromium or Chrome executable found (Debian: apt-get install chromium)")


def clipped_elements(executable, page, width):
    """What the probe reports for one page."""
    probe_copy = page.with_name(f".layout-probe-{page.name}")
    html = page.read_text(encoding="utf-8")
    probe_copy.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as profile:
            dom = subprocess.run(
                [executable, *BROWSER_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},1000",
                 "--virtual-time-budget=10000", "--dump-dom", probe_copy.as_uri()],
                capture_output=True, text=True, timeout=120, check=True).stdout
    finally:
        probe_copy.unlink()
    found = re.search(r'data-clipped="([^"]*)"', dom)
    if found is None:
        return ["the probe did not run"]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                      .replace("&gt;", ">"))


def screenshot(executable, page, width, output):
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([executable, *BROWSER_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},2000",
                        f"--screenshot={output}", page.as_uri()], capture_output=True, timeout=120, check=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="directory of the built pages")
    parser.add_argument("--width", type=int, default=1280, help="window width in px (default 1280)")
    parser.add_argument("--screenshots", type=Path, help="write a PNG of every page here")
    parser.add_argument("--only", default="*", help="pages whose path matches this pattern (default: all)")
    args = parser.parse_args(argv)
    executable = browser()
    pages = sorted(p for p in args.html.rglob("*.html")
                   if not p.name.startswith((".", "_")) and not {"_modules", "_static"} & set(p.parts)
                   and p.name not in ("genindex.html", "search.html", "py-modindex.html")
                   and p.relative_to(args.html).match(args.only))
    failures = 0
    for page in pages:
        name = page.relative_to(args.html)
        problems = clipped_elements(executable, page, args.width)
        failures += bool(problems)
        print(f"{'CLIPPED' if problems else 'ok':8} {name}")
        for problem in problems:
            print(f"         {problem}")
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
            screenshot(executable, page, args.width, args.screenshots / (str(name).replace("/", "_")[:-5] + ".png"))
    print(f"{len(pages)} pages, {failures} with clipped content, at {args.width} px")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
