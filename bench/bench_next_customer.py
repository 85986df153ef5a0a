"""Benchmark (issue 12): Save to "next customer ready" at the till, in headless Chromium against gunicorn.

Ready means: the search box focused and empty, the bill empty, and the last-bill panel showing the new bill. Each
run scans one item, then clicks Save; the time runs in the page from the click to the first animation frame in
which the till is ready (so Playwright's own round trips are not counted). The baseline in the same run: a plain
Clear round trip (scan an item, click Clear, until the bill is empty and search focused). Prints median and p95
(milliseconds) of each. Not a test: it prints figures. The server is gunicorn (2 workers) on a copy of the demo
SQLite shop (`flask seed-demo`), as the browser tests use.

    .venv/bin/python bench/bench_next_customer.py [--runs 20]
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASHIER, PASSWORD = "cashier@demo.shop", "demo12345"
STORE = "Sharma General Store"

SAVE = """async (previous) => {
    const t0 = performance.now();
    document.querySelector('#pos-save').click();
    return await new Promise(resolve => {
        const check = () => {
            const box = document.activeElement, link = document.querySelector('#pos-last-bill-link');
            if (box && box.id === 'pos-search' && box.value === '' && link && link.innerText !== previous
                && document.querySelectorAll('#pos-lines tr.pos-line').length === 0) resolve(performance.now() - t0);
            else requestAnimationFrame(check);
        };
        check();
    });
}"""

CLEAR = """async () => {
    window.confirm = () => true;  // Clear asks first; the baseline measures the round trip, not a dialog
    const t0 = performance.now();
    document.querySelector('#pos-clear').click();
    return await new Promise(resolve => {
        const check = () => {
            const box = document.activeElement;
            if (box && box.id === 'pos-search' && document.querySelectorAll('#pos-lines tr.pos-line').length === 0)
                resolve(performance.now() - t0);
            else requestAnimationFrame(check);
        };
        check();
    });
}"""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def start_server(folder: Path) -> tuple[subprocess.Popen, str, Path]:
    from tests.browser.test_pos_browser import seed_demo_database
    from tests.fixtures_live import LiveServer, _wait_until_healthy, free_port

    url = seed_demo_database(folder)
    outbox = folder / "outbox"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TEST_DATABASE", "PYTEST"))},
           "INSTANCE_PATH": str(folder), "SECRET_KEY": "live-test-secret-key-long-enough-for-hs256",
           "RATELIMIT_ENABLED": "false", "MAIL_OUTBOX": str(outbox), "DATABASE_URL": url}
    env.pop("MAIL_SERVER", None)
    port = free_port()
    log_path = folder / "gunicorn.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "60",
         "app:create_app()"], cwd=ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", url, folder, env, process, log_path)
    _wait_until_healthy(server)
    return process, server.url, outbox


def login_code(outbox: Path, limit: float = 15.0) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*"), key=lambda p: p.stat().st_mtime, reverse=True):
            text = path.read_text(errors="replace")
            if CASHIER in text:
                found = re.search(r"\b(\d{6})\b", text)
                if found:
                    return found.group(1)
        time.sleep(0.1)
    raise SystemExit("no login code in the outbox")


def barcodes(db_path: Path, count: int) -> list[str]:
    with sqlite3.connect(db_path) as connection:
        return [row[0] for row in connection.execute(
            "SELECT p.barcode FROM product p JOIN store s ON s.id = p.store_id WHERE s.name = ? "
            "AND p.type = 'product' AND p.unit = 'pcs' AND p.quantity >= 10 AND p.archived = 0 "
            "AND p.barcode IS NOT NULL ORDER BY p.id LIMIT ?", (STORE, count))]


def scan(page, code: str) -> None:
    with page.expect_response(lambda r: r.url.endswith("/pos/scan")):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#pos-lines tr.pos-line').length >= 1")
    page.wait_for_function("() => window.posPendingChanges && window.posPendingChanges() === 0 && "
                           "!document.querySelector('#pos-save').disabled")
    page.wait_for_timeout(50)  # let htmx settle the swap, as a cashier's pause would


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from tests.fixtures_live import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory(prefix="bench-next-") as tmp:
        folder = Path(tmp)
        process, url, outbox = start_server(folder)
        try:
            codes = barcodes(folder / "demo.db", args.runs)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                page.set_default_timeout(15000)
                page.goto(url + "/login")
                page.fill("#email", CASHIER)
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/login/verify")
                page.fill("#otp", login_code(outbox))
                page.press("#otp", "Enter")
                page.wait_for_url(url + "/")
                page.goto(url + "/pos")
                page.wait_for_function("() => document.activeElement && document.activeElement.id === 'pos-search'")
                scan(page, codes[0])  # warm-up (first templates, first bill): not counted
                page.evaluate(SAVE, "")
                saves, clears = [], []
                for n in range(args.runs):
                    code = codes[n % len(codes)]
                    scan(page, code)
                    clears.append(page.evaluate(CLEAR))
                    scan(page, code)
                    previous = page.inner_text("#pos-last-bill-link")
                    saves.append(page.evaluate(SAVE, previous))
                browser.close()
        finally:
            process.send_signal(signal.SIGQUIT)
            process.wait(timeout=10)
    print(f"Save to next customer ready, {len(saves)} runs: median {statistics.median(saves):.0f} ms, "
          f"p95 {p95(saves):.0f} ms (max {max(saves):.0f})")
    print(f"Baseline, Clear round trip, {len(clears)} runs: median {statistics.median(clears):.0f} ms, "
          f"p95 {p95(clears):.0f} ms (max {max(clears):.0f})")


if __name__ == "__main__":
    main()
