"""The HTML page as a person sees it: opened in headless Chromium, its tables, plots and sorting work."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rris_bench.report.leaderboard import write_board
from test_leaderboard import make_records

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed "
                                "(Debian: apt-get install -y chromium)")

# Injected into a copy of the page only (the product page has no test hooks): after load, report how many
# images decoded, then sort the val table by rIoU twice (descending, then ascending) and report the orders.
PROBE = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var table = Array.prototype.filter.call(document.querySelectorAll("h3"), function (h) {
    return h.textContent === "rtoy · unc · val"; })[0];
  while (table.tagName !== "TABLE") { table = table.nextElementSibling; }
  var th = Array.prototype.filter.call(table.tHead.rows[0].cells, function (c) { return c.textContent === "rIoU"; })[0];
  function order() { return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
    return r.cells[0].textContent; }).join(","); }
  th.click(); var first = order(); th.click(); var second = order();
  var out = document.createElement("pre"); out.id = "probe";
  out.textContent = "images " + ok + "/" + imgs.length + "; sorted " + first + " then " + second;
  document.body.appendChild(out);
});
</script>"""


def chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={user_data}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("board")
    written = write_board(make_records(), out, html=True)
    return Path(written["html"])


def test_page_is_self_contained(page):
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["'](?!data:)""", text)  # nothing fetched: no external files or URLs
    assert text.count('src="data:image/png;base64,') == 5


def test_page_renders_tables_images_and_sorts_in_chromium(page, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", probe.as_uri(), user_data=tmp_path / "ud").stdout
    for text in ("rris-bench leaderboard", "Measured results", "Reported results (published, not measured here)",
                 "rtoy · unc · val", "rtoy · unc · testA", "41.24", "<code>tiny.jsonl</code>", "RefSegformer",
                 "R-RIS paper, Fig. 1", "Robustness trade-off: rIoU vs mIoU (rtoy · unc · val)"):
        assert text in dom, text
    probe_text = re.search(r'<pre id="probe">(.*?)</pre>', dom).group(1)
    assert probe_text == "images 5/5; sorted oracle,tiny,empty then empty,tiny,oracle"


def test_screenshot_shows_the_page(page, tmp_path):
    shot = tmp_path / "page.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,2200", page.as_uri(), user_data=tmp_path / "ud")
    with Image.open(shot) as image:
        assert image.size == (1280, 2200)
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    # text and table rules (dark), the reported block's tint, and the plots' tab10 colours are all painted
    assert (pixels.sum(axis=1) < 150).mean() > 0.002
    for colour in ((31, 119, 180), (255, 127, 14), (44, 160, 44)):  # tab10 blue, orange, green
        assert (np.abs(pixels.astype(int) - colour).sum(axis=1) < 30).sum() > 200, colour
