"""The HTML report in a real headless Chromium (the Debian `chromium` package that
scripts/setup.sh installs): no console errors, no request leaves the file, every image decodes,
and the overview (verdicts and the speedup heat map) is on the first screen."""
import base64

import pytest

from conftest import SAMPLE_A, run_script

from bbreport import browser

CHROMIUM = browser.find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed here and could not be (scripts/setup.sh installs the "
           "Debian package `chromium`); the real-browser check of the HTML report is skipped")

OVERVIEW = ["#overview", "#overview ~ ul", "#overview_speedup", "#overview_time_vs_size",
            "nav.toc", "details"]


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    res = run_script("report.py", SAMPLE_A, "--out-dir", out, "--title", "Browser check")
    assert res.returncode == 0, res.stderr
    shot = out / "first_screen.png"
    result = browser.inspect(out / "report.html", OVERVIEW, screenshot=shot)
    result["html"] = (out / "report.html").read_text()
    result["shot"] = shot.read_bytes()
    return result


def test_no_console_errors_and_no_network(seen):
    assert seen["console_errors"] == []
    assert seen["requests"], "the page was not loaded"
    assert all(u.startswith(("file://", "data:")) for u in seen["requests"]), seen["requests"]


def test_every_image_decodes(seen):
    images = seen["images"]
    assert len(images) == seen["html"].count("data:image/png;base64,") >= 6
    for im in images:
        assert im["decoded"] and im["width"] > 100 and im["height"] > 100, im


def test_overview_is_above_the_fold(seen):
    height = seen["viewport"][1]
    boxes = seen["boxes"]
    assert boxes["#overview"]["top"] < height / 2
    assert boxes["#overview ~ ul"]["bottom"] < height          # every verdict line
    assert boxes["#overview_speedup"]["top"] < height * 0.75    # the heat map starts on screen
    assert boxes["#overview_time_vs_size"]["top"] < height * 0.75
    # the details come after the overview, collapsed, with a table of contents first
    assert boxes["nav.toc"]["top"] > boxes["#overview_speedup"]["top"]
    assert boxes["details"]["top"] > boxes["nav.toc"]["top"]
    assert "fused wins" in seen["text"][:3000]
    assert seen["shot"][:8] == b"\x89PNG\r\n\x1a\n"


def test_the_check_catches_a_broken_page(tmp_path):
    """The same probe on a page with a console error and an image that does not decode."""
    good = base64.b64encode(open(__file__, "rb").read()[:40]).decode()
    page = tmp_path / "broken.html"
    page.write_text(f'<!DOCTYPE html><html><body><img id="bad" src="data:image/png;base64,{good}">'
                    '<script>console.error("boom")</script></body></html>')
    seen = browser.inspect(page, ["#missing"])
    assert any("boom" in e for e in seen["console_errors"])
    assert [im["decoded"] for im in seen["images"]] == [False]
    assert seen["boxes"]["#missing"] is None


def test_recorded_report_first_screen():
    """The report kept in reports/ (regenerated from its JSON) passes the same checks."""
    import os
    from conftest import ROOT
    page = os.path.join(ROOT, "reports", "bridge-emulate-h100", "report.html")
    seen = browser.inspect(page, OVERVIEW)
    assert seen["console_errors"] == [] and all(i["decoded"] for i in seen["images"])
    assert all(u.startswith(("file://", "data:")) for u in seen["requests"])
    assert seen["boxes"]["#overview_speedup"]["top"] < seen["viewport"][1] * 0.75
    assert "68 configs, all correct" in seen["text"]


def test_an_aborted_run_is_the_first_thing_seen(tmp_path):
    """Issue 20: an interrupted host run's report, in the browser: the red ABORTED line is the
    first thing under the title, the line on what the times are follows, the overview is still
    on the first screen."""
    import json
    import os
    from conftest import DATA
    doc = json.load(open(os.path.join(DATA, "aa_host_2.json")))
    doc["aborted"] = {"rule": "interrupted", "signal": "SIGTERM",
                      "error": "interrupted by SIGTERM after 8 of 12 configs"}
    src = tmp_path / "aborted.json"
    src.write_text(json.dumps(doc))
    out = tmp_path / "rep"
    assert run_script("report.py", src, "--out-dir", out).returncode == 0
    seen = browser.inspect(out / "report.html", ["p.alert", "p.warn", "#overview"],
                           screenshot=tmp_path / "shot.png")
    assert seen["console_errors"] == [] and all(i["decoded"] for i in seen["images"])
    boxes, height = seen["boxes"], seen["viewport"][1]
    assert boxes["p.alert"]["top"] < 120 and boxes["p.alert"]["bottom"] < boxes["#overview"]["top"]
    assert boxes["p.warn"]["bottom"] < height and boxes["#overview"]["top"] < height * 0.75
    assert seen["text"].index("ABORTED (interrupted, SIGTERM)") < seen["text"].index("Times:")
