# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Headless Chromium from Debian's package (``/usr/bin/chromium``, which ``make browser`` installs),
driven over the Chrome DevTools Protocol with websocket-client (a dependency of the collection already):
no chromedriver, no browser download.

``Chromium(folder)`` starts it with a fresh profile under ``folder`` on a DevTools port of its own
(127.0.0.1, chosen by Chromium), attached to its one page:

* ``open(url)``: load a page and wait for its load event;
* ``evaluate(js)``: the value of an expression in the page;
* ``click(selector)``: a real mouse click (pressed and released) at the element's centre;
* ``follow(selector)``: click a link and wait for the page it leads to to load;
* ``problems()``: console messages at level error, uncaught exceptions and browser log errors
  (a refused resource, a Content-Security-Policy violation...) since the last ``open``;
* ``close()``: Browser.close, then SIGTERM/SIGKILL to its process group if needed; returns the
  processes that were still there after it (an empty list when Chromium stopped cleanly); ``forced``
  tells whether a signal was needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import subprocess
import time

import psutil
import requests
import websocket

CHROMIUM = pathlib.Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# What works here: root (no sandbox), no display, a closed network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
    "--window-size=1400,1000",
)
START_TIMEOUT = 30
CALL_TIMEOUT = 30


class ChromiumError(AssertionError):
    """Chromium is missing, did not start, or a DevTools call failed."""


def missing_message() -> str | None:
    """Why Chromium cannot run here, or None."""
    if os.access(CHROMIUM, os.X_OK):
        return None
    return (
        f"{CHROMIUM} is missing: the browser test needs Debian's chromium package. `make browser` (a "
        "prerequisite of `make integration`) installs it with apt-get, or run "
        "`apt-get install --no-install-recommends chromium` as root"
    )


class Chromium:
    def __init__(self, folder: pathlib.Path) -> None:
        why = missing_message()
        if why:
            raise ChromiumError(why)
        self.folder = folder
        self.profile = folder / "profile"
        self.profile.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / "chromium.log"
        self._next_id = 0
        self._events: list[dict] = []
        self._mark = 0
        self.forced = False
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(CHROMIUM), *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: close() can end every process of it
            )
        try:
            self.ws = websocket.create_connection(self._page_url(), timeout=CALL_TIMEOUT, suppress_origin=True)
            for domain in ("Page", "Runtime", "Log"):
                self.call(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    # --- DevTools protocol ---------------------------------------------------------------------
    def _page_url(self) -> str:
        """The websocket URL of the page target, once Chromium has written its DevTools port."""
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise ChromiumError(f"chromium exited with {self.proc.returncode}: {self.log()[-3000:]}")
            lines = port_file.read_text().split() if port_file.exists() else []
            if lines:
                try:
                    targets = requests.get(f"http://127.0.0.1:{int(lines[0])}/json/list", timeout=5).json()
                except (requests.RequestException, ValueError):
                    targets = []
                pages = [t for t in targets if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            if time.monotonic() > deadline:
                raise ChromiumError(
                    f"chromium did not open its DevTools port in {START_TIMEOUT} s: {self.log()[-3000:]}"
                )
            time.sleep(0.1)

    def _receive(self, deadline: float) -> dict:
        self.ws.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            message = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            raise ChromiumError("no answer from chromium in time") from None
        if "id" not in message:
            self._events.append(message)
        return message

    def call(self, method: str, timeout: float = CALL_TIMEOUT, **params) -> dict:
        self._next_id += 1
        call_id = self._next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == call_id:
                if "error" in message:
                    raise ChromiumError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_for(self, event: str, timeout: float = CALL_TIMEOUT) -> dict:
        """The first ``event`` since the last ``open``, waiting for it if needed."""
        deadline = time.monotonic() + timeout
        seen = self._mark
        while True:
            for message in self._events[seen:]:
                if message.get("method") == event:
                    return message["params"]
            seen = len(self._events)
            self._receive(deadline)

    # --- the page ------------------------------------------------------------------------------
    def open(self, url: str) -> None:
        self._mark = len(self._events)
        answer = self.call("Page.navigate", url=url)
        if answer.get("errorText"):
            raise ChromiumError(f"{url}: {answer['errorText']}")
        self.wait_for("Page.loadEventFired")
        # let anything the page's scripts do after the load event report itself
        self.evaluate("new Promise(resolve => setTimeout(resolve, 200))", await_promise=True)

    def evaluate(self, expression: str, await_promise: bool = False):
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in answer:
            raise ChromiumError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def click(self, selector: str) -> None:
        """A left click, pressed and released, at the centre of the first element ``selector`` matches."""
        where = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " if (!el) return null; el.scrollIntoView({block: 'center'});"
            " const r = el.getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()"
        )
        if where is None:
            raise ChromiumError(f"nothing matches {selector}")
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=where["x"], y=where["y"])
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=where["x"], y=where["y"], button="left", clickCount=1)

    def follow(self, selector: str) -> None:
        """Click the link ``selector`` matches and wait for the page it leads to to load (``problems()``
        then covers that page)."""
        self._mark = len(self._events)
        self.click(selector)
        self.wait_for("Page.loadEventFired")
        self.evaluate("new Promise(resolve => setTimeout(resolve, 200))", await_promise=True)

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors since the last ``open``."""
        with contextlib.suppress(ChromiumError):
            self.evaluate("0")  # read what arrived meanwhile
        found = []
        for message in self._events[self._mark :]:
            params = message.get("params", {})
            if message.get("method") == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
            elif message.get("method") == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(
                    f"console.{params['type']}: {[a.get('value', a.get('description')) for a in params['args']]}"
                )
            elif message.get("method") == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
        return found

    def screenshot(self, path: pathlib.Path) -> pathlib.Path:
        import base64  # pylint: disable=import-outside-toplevel

        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    # --- the process ---------------------------------------------------------------------------
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def processes(self) -> list[psutil.Process]:
        """Chromium's processes: the browser's descendants and anything still in its process group."""
        found = {}
        with contextlib.suppress(psutil.NoSuchProcess):
            browser = psutil.Process(self.proc.pid)
            for proc in [browser, *browser.children(recursive=True)]:
                found[proc.pid] = proc
        for proc in psutil.process_iter(["pid"]):
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                if os.getpgid(proc.pid) == self.proc.pid:
                    found[proc.pid] = proc
        alive = []
        for proc in found.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                if proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
        return alive

    def close(self) -> list[psutil.Process]:
        """Stop Chromium; the processes left after a graceful stop (those are killed too)."""
        before = self.processes()
        if getattr(self, "ws", None) is not None:
            with contextlib.suppress(Exception):
                self.call("Browser.close", timeout=5)
            with contextlib.suppress(Exception):
                self.ws.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.forced = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
        _gone, left = psutil.wait_procs(before, timeout=10)
        left = [proc for proc in left if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE]
        for proc in left:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        if self.proc.poll() is None:
            self.forced = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        return left
