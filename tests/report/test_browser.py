"""The HTML reports open in headless Chromium and every image in them loads.

The test set-up (``make browser``, run by ``make test``) installs Debian's
``chromium`` where it is missing; where it could not be installed these tests
skip and say so.
"""

import re
import shutil
import subprocess

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from skfairtune import FairTuneClassifier
from skfairtune.audit import audit_dataset
from skfairtune.callbacks import FairnessMonitor
from skfairtune.report import model_report

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser")
                 if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (make browser installs Debian's chromium package), "
    "so the reports' rendering in a browser is not checked")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Runs after the page (and so every image) has loaded; --dump-dom then shows the result.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const loaded = images.filter(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0);
  document.body.setAttribute("data-images", images.length + " " + loaded.length);
});
</script>"""

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """A model report (with training curves) and an audit, written as HTML files."""
    folder = tmp_path_factory.mktemp("pages")
    rng = np.random.default_rng(0)
    group = rng.choice(["f", "m"], 300)
    X = rng.normal(size=(300, 3)) + (group == "m")[:, None]
    y = (X[:, 1] + rng.normal(size=300) > 0.8).astype(int)
    clf = FairTuneClassifier(max_epochs=3, random_state=0,
                             callbacks=[FairnessMonitor(on="train")])
    clf.fit(X[:200], y[:200], sensitive_features=group[:200])
    base = FairTuneClassifier(max_epochs=0, random_state=0).fit(
        X[:200], y[:200], sensitive_features=group[:200])
    report = model_report(clf, X[200:], y[200:], sensitive_features=group[200:], base=base,
                          budget=0.1, n_boot=200)
    audit = audit_dataset(X, y, sensitive_features=group)
    return {"report": (report.write(folder)["html"], 4),
            "audit": (audit.write(folder)["html"], 2)}


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("page", ["report", "audit"])
def test_every_image_loads(pages, page, tmp_path):
    path, n_images = pages[page]
    probe = tmp_path / "probe.html"
    probe.write_text(path.read_text().replace("</body>", PROBE + "\n</body>"))
    result = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=10000", probe.as_uri())
    found = re.search(r'data-images="(\d+) (\d+)"', result.stdout)
    assert found, f"no result from the page; chromium said: {result.stderr[-2000:]}"
    assert (int(found[1]), int(found[2])) == (n_images, n_images)


def test_screenshot_shows_the_report(pages, tmp_path):
    shot = tmp_path / "report.png"
    result = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,3000",
                      pages["report"][0].as_uri())
    assert shot.exists(), result.stderr[-2000:]
    pixels = imread(shot)
    assert pixels.shape[:2] == (3000, 1200)
    # Text, tables and plots: far from a blank page.
    assert (pixels[..., :3].mean(axis=2) < 0.5).mean() > 0.01


# The report's sections, as a reader of the page sees them.
SECTIONS = ["Summary", "Before and after, by group", "Groups", "Scores by group", "Training",
            "Model card"]


def rendered_text(path, tmp_path) -> str:
    """The page's DOM after Chromium rendered it, tags and all."""
    result = chromium(tmp_path, "--dump-dom", path.as_uri())
    assert "<h1>" in result.stdout, result.stderr[-2000:]
    return result.stdout


def test_the_page_shows_every_section_the_summary_and_the_intervals(pages, tmp_path):
    dom = rendered_text(pages["report"][0], tmp_path)
    assert re.findall(r"<h2>([^<]+)</h2>", dom) == SECTIONS
    assert re.search(r"the demographic parity gap is \d\.\d{3} \(90% interval "
                     r"\d\.\d{3} to \d\.\d{3}\)", dom)
    assert "Compared with the base model, accuracy went from" in dom
    assert "chosen 90% interval" in dom and "Package versions" in dom


@pytest.mark.slow
def test_the_demo_report_in_a_browser(tmp_path):
    """The demo, on a sample of Adult, writes a page with every section and the
    budget's verdict; a screenshot of it is far from blank."""
    from skfairtune.cli import main

    out = tmp_path / "demo"
    assert main(["demo", "--sample", "3000", "--no-progress", "--out", str(out)]) == 0
    dom = rendered_text(out / "report.html", tmp_path)
    headings = re.findall(r"<h2>([^<]+)</h2>", dom)
    assert headings == ["Summary", "Before and after, by group", "Explaining the gap",
                        "Model selection", "Groups", "Scores by group", "Training",
                        "Model card"]
    assert re.search(r"The (model is within|model is over|interval straddles) the budget "
                     r"of 0\.05", dom)
    assert "Adult (UCI census income)" in dom  # the model card
    shot = tmp_path / "demo.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1300,4000",
             (out / "report.html").as_uri())
    pixels = imread(shot)
    assert (pixels[..., :3].mean(axis=2) < 0.5).mean() > 0.01
