"""The products import in a real Chromium against gunicorn AND the real job runner (huey_consumer on the SQLite
queue, as `make run` starts it) with the demo shop: the owner uploads a CSV with two bad rows, keeps the guessed
mapping, sees both problems in the preview, starts the import, watches the progress bar until it replaces itself
with the result, and downloads the report of the two refused rows. Screenshots go to test-artifacts/."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys

import pytest

from tests.browser.test_pos_browser import PASSWORD, DemoDb, demo_database, wait_for_code  # noqa: F401 (fixtures)
from tests.fixtures_live import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER = "owner@demo.shop"
ROWS = 400


@pytest.fixture
def owner_page(live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    shutil.copyfile(demo_database, tmp_path / "demo.db")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    # JOB_QUEUE_URL="": the default SQLite queue in the server's instance folder, shared with the consumer below.
    server = live_server(workers=2, database_url=url, build=False, MAIL_SERVER=smtp_sink.host,
                         MAIL_PORT=smtp_sink.port, JOB_QUEUE_URL="")
    log = (server.instance_path / "consumer.log").open("wb")
    consumer = subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "jobs.huey", "--workers", "1"],
                                cwd=ROOT, env=server.env, stdout=log, stderr=subprocess.STDOUT)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(server.url + "/login")
    page.fill("#email", OWNER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/login/verify")
    page.fill("#otp", wait_for_code(smtp_sink, OWNER, 1))
    page.press("#otp", "Enter")
    page.wait_for_url(server.url + "/")
    page.server_url = server.url
    page.db = DemoDb(url)
    yield page
    context.close()
    consumer.terminate()
    try:
        consumer.wait(timeout=10)
    except subprocess.TimeoutExpired:
        consumer.kill()


def test_import_a_csv_with_two_bad_rows_see_progress_and_the_report(owner_page, tmp_path, artifacts_dir):
    page, base = owner_page, owner_page.server_url
    lines = ["Name,SKU,Price,GST %,Opening stock"]
    for i in range(ROWS):
        lines.append(f"Browser item {i},BRI-{i:04d},{20 + i % 7}.00,12,{i % 9}")
    lines[11] = "Browser item 10,BRI-0010,-4.00,12,1"  # file row 12: a negative price
    lines[201] = "Browser item 200,BRI-0200,abc,12,1"  # file row 202: not a number
    upload = tmp_path / "stock.csv"
    upload.write_text("\n".join(lines) + "\n")

    page.goto(base + "/inventory/import")
    page.set_input_files("#import-file", str(upload))
    page.click("#import-upload")
    page.wait_for_url("**/mapping")
    assert page.locator("#col0").input_value() == "product_name"
    assert page.locator("#col2").input_value() == "unit_price"
    page.click("#mapping-next")
    page.wait_for_url("**/preview")
    assert page.inner_text("#preview-bad-count") == "2"
    assert "A price cannot be negative" in page.inner_text("#problem-row-12")
    assert "enter a number" in page.inner_text("#problem-row-202")
    page.screenshot(path=str(artifacts_dir / "import-preview.png"), full_page=True)

    page.click("#start-import")
    page.wait_for_selector("#import-bar")  # the progress bar, polling its own fragment
    first = page.get_attribute("#import-progress", "data-status")
    assert first in ("queued", "running", "done")
    page.screenshot(path=str(artifacts_dir / "import-progress.png"), full_page=True)
    page.wait_for_selector('#import-progress[data-status="done"]', timeout=120000)
    assert page.get_attribute("#import-progress", "hx-trigger") is None  # the final fragment stopped polling
    assert f"{ROWS - 2} of {ROWS} rows imported, 2 refused" in page.inner_text("#import-status")
    page.screenshot(path=str(artifacts_dir / "import-done.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#import-report")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["12", "202"]
    assert "A price cannot be negative" in rows[1][4] and "enter a number" in rows[2][4]
    assert page.db.rows("SELECT COUNT(*) FROM product WHERE sku LIKE 'BRI-%'") == [(ROWS - 2,)]
    assert page.db.rows("SELECT COUNT(*) FROM stock_move m JOIN product p ON p.id = m.product_id "
                        "WHERE p.sku LIKE 'BRI-%' AND m.reason = 'import'")[0][0] > 0
