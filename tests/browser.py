"""Debian's Chromium, driven through chromium-driver by Selenium: for the browser tests and the explorer benchmark.

Nothing downloads a browser: the tests use ``chromium`` and ``chromedriver`` as ``apt-get install -y chromium
chromium-driver`` installs them (``make test`` does), and skip with one line where they are missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

INSTALL = "apt-get install -y chromium chromium-driver"


def _paths() -> tuple[str | None, str | None]:
    """Chromium's and chromium-driver's executables, or None where missing."""
    driver = shutil.which("chromedriver")
    if driver is None and Path("/usr/lib/chromium/chromedriver").is_file():  # Debian's own place for it
        driver = "/usr/lib/chromium/chromedriver"
    return shutil.which("chromium") or shutil.which("chromium-browser"), driver


def missing_browser() -> str:
    """Why the browser tests cannot run here (one line), or "" when they can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return 'selenium is not installed: pip install -e ".[test]"'
    browser, driver = _paths()
    if not browser or not driver:
        return f"Debian's chromium and chromium-driver are not installed: {INSTALL}"
    return ""


def chromium_driver(width: int = 1600, height: int = 1000):
    """A headless Chromium under Selenium, its console log kept (``driver.get_log("browser")``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = _paths()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start. SwiftShader is Chromium's own
    # software WebGL, for machines without a GPU (Plotly's scattergl needs WebGL).
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--enable-unsafe-swiftshader",
              "--use-angle=swiftshader", f"--window-size={width},{height}"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=opts)
