"""The operator's page in a real browser: Debian's headless chromium, driven by Selenium through
chromium-driver, against the real `vigil run` on the test broker, fed with real Toronto incidents.

Checks: the page loads with no console errors and with its security headers; the map draws every
cell and every hotspot outline that /hotspots lists; an alert published during the test appears
in the SSE feed within 2 s of its detected_at; clicking it lists its incidents and marks them on
the map; the trend chart equals /aggregates and an independent per-day count of the input; the
health panel shows the partition; SSE resume with Last-Event-ID; basic auth; the client cap.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tools.vigil_tools.daemon import VigilDaemon, http_get
from tools.vigil_tools.fixtures import BINARY, BOOTSTRAP, admin_section, kafka_sections, needs_broker

ROOT = Path(__file__).resolve().parents[2]
BBOX = (43.58, -79.64, 43.86, -79.11)
DAY = 86_400_000
# Real incidents (both splits): 30 days, then 2 more days while the page is open.
FIRST_DAY = "2021-10-01"
BACKFILL_DAYS, LIVE_DAYS = 30, 2


def chromium():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    if not browser or not driver:
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are missing: tools/setup.sh installs them")
        pytest.skip("chromium / chromium-driver not installed (tools/setup.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800",
              "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=opts)


def config(group: str, topics: dict[str, str], *extra_admin: str) -> str:
    return kafka_sections(group, topics) + admin_section(*extra_admin) + f"""
[grid]
cell_size_m = 250.0
bbox = [{BBOX[0]}, {BBOX[1]}, {BBOX[2]}, {BBOX[3]}]
[windows]
horizons = ["1h/5m", "24h/1h", "7d/6h", "28d/1d"]
[alerts]
# The feed needs alerts within minutes of 30 days of data: every kind, not only (rare) clusters.
kinds = ["all"]
[rules.count]
enabled = true
window = "24h"
resolution = "1h"
threshold = 2
cooldown = "24h"
[rules.surge]
enabled = false
[hotspots]
enabled = true
window = "28d/1d"
evaluate_every = "1d"
minimum_cells = 2
minimum_persistence = 1
"""


def toronto() -> list[dict]:
    from tools.vigil_tools import toronto as T
    start = int(datetime.fromisoformat(FIRST_DAY).replace(tzinfo=UTC).timestamp() * 1000)
    end = start + (BACKFILL_DAYS + LIVE_DAYS) * DAY
    out = []
    for inc in T.load_incidents():
        o = inc.obj
        if inc.epoch_ms is None or not start <= inc.epoch_ms < end:
            continue
        lat, lon = o.get("lat"), o.get("lon")
        if lat is None or lon is None or not (BBOX[0] <= lat <= BBOX[2] and BBOX[1] <= lon <= BBOX[3]) or not o.get("neighbourhood"):
            continue
        out.append(dict(o, _ms=inc.epoch_ms))
    assert len(out) > 1000, f"only {len(out)} Toronto incidents in the test window"
    return out


def produce(topic: str, records: list[dict]) -> None:
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 5})
    for r in records:
        body = {k: v for k, v in r.items() if not k.startswith("_")}
        p.produce(topic, key=b"toronto", value=json.dumps(body).encode(), partition=0)
    assert p.flush(60) == 0


def health(port: int) -> dict:
    return json.loads(http_get(port, "/page/health")[2])


def wait(predicate, timeout: float, what: str, step: float = 0.1, fail: bool = True):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    if fail:
        pytest.fail(f"timed out waiting for {what}")
    return None


def console_errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def alerts_logged(d: VigilDaemon) -> list[dict]:
    out = []
    for line in d.raw_lines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict) and "kind" in o and "evidence" in o:
            out.append(o)
    return out


def rfc3339_ms(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@needs_broker
def test_operator_page_in_chromium(tmp_path):
    records = toronto()
    split = min(i for i, r in enumerate(records) if r["_ms"] >= records[0]["_ms"] - records[0]["_ms"] % DAY + BACKFILL_DAYS * DAY)
    backfill, live = records[:split], records[split:]
    run = uuid.uuid4().hex[:8]
    topics = {"incidents": f"page-in-{run}", "alerts": f"page-alerts-{run}", "dlq": f"page-dlq-{run}"}
    d = VigilDaemon.with_config(BINARY, config(f"page-{run}", topics))
    driver = None
    try:
        port = d.admin_port()
        wait(lambda: health(port)["ready"], 60, "readiness")
        produce(topics["incidents"], backfill)
        wait(lambda: health(port)["consumed"] >= len(backfill), 120, "the backfill to be consumed")
        h0 = health(port)
        assert h0["decoded"] == len(backfill) and not h0["dead_letters"], h0

        # Headers: strict CSP, nosniff, no CORS.
        status, headers, body = http_get(port, "/")
        assert status == 200 and headers["content-type"].startswith("text/html")
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in headers
        assert b"<script>" not in body and b"style=" not in body, "no inline script or style"

        driver = chromium()
        driver.get(f"http://127.0.0.1:{port}/")
        wait(lambda: driver.execute_script("return document.getElementById('map').getAttribute('data-loaded')"), 20, "the map's first load")
        wait(lambda: driver.execute_script("return document.getElementById('feed').getAttribute('data-connected') === 'true'"), 10, "the event stream")

        # Map: every hotspot outline and every hotspot cell of /hotspots is drawn.
        hotspots = json.loads(http_get(port, "/hotspots")[2])["features"]
        assert hotspots, "30 days of Toronto incidents make hotspots"
        page_cells = json.loads(http_get(port, "/page/cells")[2])
        counts = {f"x{x}y{y}": n for x, y, n in page_cells["cells"]}
        # Gi* hot cells may hold no incident themselves (the 3x3 block does): those are inside the outline, unshaded.
        shaded_hot = {c for f in hotspots for c in f["properties"]["cells"] if c in counts}
        assert shaded_hot, "hotspot cells hold incidents"
        def drawn():
            ids = set(driver.execute_script("return Array.from(document.querySelectorAll('#hotspots path')).map(p => p.getAttribute('data-hotspot'))"))
            cells = set(driver.execute_script("return Array.from(document.querySelectorAll('#cells rect')).map(r => r.getAttribute('data-cell'))"))
            return ids == {f["id"] for f in hotspots} and cells == set(counts) and shaded_hot <= cells
        if not wait(drawn, 15, "the map to draw /hotspots", fail=False):
            ids = driver.execute_script("return Array.from(document.querySelectorAll('#hotspots path')).map(p => p.getAttribute('data-hotspot'))")
            cells = set(driver.execute_script("return Array.from(document.querySelectorAll('#cells rect')).map(r => r.getAttribute('data-cell'))"))
            pytest.fail(f"map: {len(ids)} hotspots drawn of {len(hotspots)}; cells drawn {len(cells)} of {len(counts)}, "
                        f"missing {sorted(set(counts) - cells)[:10]}; console {console_errors(driver)}")
        # Every hotspot carries its category mix (not only the ones whose evaluation alerted),
        # summing to its count, and its outline's tooltip states it.
        for f in hotspots:
            mix = f["properties"]["categories"]
            assert sum(mix.values()) == f["properties"]["count"], f["properties"]
        titles = dict(driver.execute_script(
            "return Array.from(document.querySelectorAll('#hotspots path')).map(p => [p.getAttribute('data-hotspot'), p.querySelector('title').textContent])"))
        for f in hotspots:
            mix = ", ".join(f"{name} {n}" for name, n in f["properties"]["categories"].items())
            assert not mix or titles[f["id"]].endswith(f"({mix})"), (titles[f["id"]], mix)
        dom = dict(driver.execute_script("return Array.from(document.querySelectorAll('#cells rect')).map(r => [r.getAttribute('data-cell'), +r.getAttribute('data-count')])"))
        assert dom == counts, "cell shading uses /page/cells counts"
        end_bucket = max(r["_ms"] for r in backfill) // DAY
        assert sum(counts.values()) == sum(1 for r in backfill if r["_ms"] // DAY > end_bucket - 28), "cells hold every incident of the 28 d window"

        # A stalled event-stream client (never reads, tiny buffer) must not hold anything back.
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        stalled.connect(("127.0.0.1", port))
        stalled.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")

        # Live: more real incidents; a new alert reaches the feed within 2 s of its detection.
        before = {a["id"] for a in alerts_logged(d)}
        produce(topics["incidents"], live)
        def fresh():
            new = [a for a in alerts_logged(d) if a["id"] not in before and "detected_at" in a and a.get("incident_ids")]
            return new[0] if new else None
        alert = wait(fresh, 60, "an alert from the live incidents", step=0.02)
        seen = wait(lambda: time.time() if driver.execute_script(
            "return !!document.querySelector('#feed [data-alert-id=\"' + arguments[0] + '\"]')", alert["id"]) else None,
            10, "the alert in the feed", step=0.02)
        delay = seen - rfc3339_ms(alert["detected_at"])
        print(f"alert {alert['id']} ({alert['kind']}) in the page {delay:.3f} s after detection")
        assert delay <= 2.0, f"alert reached the page {delay:.2f} s after publication"

        # Click: the incidents it cites are listed and marked on the map.
        driver.find_element("css selector", f'#feed [data-alert-id="{alert["id"]}"]').click()
        listed = wait(lambda: driver.execute_script(
            "return Array.from(document.querySelectorAll('#incident-list li')).map(li => li.getAttribute('data-incident-id'))")
            or None, 10, "the incident list")
        assert listed == alert["incident_ids"]
        wait(lambda: set(driver.execute_script("return Array.from(document.querySelectorAll('#selection circle.cited')).map(c => c.getAttribute('data-incident'))"))
             == set(alert["incident_ids"]), 10, "cited incidents on the map")
        assert driver.execute_script("return document.querySelectorAll('#selection .area').length") == 1

        # Trends: the chart's series sum to /aggregates and equal an independent per-day count.
        wait(lambda: health(port)["consumed"] >= len(records), 120, "the live incidents to be consumed")
        stalled.close()
        fed = records
        nb, cat = Counter((r["neighbourhood"], r["category"]) for r in fed).most_common(1)[0][0]
        from selenium.webdriver.support.ui import Select
        wait(lambda: nb in [o.get_attribute("value") for o in Select(driver.find_element("id", "nb")).options], 15, "neighbourhood names")
        Select(driver.find_element("id", "nb")).select_by_value(nb)
        Select(driver.find_element("id", "cat")).select_by_value(cat)
        def trend():
            t = driver.execute_script("return document.getElementById('trends-panel').getAttribute('data-trend')")
            t = json.loads(t) if t else None
            return t if t and t["neighbourhood"] == nb and t["category"] == cat else None
        t = wait(trend, 15, "the trend chart")
        agg = json.loads(http_get(port, "/aggregates?neighbourhood=" + __import__("urllib.parse").parse.quote(nb))[2])
        q = __import__("urllib.parse").parse.urlencode({"neighbourhood": nb, "category": cat})
        names = json.loads(http_get(port, "/page/trends?" + q)[2])
        daily_w, hourly_w = names["daily"]["window"], names["hourly"]["window"]
        assert daily_w in agg["windows"] and hourly_w in agg["windows"]
        assert sum(t["daily"]) == agg["categories"][cat][daily_w]
        assert sum(t["hourly"]) == agg["categories"][cat][hourly_w]
        last = max(r["_ms"] for r in fed) // DAY
        per_day = Counter(r["_ms"] // DAY for r in fed if r["neighbourhood"] == nb and r["category"] == cat)
        assert t["daily"] == [per_day.get(b, 0) for b in range(last - 27, last + 1)]
        rendered = driver.execute_script("return Array.from(document.querySelectorAll('#daily rect.bar')).map(r => +r.getAttribute('data-count'))")
        assert rendered == t["daily"]

        # Health: the partition, as /readyz and /metrics see it.
        wait(lambda: driver.execute_script("return document.querySelectorAll('#partitions tbody tr').length") == 1, 10, "the partition row")
        assert driver.find_element("id", "status").text == "ready"

        # Keyboard: the map takes focus and pans with the arrow keys.
        from selenium.webdriver.common.keys import Keys
        m = driver.find_element("id", "map")
        m.send_keys(Keys.ARROW_RIGHT)
        assert driver.execute_script("return document.activeElement.id") == "map"

        errors = console_errors(driver)
        assert not errors, f"console errors: {errors}"
        out = os.environ.get("VIGIL_PAGE_SCREENSHOT")
        if out:
            driver.set_window_size(1600, 1000)
            driver.find_element("css selector", f'#feed [data-alert-id="{alert["id"]}"]').click()
            time.sleep(1.5)
            driver.save_screenshot(out)

        # SSE resume: Last-Event-ID gives exactly the later events.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\n\r\n")
            data = b""
            deadline = time.time() + 5
            while time.time() < deadline and b"\nid: 2\n" not in data and b"id: 2\n" not in data:
                data += s.recv(65536)
        head, _, stream = data.partition(b"\r\n\r\n")
        assert b"text/event-stream" in head.lower()
        assert b"id: 1\n" not in stream and b"id: 2\n" in stream
    finally:
        if driver is not None:
            driver.quit()
        d.stop()


@needs_broker
def test_basic_auth_and_client_cap(tmp_path):
    creds = tmp_path / "admin.htpasswd"
    creds.write_text("# operators\nana:s3cret-pass\n")
    creds.chmod(0o600)
    run = uuid.uuid4().hex[:8]
    topics = {"incidents": f"page-in-{run}", "alerts": f"page-alerts-{run}", "dlq": f"page-dlq-{run}"}
    d = VigilDaemon.with_config(BINARY, config(f"page-{run}", topics, f'auth_file = "{creds}"', "events_max_clients = 1"))
    try:
        port = d.admin_port()
        status, headers, _ = http_get(port, "/")
        assert status == 401 and headers["www-authenticate"].startswith("Basic ")
        assert http_get(port, "/healthz")[0] in (200, 503), "probes stay open"
        import urllib.request
        def get(path, user="ana", pw="s3cret-pass"):
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
            req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode())
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code
        assert get("/") == 200 and get("/page/health") == 200
        assert get("/", pw="wrong") == 401
        auth = base64.b64encode(b"ana:s3cret-pass")
        first = socket.create_connection(("127.0.0.1", port), timeout=5)
        first.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + auth + b"\r\n\r\n")
        assert b"200 OK" in first.recv(4096)
        assert get("/events") == 503, "the second event-stream client is over the cap"
        first.close()
        wait(lambda: get("/page/health") == 200, 5, "server alive")
    finally:
        d.stop()


def test_world_readable_credentials_stop_startup(tmp_path):
    if not BINARY:
        pytest.skip("needs VIGIL_BINARY")
    creds = tmp_path / "admin.htpasswd"
    creds.write_text("ana:pw\n")
    creds.chmod(0o644)
    cfg = tmp_path / "vigil.toml"
    cfg.write_text(f'[admin]\nlisten = "127.0.0.1:0"\nauth_file = "{creds}"\n')
    import subprocess
    r = subprocess.run([BINARY, "check-config", "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 78 and "admin.auth_file" in (r.stdout + r.stderr)
