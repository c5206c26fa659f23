"""The HTML report in a real headless browser (Debian's chromium, driven by selenium through chromedriver): the
page loads, its filters and expanders work, a hostile target's content runs no script, and a screenshot is kept.

Needs the packages ``chromium`` and ``chromium-driver`` and selenium. Without them the tests skip, unless
NAMEKO_CONFORMANCE_BROWSER=require (set by the env that installs them), where they fail instead. Screenshots go to
NAMEKO_CONFORMANCE_SCREENSHOT_DIR (default: the test's tmp dir); NAMEKO_CONFORMANCE_UPDATE_SCREENSHOT=1 also
writes the README's docs/report-screenshot.png. The realistic report comes from a real run of the kit on a private
broker node, so these tests need RabbitMQ's server installed (as the self-tests do).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from nameko_conformance import html_report
from report_documents import HOSTILE, real_document, synthetic_document

CHROMIUM = os.environ.get("NAMEKO_CONFORMANCE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NAMEKO_CONFORMANCE_CHROMEDRIVER", "/usr/bin/chromedriver")
REQUIRED = os.environ.get("NAMEKO_CONFORMANCE_BROWSER") == "require"
README_SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "report-screenshot.png"
# Flags that keep chromium quiet on a closed network: no background fetches, no updates, no sync, no QUIC.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
                  "--disable-dev-shm-usage", "--hide-scrollbars")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install -y {package})"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _missing()
    if missing:
        if REQUIRED:
            pytest.fail(f"NAMEKO_CONFORMANCE_BROWSER=require but {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="report-browser-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # with both paths given, selenium never looks for (or fetches) a browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1360,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshots(tmp_path) -> Path:
    directory = Path(os.environ.get("NAMEKO_CONFORMANCE_SCREENSHOT_DIR") or tmp_path / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def open_report(driver, document: dict, directory: Path):
    page = directory / "report.html"
    page.write_text(html_report.render(document), "utf-8")
    driver.get(page.as_uri())
    driver.get_log("browser")  # start each page with an empty console
    return page


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def shown_requirements(driver) -> set[str]:
    from selenium.webdriver.common.by import By

    return {el.get_attribute("id") for el in driver.find_elements(By.CSS_SELECTOR, "details.req") if el.is_displayed()}


def expand(driver, req_id: str):
    from selenium.webdriver.common.by import By

    item = driver.find_element(By.ID, f"req-{req_id}")
    summary = item.find_element(By.TAG_NAME, "summary")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)  # clear of the sticky filters
    summary.click()
    assert item.get_attribute("open") is not None
    return item


def test_synthetic_report_filters_expands_and_stays_inert(browser, tmp_path, screenshots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    document = synthetic_document()
    requirements = document["requirements"]

    def expected(verdicts=html_report.PROBLEM_VERDICTS, level=None, role=None) -> set[str]:
        return {f"req-{r}" for r, e in requirements.items() if e["verdict"] in verdicts
                and level in (None, e["level"]) and role in (None, e["role"])}

    open_report(browser, document, tmp_path)
    assert browser.find_element(By.ID, "gate").text.split()[:2] == ["gate", "FAIL"]
    assert len(shown_requirements(browser)) == 13
    assert browser.find_element(By.ID, "shown").text == "13 of 13 requirements shown"

    # The hostile target's markup ran nothing and added no element.
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.scripts.length") == 1
    assert not browser.find_elements(By.CSS_SELECTOR, "img, svg, textarea, iframe")

    # Filter by verdict: only the problems.
    browser.find_element(By.ID, "f-problems").click()
    assert shown_requirements(browser) == expected() and len(expected()) == 8
    pass_tile = browser.find_element(By.CSS_SELECTOR, 'a.tile[data-verdict="pass"]')
    assert "dim" in pass_tile.get_attribute("class").split()

    # …and by level and role on top of it.
    Select(browser.find_element(By.ID, "f-level")).select_by_value("MUST")
    Select(browser.find_element(By.ID, "f-role")).select_by_value("server")
    assert shown_requirements(browser) == expected(level="MUST", role="server") and "req-RPC-REPLY-2" in expected()
    assert browser.find_element(By.ID, "shown").text == f"{len(expected(level='MUST', role='server'))} of 13 " \
                                                        "requirements shown"

    failing = expand(browser, "RPC-REPLY-2")
    finding = failing.find_element(By.CSS_SELECTOR, ".finding")
    assert finding.find_element(By.CSS_SELECTOR, ".expected").is_displayed()
    observed = finding.find_element(By.CSS_SELECTOR, ".observed").text
    assert "<script>window.__pwned=1</script></textarea>" in observed  # shown as the text it is
    shown = finding.text.lower()  # headings are drawn in capitals
    assert "as the broker saw them" in shown and "(default exchange)" in shown
    assert "messages not shown" in shown and "more bytes not shown" in shown
    assert "last target line" in finding.find_element(By.CSS_SELECTOR, "pre.target-output-tail").text
    assert "last driver line" in finding.find_element(By.CSS_SELECTOR, "pre.driver-output-tail").text
    copy = finding.find_element(By.CSS_SELECTOR, ".repro button.copy")
    assert "nameko-conformance run" in finding.find_element(By.CSS_SELECTOR, ".repro pre").text
    copy.click()
    answered = WebDriverWait(browser, 10).until(lambda _: copy.get_attribute("data-copied"))
    assert answered in ("yes", "no")  # copied, or (where the clipboard is refused) the command is selected
    if answered == "no":
        assert browser.execute_script("return window.getSelection().toString() === arguments[0].textContent",
                                      finding.find_element(By.CSS_SELECTOR, ".repro pre"))
    assert browser.execute_script("return window.__pwned === undefined")

    browser.find_element(By.ID, "f-all").click()
    assert len(shown_requirements(browser)) == 13
    browser.save_screenshot(str(screenshots / "synthetic-report.png"))
    assert console_errors(browser) == []


def test_hostile_text_search_is_literal(browser, tmp_path):
    from selenium.webdriver.common.by import By

    open_report(browser, synthetic_document(), tmp_path)
    box = browser.find_element(By.ID, "f-text")
    box.send_keys("judged masked")
    assert shown_requirements(browser) == {"req-RPC-REPLY-8"}
    box.clear()
    box.send_keys(HOSTILE[:20])
    assert len(shown_requirements(browser)) == 13  # every requirement's text carries the payload
    assert browser.execute_script("return window.__pwned === undefined")


@pytest.fixture(scope="module")
def real_report(tmp_path_factory) -> dict:
    return real_document(tmp_path_factory.mktemp("real-run"))


def test_real_report_shows_the_failure_as_the_broker_saw_it(browser, real_report, tmp_path, screenshots):
    from selenium.webdriver.common.by import By

    failing = sorted(r for r, e in real_report["requirements"].items() if e.get("verdict") == "fail")
    assert "RPC-REPLY-1" in failing, failing  # the fault: error replies go to the default exchange
    open_report(browser, real_report, tmp_path)
    assert browser.find_element(By.ID, "gate").text.split()[:2] == ["gate", "FAIL"]
    tile = browser.find_element(By.CSS_SELECTOR, 'a.tile[href="#req-RPC-REPLY-1"]')
    assert "v-fail" in tile.get_attribute("class").split()

    browser.find_element(By.ID, "f-problems").click()
    assert "req-RPC-REPLY-1" in shown_requirements(browser)
    assert "req-TOPO-1" not in shown_requirements(browser)

    tile.click()  # the matrix tile opens its requirement
    item = browser.find_element(By.ID, "req-RPC-REPLY-1")
    assert item.get_attribute("open") is not None
    finding = item.find_element(By.CSS_SELECTOR, ".finding")
    assert finding.is_displayed()
    first = real_report["requirements"]["RPC-REPLY-1"]["findings"][0]
    assert finding.find_element(By.CSS_SELECTOR, ".expected pre").text == first["expected"]
    assert finding.find_element(By.CSS_SELECTOR, ".observed pre").text == first["observed"]
    messages = finding.find_elements(By.CSS_SELECTOR, ".msg")
    assert messages and all(m.is_displayed() for m in messages)
    assert "routed to" in finding.text  # the firehose recorded where each publish went
    last_line = real_report["target_output_tail"].strip().splitlines()[-1].strip()
    assert last_line in finding.find_element(By.CSS_SELECTOR, "pre.target-output-tail").text
    assert finding.find_element(By.CSS_SELECTOR, ".repro pre").text == first["reproduce"]
    assert browser.execute_script("return document.scripts.length") == 1
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -140);", item)
    browser.save_screenshot(str(screenshots / "real-report-failure.png"))
    # The overview for the README: summary, matrix and the expanded failure in one tall picture.
    browser.set_window_size(1360, 2000)
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(screenshots / "real-report-overview.png"))
    if os.environ.get("NAMEKO_CONFORMANCE_UPDATE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(screenshots / "real-report-overview.png", README_SCREENSHOT)
    browser.set_window_size(1360, 1000)
    assert console_errors(browser) == []
