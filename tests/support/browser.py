"""Open a page in a real headless Chromium and see what a user would: a screenshot, the DOM after
load, and every resource the page asked for with its outcome.

No DevTools protocol: Chromium's own ``--screenshot``, ``--dump-dom`` and ``--log-net-log`` flags.
Serve local files with :func:`serve_directory` so every load, and its HTTP status, shows in the
net log (``file://`` loads do not). Debian's ``chromium`` package provides the browser.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
         "--no-first-run", "--no-default-browser-check", "--mute-audio",
         "--disable-features=AutofillServerCommunication,OptimizationHints,Translate,MediaRouter")
BROWSER_OWN = ("/favicon.ico",)  # asked for by the browser itself, not by the page


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on PATH, or None."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def require_chromium() -> str:
    """The browser for a screenshot test: skipped on a laptop without one, a failure on CI (``.ci/run`` installs it)."""
    found = find_chromium()
    if found is None:
        why = "no Chromium on PATH for the browser tests (Debian: apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(why + "; CI must have it")
        pytest.skip(reason=why)
    return found


@dataclass(frozen=True)
class Request:
    """One resource the page loaded: its URL, HTTP status (None without a response) and net error (0: none)."""

    url: str
    status: int | None
    net_error: int

    @property
    def failed(self) -> bool:
        return self.net_error != 0 or self.status is None or self.status >= 400


@dataclass(frozen=True)
class PageLoad:
    """What the browser saw: the DOM after load, a screenshot file and the page's requests."""

    url: str
    dom: str
    screenshot: Path
    requests: list[Request]

    def failed_requests(self) -> list[Request]:
        """Requests of the page that did not load (the browser's own favicon request aside)."""
        return [r for r in self.requests if r.failed and urlsplit(r.url).path not in BROWSER_OWN]


@contextmanager
def serve_directory(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port); yields the base URL ending in ``/``."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def load_page(url: str, out_dir: Path, window: tuple[int, int] = (1280, 2000), settle_ms: int = 3000,
              chromium: str | None = None, timeout: int = 180) -> PageLoad:
    """Load ``url`` twice in headless Chromium: once to dump the DOM (with a net log), once for a screenshot.

    ``settle_ms`` of virtual time lets scripts finish before the DOM or the pixels are taken.
    """
    browser = chromium or find_chromium()
    if browser is None:
        raise FileNotFoundError("no Chromium on PATH (Debian: apt-get install chromium)")
    out_dir.mkdir(parents=True, exist_ok=True)
    netlog, screenshot = out_dir / "netlog.json", out_dir / "screenshot.png"
    common = [browser, *FLAGS, f"--window-size={window[0]},{window[1]}", f"--virtual-time-budget={settle_ms}"]
    dumped = _run([*common, f"--log-net-log={netlog}", "--dump-dom", url], timeout)
    _run([*common, f"--screenshot={screenshot}", url], timeout)
    if not screenshot.is_file():
        raise RuntimeError(f"Chromium wrote no screenshot of {url}")
    return PageLoad(url, dumped.stdout, screenshot, page_requests(json.loads(netlog.read_text()), url))


def _run(command: list[str], timeout: int) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"Chromium exited with {done.returncode}: {done.stderr[-2000:]}")
    return done


def page_requests(netlog: dict, url: str) -> list[Request]:
    """The requests in a Chromium net log that belong to the page at ``url`` (not the browser's own traffic)."""
    constants = netlog["constants"]
    event_types = {v: k for k, v in constants["logEventTypes"].items()}
    source_types = {v: k for k, v in constants["logSourceType"].items()}
    parts = urlsplit(url)
    site = f"{parts.scheme}://{parts.hostname}"
    found: dict[int, dict] = {}
    for event in netlog["events"]:
        if source_types.get(event["source"]["type"]) != "URL_REQUEST":
            continue
        entry = found.setdefault(event["source"]["id"], {"net_error": 0})
        params = event.get("params", {})
        kind = event_types.get(event["type"])
        if kind == "URL_REQUEST_START_JOB" and "url" not in entry:
            entry["url"] = params.get("url", "")
            entry["site"] = params.get("network_isolation_key", "").split(" ")[0]
        elif kind == "HTTP_TRANSACTION_READ_RESPONSE_HEADERS" and params.get("headers"):
            entry["status"] = int(params["headers"][0].split(" ")[1])
        if params.get("net_error"):
            entry["net_error"] = params["net_error"]
    return [Request(e["url"], e.get("status"), e["net_error"]) for e in found.values()
            if "url" in e and (e["site"] == site or e["url"] == url)]
