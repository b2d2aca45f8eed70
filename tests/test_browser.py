"""The explorer page in a real browser: Debian's chromium, driven by Selenium through chromium-driver.

Loads with no console error, a filter changes how many points are drawn, a click on a drawn point shows its
breakdown and the command that reproduces it, a pinned point stands beside the next one, and screenshots are not
blank. The live page (``accelsim explore --live``, served in a thread) re-simulates when a control moves and shows
a refused value's one line. Skipped, with one line saying how to install them, where chromium or chromium-driver
is missing.
"""

from __future__ import annotations

import re

import pytest
from browser import chromium_driver, missing_browser
from conftest import SAMPLE

from accelsim.cli import app as cli

pytestmark = pytest.mark.skipif(bool(missing_browser()), reason=missing_browser())

#: Where point i of a plot's trace k is on the screen, relative to the plot element's centre (Selenium's origin).
POINT_JS = """
const [id, row] = arguments;
const gd = document.getElementById(id), ids = window.explorer.state.idx[id === 'plot-front' ? 'front' : 'area'];
for (let k = 0; k < ids.length; k++) {
  const j = Array.prototype.indexOf.call(ids[k], row);
  if (j < 0 || gd.data[k].type !== 'scattergl') continue;
  const L = gd._fullLayout, r = gd.getBoundingClientRect();
  const x = L.xaxis._offset + L.xaxis.l2p(gd.data[k].x[j]), y = L.yaxis._offset + L.yaxis.l2p(gd.data[k].y[j]);
  return [x - r.width / 2, y - r.height / 2];
}
return null;
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser") / "sw"
    assert cli.main(["sweep", str(SAMPLE), "--set", "dram.gbps=3.2,6.4,12.8", "--set", "sram.weight_kib=64,256",
                     "--set", "pe.dtype=fp32,bf16", "--out", str(out), "-q"]) == 0
    assert cli.main(["explore", str(out)]) == 0
    return out / "explore.html"


@pytest.fixture(scope="module")
def driver(page):
    d = chromium_driver()
    d.set_script_timeout(60)
    d.get(page.as_uri())
    yield d
    d.quit()


def _drawn(driver) -> int:
    return driver.execute_script("return document.getElementById('plot-front').data"
                                 ".filter(t => t.type === 'scattergl').reduce((n, t) => n + t.x.length, 0)")


def _not_blank(path) -> None:
    from PIL import Image

    img = Image.open(path).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20)
    assert img.size[0] > 800 and colours and len(colours) > 50, f"{path}: looks blank"
    top = max(c for c, _ in colours)
    assert top < 0.98 * img.size[0] * img.size[1], f"{path}: one colour fills it"


def _click_point(driver, plot: str, row: int) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    at = driver.execute_script(POINT_JS, plot, row)
    assert at, f"row {row} is not drawn in {plot}"
    el = driver.find_element("id", plot)
    ActionChains(driver).move_to_element_with_offset(el, int(at[0]), int(at[1])).pause(0.3).click().perform()


def test_the_page_loads_with_no_console_error(driver, tmp_path):
    assert driver.find_element("id", "count").text.startswith("12 points")
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    assert _drawn(driver) == 12
    driver.save_screenshot(str(tmp_path / "loaded.png"))
    _not_blank(tmp_path / "loaded.png")


def test_a_filter_changes_the_points_drawn(driver, tmp_path):
    box = driver.find_element("css selector", "input[data-cat='dram.gbps'][data-code='0']")
    box.click()
    assert driver.find_element("id", "count").text.startswith("8 points (of 12)")
    assert _drawn(driver) == 8
    driver.save_screenshot(str(tmp_path / "filtered.png"))
    _not_blank(tmp_path / "filtered.png")
    box.click()
    assert driver.find_element("id", "count").text.startswith("12 points")
    assert _drawn(driver) == 12


def test_a_click_shows_the_breakdown_and_the_command(driver, tmp_path):
    _click_point(driver, "plot-front", 5)
    assert driver.execute_script("return window.explorer.state.current") == 5
    detail = driver.find_element("id", "detail").text
    assert "By phase" in detail and "By network" in detail and "forward" in detail and "critic1" in detail
    cmd = driver.find_element("id", "command").text
    assert re.fullmatch(r"accelsim run \S+synthetic_gst_halfcheetah\.parquet --hw edge-lpddr4 --set dram\.gbps=\S+ "
                        r"--set pe\.dtype=\S+ --set sram\.weight_kib=\S+", cmd), cmd
    driver.save_screenshot(str(tmp_path / "clicked.png"))
    _not_blank(tmp_path / "clicked.png")


def test_a_pinned_point_stands_beside_the_next_one(driver):
    _click_point(driver, "plot-front", 2)
    driver.find_element("id", "pin").click()
    _click_point(driver, "plot-area", 9)
    assert driver.execute_script("return [window.explorer.state.pinned, window.explorer.state.current]") == [2, 9]
    detail = driver.find_element("id", "detail").text
    assert "Side by side" in detail and "chosen / pinned" in detail


@pytest.fixture(scope="module")
def live_page():
    """``accelsim explore --live``'s server on a free port of 127.0.0.1, in a thread, shut down after."""
    import threading

    from accelsim.present.live_server import make_server

    server = make_server([str(SAMPLE)], 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_the_live_page_resimulates_when_a_control_moves(live_page, tmp_path):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    d = chromium_driver()
    try:
        d.get(live_page)
        wait = WebDriverWait(d, 120)
        wait.until(lambda d: d.execute_script("return window.live.state.points") == 1)
        before = d.find_element("id", "speedup").text
        assert "By layer" in d.find_element("id", "detail").text and "critic1[1]" in d.find_element("id", "detail").text
        box = d.find_element("css selector", "input[data-key='dram.gbps']")
        box.clear()
        box.send_keys("1.6", Keys.TAB)  # a text input fires its change event when it loses focus
        wait.until(lambda d: d.execute_script("return window.live.state.points") == 2)
        assert d.find_element("id", "speedup").text != before
        assert d.find_element("id", "error").text == ""
        # The tornado around the point comes after it (seconds: the sensitivity study's points).
        wait.until(lambda d: d.execute_script("return window.live.state.tornados") >= 1)
        d.save_screenshot(str(tmp_path / "live.png"))
        _not_blank(tmp_path / "live.png")
        # A value the command line refuses: its one line on the page, and no new point.
        rows = d.find_element("css selector", "input[data-key='pe.rows']")
        # (clear() can fire a change of its own with the box empty, whose refusal may show first: wait for 0's)
        rows.clear()
        rows.send_keys("0", Keys.TAB)
        want = "--set: pe.rows: expected a positive value, got 0"
        wait.until(lambda d: d.find_element("id", "error").text == want)
        assert d.execute_script("return window.live.state.points") == 2
        assert [e for e in d.get_log("browser") if e["level"] == "SEVERE" and "400" not in e["message"]] == []
    finally:
        d.quit()
