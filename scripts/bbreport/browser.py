"""Opens an HTML file in a real headless Chromium and reports what a reader's browser sees:
console errors and exceptions, every request that left the file (there must be none), whether
each image decodes, where elements sit relative to the first screen, and a screenshot.

It speaks the Chrome DevTools Protocol over `--remote-debugging-pipe` (JSON messages separated
by NUL on file descriptors 3 and 4), so it needs nothing beyond the standard library and the
Debian `chromium` package that scripts/setup.sh installs."""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
VIEWPORT = (1366, 768)   # the most common laptop screen: "the first screen"


class BrowserError(Exception):
    pass


def find_chromium():
    env = os.environ.get("BB_CHROMIUM")
    if env:
        return env if shutil.which(env) else None
    return next((shutil.which(c) for c in CANDIDATES if shutil.which(c)), None)


class _Pipe:
    def __init__(self, exe, user_dir):
        to_r, to_w = os.pipe()      # we write commands, chromium reads fd 3
        from_r, from_w = os.pipe()  # chromium writes fd 4, we read events and replies
        args = [exe, "--headless", "--remote-debugging-pipe", "--no-first-run",
                "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--mute-audio",
                f"--user-data-dir={user_dir}", "--hide-scrollbars", "about:blank"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")   # the sandbox refuses to run as root (CI images)

        def fds():
            # copy both ends above 10 first, so placing one on 3 cannot clobber the other
            a, b = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_r, from_w))
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, preexec_fn=fds, close_fds=False)
        os.close(to_r)
        os.close(from_w)
        self.w, self.r = to_w, from_r
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise BrowserError(f"{method}: {m['error'].get('message')}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            m = self._read(deadline)
            if m.get("method") == method:
                return m
            self.events.append(m)

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("timed out waiting for chromium")
            ready, _, _ = select.select([self.r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace")[-800:]
                raise BrowserError(f"chromium exited: {err}")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)


PROBE = """(async () => {
  const imgs = [...document.images];
  const decoded = await Promise.all(imgs.map(i => i.decode().then(() => true, () => false)));
  const box = (sel) => { const e = document.querySelector(sel);
    if (!e) return null; const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  return {
    images: imgs.map((im, k) => ({id: im.id, decoded: decoded[k], width: im.naturalWidth,
                                  height: im.naturalHeight, top: im.getBoundingClientRect().top})),
    viewport: [innerWidth, innerHeight], boxes: Object.fromEntries(SELECTORS.map(s => [s, box(s)])),
    text: document.body.innerText.slice(0, 4000)};
})()"""


def inspect(html_path, selectors=(), screenshot=None, viewport=VIEWPORT, exe=None):
    """Loads html_path; returns {console_errors, requests, images, viewport, boxes, text}.
    Writes a PNG of the first screen to `screenshot` when given."""
    exe = exe or find_chromium()
    if not exe:
        raise BrowserError("no chromium found (install the Debian package `chromium`)")
    url = "file://" + os.path.abspath(html_path)
    with tempfile.TemporaryDirectory(prefix="bb_chromium_") as user_dir:
        pipe = _Pipe(exe, user_dir)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            sid = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.send(f"{domain}.enable", session=sid)
            pipe.send("Emulation.setDeviceMetricsOverride",
                      {"width": viewport[0], "height": viewport[1], "deviceScaleFactor": 1,
                       "mobile": False}, session=sid)
            pipe.send("Page.navigate", {"url": url}, session=sid)
            pipe.wait_event("Page.loadEventFired")
            probe = PROBE.replace("SELECTORS", json.dumps(list(selectors)))
            res = pipe.send("Runtime.evaluate", {"expression": probe, "awaitPromise": True,
                                                 "returnByValue": True}, session=sid)
            if "exceptionDetails" in res:
                raise BrowserError(f"probe failed: {res['exceptionDetails'].get('text')}")
            out = res["result"]["value"]
            if screenshot:
                shot = pipe.send("Page.captureScreenshot", {"format": "png"}, session=sid)
                with open(screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
            errors, requests = [], []
            for e in pipe.events:
                m, p = e.get("method"), e.get("params", {})
                if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                    errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                           for a in p.get("args", [])))
                elif m == "Runtime.exceptionThrown":
                    errors.append(p.get("exceptionDetails", {}).get("text", "exception"))
                elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                    errors.append(p["entry"].get("text", ""))
                elif m == "Network.requestWillBeSent":
                    requests.append(p.get("request", {}).get("url", ""))
            out["console_errors"] = errors
            out["requests"] = requests
            return out
        finally:
            pipe.close()
