"""The explorer notebook served by Voilà on 127.0.0.1 and driven in headless Chromium (Playwright).

Moving the standard-change slider (keyboard, as a user would) must change the cost shown; a
screenshot is saved to ``artifacts/explorer.png``. Nothing leaves the machine: every request not to
127.0.0.1 is aborted (ipywidgets 8 asks a CDN for Font Awesome). Without Chromium the test skips
locally but fails in CI (``CI=true``), where ``scripts/bootstrap.sh --system`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03_explorer.ipynb"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# a small population; the venv's python3 kernelspec before any user-level one
SMOKE_ENV = {"SIM_SMOKE_N": "3000", "SIM_SMOKE_MONTHS": "12",
             "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")}
CJK = re.compile(r"[\u4e00-\u9fff]")


def chromium_path() -> str | None:
    """Debian's Chromium (or SIM_CHROMIUM), if installed."""
    for candidate in (os.environ.get("SIM_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def voila_server(notebook: Path, env: dict[str, str], log: Path, timeout: float = 60.0) -> Iterator[str]:
    """Serve ``notebook`` with Voilà on 127.0.0.1; yield the URL; stop the server (own pid) after."""
    port = free_port()
    cmd = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1"]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=notebook.parent,
                                env={**os.environ, **env})
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"voila exited with code {proc.returncode}; log: {log}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"voila did not listen on port {port} in {timeout} s; log: {log}") from None
                    time.sleep(0.3)
            yield f"http://127.0.0.1:{port}/"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def local_only_page(executable: str) -> Iterator[Any]:
    """A Playwright page in headless Chromium; requests outside 127.0.0.1 are aborted and counted."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1300})
            blocked: list[str] = []

            def route(r: Any) -> None:
                if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.blocked = blocked  # type: ignore[attr-defined]
            yield page
        finally:
            browser.close()


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        message = "Debian chromium not found (/usr/bin/chromium); run: bash scripts/bootstrap.sh --system"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)  # in CI this test must run, not skip
        pytest.skip(message)
    return path


def _cost_text(page: Any) -> str:
    return str(page.inner_text(".explorer-cost"))


@pytest.mark.browser
@pytest.mark.slow
def test_moving_the_standard_slider_changes_the_cost_shown(chromium: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with voila_server(NOTEBOOK, SMOKE_ENV, ARTIFACTS / "voila.log") as url, local_only_page(chromium) as page:
        page.goto(url, timeout=120_000)
        page.wait_for_selector(".explorer-cost table", timeout=240_000)
        page.wait_for_selector(".explorer-chart-cost img[src^='blob:'], .explorer-chart-cost[src^='blob:']",
                               timeout=60_000)
        before = _cost_text(page)
        assert CJK.search(before), f"headline has no Chinese label: {before!r}"
        redraws_before = int(page.get_attribute(".explorer-status [data-redraws]", "data-redraws"))

        # keyboard on the slider handle, as a user would: +3 steps of 10 yuan
        page.click(".explorer-standard-change .noUi-handle")
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "prev => document.querySelector('.explorer-cost').innerText !== prev", arg=before,
            timeout=240_000)
        page.wait_for_function(  # the redraw has finished (all four charts drawn)
            "n => { const e = document.querySelector('.explorer-status [data-redraws]');"
            " return e && Number(e.dataset.redraws) > n; }", arg=redraws_before, timeout=240_000)
        after = _cost_text(page)
        page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)

        slider_text = page.inner_text(".explorer-standard-change")
        assert "30" in slider_text, f"slider did not move to +30: {slider_text!r}"
        assert after != before

        def yearly_cost(text: str) -> float:
            first = text.splitlines()[0]  # 年均支出 <value> 万元
            return float(re.findall(r"[-+]?[\d,]+\.?\d*", first)[0].replace(",", ""))

        assert yearly_cost(after) > yearly_cost(before), (before, after)

        # another locality: its own population and policy, the levers reset to its own values
        redraws = int(page.get_attribute(".explorer-status [data-redraws]", "data-redraws"))
        page.select_option(".explorer-locality select", index=1)  # boshan, jiaohe, ...: jiaohe
        page.wait_for_function(
            "n => { const e = document.querySelector('.explorer-status [data-redraws]');"
            " return e && Number(e.dataset.redraws) > n; }", arg=redraws, timeout=240_000)
        assert _cost_text(page) != after
        page.screenshot(path=str(ARTIFACTS / "explorer_jiaohe.png"), full_page=True)
        assert all(not u.startswith("http://127.0.0.1") for u in page.blocked)
