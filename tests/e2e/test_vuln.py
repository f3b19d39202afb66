"""End-to-end tests of `douane db` and `douane scan` (vulnerability matching).

Real feeds from ../shared/feeds are served over HTTP on 127.0.0.1 to test
downloads, conditional requests (304) and failed downloads; scan outputs
are validated (CycloneDX 1.5 against the official schema); re-matching and
webhook delivery run against a local receiver."""
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("DOUANE_SHARED_DIR", ROOT.parent / "shared"))
FEEDS = SHARED / "feeds"
DATA = ROOT / "tests" / "vuln" / "data"
BIN = os.environ.get("DOUANE_BIN") or str(ROOT / "build-test" / "src" / "cli" / "douane")


def douane(*args, check=None):
    p = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    return p


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def _serve(handler):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv


@pytest.fixture(scope="module")
def feeds_server():
    """python3 -m http.server equivalent serving ../shared/feeds."""
    handler = lambda *a, **k: _Quiet(*a, directory=str(FEEDS), **k)
    srv = _serve(handler)
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def count(db, source):
    st = json.loads(douane("db", "--db", db, "status", check=0).stdout)
    return {s["source"]: s["advisories"] for s in st["sources"]}.get(source, 0)


def test_download_then_not_modified(tmp_path, feeds_server):
    db = tmp_path / "vuln.db"
    url = f"{feeds_server}/osv/PyPI/all.zip"
    p = douane("db", "--db", db, "update", "--source", f"osv/PyPI={url}", check=0)
    assert "2661 added" in p.stdout
    p = douane("db", "--db", db, "update", "--source", f"osv/PyPI={url}", check=0)
    assert "not modified" in p.stdout
    st = json.loads(douane("db", "--db", db, "status", check=0).stdout)
    assert [o["status"] for o in st["ops"]] == ["ok", "not-modified"]
    assert st["ops"][0]["last_modified"]            # kept for If-Modified-Since
    assert count(db, "osv/PyPI") == 2661


class _Broken(http.server.BaseHTTPRequestHandler):
    """Serves a truncated all.zip: /short sends fewer bytes than Content-Length,
    /cut sends a consistent but cut zip, anything else is 404."""
    body = b""

    def do_GET(self):
        if self.path.startswith("/short") or self.path.startswith("/cut"):
            data = self.body[: len(self.body) // 2]
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.body) if self.path.startswith("/short") else len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            self.close_connection = True
        else:
            self.send_error(404)

    def log_message(self, *a):
        pass


def test_failed_downloads_keep_old_data(tmp_path, feeds_server):
    db = tmp_path / "vuln.db"
    douane("db", "--db", db, "update", "--source", f"osv/Go={feeds_server}/osv/Go/all.zip", check=0)
    assert count(db, "osv/Go") == 4291
    _Broken.body = (FEEDS / "osv" / "Go" / "all.zip").read_bytes()
    srv = _serve(_Broken)
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        for path in ("short", "cut", "missing"):
            p = douane("db", "--db", db, "update", "--source", f"osv/Go={base}/{path}/all.zip")
            assert p.returncode == 1, p.stdout + p.stderr
            assert "FAILED (previous data kept)" in p.stdout
            assert count(db, "osv/Go") == 4291
    finally:
        srv.shutdown()
    st = json.loads(douane("db", "--db", db, "status", check=0).stdout)
    assert [o["status"] for o in st["ops"]] == ["ok", "failed", "failed", "failed"]


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "vuln.db"
    douane("db", "--db", db, "import", FEEDS, check=0)
    douane("db", "--db", db, "update", "--source", f"debian={DATA / 'tracker.json'}", check=0)
    return db


def vulnerable_report(tmp_path):
    """This host's real package list plus glibc/openssl pinned just below DSA fixes."""
    rep = json.loads((DATA / "debian12.json").read_text())
    for p in rep["packages"]:
        if p["name"] == "libc6":
            p["version"] = p["source"]["version"] = "2.36-9+deb12u2"
        if p["name"] == "libssl3":
            p["version"] = p["source"]["version"] = "3.0.11-1~deb12u1"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(rep))
    return path


def test_scan_json_and_exit_codes(tmp_path, loaded_db):
    rep = vulnerable_report(tmp_path)
    p = douane("scan", "--db", loaded_db, "--format", "json", rep, check=0)
    vr = json.loads(p.stdout)
    assert vr["schema"] == "douane.vuln-report/v1"
    f = {x["id"]: x for x in vr["results"][0]["findings"] if x["package"]["name"] in ("libc6", "libssl3")}
    assert f["CVE-2023-4911"]["fixed_version"] == "2.36-9+deb12u3"
    assert "DSA-5514-1" in f["CVE-2023-4911"]["aliases"]
    assert f["CVE-2023-4911"]["severity"] == "high"        # tracker urgency merged in
    assert f["CVE-2023-5363"]["fixed_version"] == "3.0.11-1~deb12u2"
    assert douane("scan", "--db", loaded_db, "--fail-on", "high", rep).returncode == 1
    assert douane("scan", "--db", loaded_db, "--fail-on", "critical", rep).returncode == 0
    p = douane("scan", "--db", loaded_db, "--only-fixed", "--format", "json", rep, check=0)
    assert all(x["fixed_version"] for r in json.loads(p.stdout)["results"] for x in r["findings"])
    bad = tmp_path / "bad.json"
    bad.write_text("{\"schema\": \"nope\"}")
    assert douane("scan", "--db", loaded_db, bad).returncode == 4
    bad.write_text("{not json")
    assert douane("scan", "--db", loaded_db, bad).returncode == 4
    assert douane("scan", "--db", loaded_db, "--severity", "huge", rep).returncode == 2
    assert douane("scan").returncode == 2
    assert douane("scan", "--help").returncode == 0
    # the unmodified host report: patched (+deb12uN backports), no DSA finding
    p = douane("scan", "--db", loaded_db, "--format", "json", DATA / "debian12.json", check=0)
    ids = {x["id"] for r in json.loads(p.stdout)["results"] for x in r["findings"]}
    assert not [i for i in ids if i.startswith("DSA-")] and "CVE-2023-4911" not in ids


def test_scan_vex_sarif_cyclonedx(tmp_path, loaded_db):
    jsonschema = pytest.importorskip("jsonschema")
    rep = vulnerable_report(tmp_path)
    vex = tmp_path / "vex.json"
    vex.write_text(json.dumps({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
        "author": "test", "timestamp": "2024-01-01T00:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": "CVE-2023-5363"},
                        "products": [{"@id": "pkg:deb/debian/libssl3"}],
                        "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}))
    p = douane("scan", "--db", loaded_db, "--vex", vex, "--format", "json", rep, check=0)
    r0 = json.loads(p.stdout)["results"][0]
    assert "CVE-2023-5363" not in {x["id"] for x in r0["findings"]}
    assert [x["vex"]["status"] for x in r0["suppressed"]] == ["not_affected"]
    sarif = json.loads(douane("scan", "--db", loaded_db, "-f", "sarif", rep, check=0).stdout)
    assert sarif["version"] == "2.1.0"
    assert any(r["ruleId"] == "CVE-2023-4911" for r in sarif["runs"][0]["results"])
    out = tmp_path / "bom.json"
    douane("scan", "--db", loaded_db, "--vex", vex, "-f", "cyclonedx-vex", "-o", out, rep, check=0)
    bom = json.loads(out.read_text())
    schemas = SHARED / "schemas"
    store = {}
    for name, file in (("spdx.schema.json", "cyclonedx-spdx.schema.json"),
                       ("jsf-0.82.schema.json", "cyclonedx-jsf-0.82.schema.json")):
        s = json.loads((schemas / file).read_text())
        store[name] = s
        if "$id" in s:
            store[s["$id"]] = s
    schema = json.loads((schemas / "cyclonedx-bom-1.5.schema.json").read_text())
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    jsonschema.Draft7Validator(schema, resolver=resolver,
                               format_checker=jsonschema.FormatChecker()).validate(bom)
    states = {v["id"]: v["analysis"]["state"] for v in bom["vulnerabilities"]}
    assert states["CVE-2023-5363"] == "not_affected"
    assert states["CVE-2023-4911"] == "in_triage"


def test_export_import_roundtrip(tmp_path, loaded_db):
    out = tmp_path / "export"
    douane("db", "--db", loaded_db, "export", out, check=0)
    assert (out / "osv" / "Debian" / "all.zip").exists() and (out / "debian" / "json").exists()
    assert (out / "alpine" / "v3.11" / "main.json").exists()
    db2 = tmp_path / "copy.db"
    p = douane("db", "--db", db2, "import", out, check=0)
    assert "FAILED" not in p.stdout
    a = json.loads(douane("db", "--db", loaded_db, "status", check=0).stdout)
    b = json.loads(douane("db", "--db", db2, "status", check=0).stdout)
    assert a["sources"] == b["sources"] and a["affected"] == b["affected"]
    rep = vulnerable_report(tmp_path)
    s1 = json.loads(douane("scan", "--db", loaded_db, "-f", "json", rep, check=0).stdout)
    s2 = json.loads(douane("scan", "--db", db2, "-f", "json", rep, check=0).stdout)
    assert s1["results"] == s2["results"]


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Webhook receiver: fails the first POST with 503, accepts the rest."""
    got = []
    calls = 0

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(n))
        type(self).calls += 1
        if type(self).calls == 1:
            self.send_response(503)
        else:
            type(self).got.append(body)
            self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def test_rematch_changes_and_webhook(tmp_path):
    db = tmp_path / "vuln.db"
    tracker = json.loads((DATA / "tracker.json").read_text())
    tfile = tmp_path / "tracker.json"
    tfile.write_text(json.dumps(tracker))
    douane("db", "--db", db, "update", "--source", f"debian={tfile}", check=0)
    reports = tmp_path / "reports"
    reports.mkdir()
    rep = json.loads((DATA / "debian12.json").read_text())
    for i in range(3):
        rep["manifest"] = "sha256:" + f"{i:064x}"
        (reports / f"img{i}.json").write_text(json.dumps(rep))
    p = douane("db", "--db", db, "rematch", reports, check=0)
    assert p.stdout.strip().endswith("0 changes")       # baseline
    # the feed changes: CVE-2024-5535 gets a fix the host already has, a new CVE appears
    tracker["openssl"]["CVE-2024-5535"]["releases"]["bookworm"] = {
        "status": "resolved", "fixed_version": "3.0.14-1~deb12u1", "urgency": "low"}
    tracker["zlib"]["CVE-2026-0001"] = {"description": "new", "releases": {
        "bookworm": {"status": "open", "urgency": "high"}}}
    del tracker["glibc"]["TEMP-0000000-1A2B3C"]
    tfile.write_text(json.dumps(tracker))
    _Receiver.got, _Receiver.calls = [], 0
    srv = _serve(_Receiver)
    hook = f"http://127.0.0.1:{srv.server_address[1]}/hook"
    try:
        p = douane("db", "--db", db, "update", "--source", f"debian={tfile}",
                   "--rematch", reports, "--webhook", hook, check=0)
    finally:
        srv.shutdown()
    assert "1 added, 1 changed, 1 removed" in p.stdout
    ch = json.loads(douane("db", "--db", db, "changes", "--limit", "1000", check=0).stdout)["changes"]
    kinds = {(c["kind"], c["vuln"]) for c in ch}
    assert ("new", "CVE-2026-0001") in kinds
    assert ("fixed", "CVE-2024-5535") in kinds
    assert ("withdrawn", "TEMP-0000000-1A2B3C") in kinds
    imgs = {c["image"] for c in ch}
    assert len(imgs) == 3
    # the first POST failed (503) and was retried; pages carry every change once
    assert _Receiver.calls >= 2
    delivered = [n["id"] for page in _Receiver.got for n in page["notifications"]]
    assert delivered == [c["id"] for c in ch]
    assert all("notification_id" in page and "page" in page for page in _Receiver.got)


def test_config_keys(tmp_path):
    """vuln.db, vuln.sources and vuln.reports_dir come from the config file."""
    db = tmp_path / "from-config.db"
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.json").write_text((DATA / "debian12.json").read_text())
    cfg = tmp_path / "douane.yaml"
    cfg.write_text(f"""vuln:
  db: {db}
  reports_dir: {reports}
  sources:
    debian: {DATA / 'tracker.json'}
    alpine/v3.11/main: {FEEDS / 'alpine' / 'v3.11' / 'main.yaml'}
""")
    p = douane("db", "-c", cfg, "update", check=0)
    assert "debian" in p.stdout and "alpine/v3.11/main" in p.stdout
    assert p.stdout.strip().endswith("0 changes")           # baseline re-match ran
    assert db.exists()
    p = douane("scan", "-c", cfg, "-f", "json", DATA / "debian12.json", check=0)
    ids = {f["id"] for r in json.loads(p.stdout)["results"] for f in r["findings"]}
    assert "CVE-2024-5535" in ids                            # tracker fixture: postponed


class _ETag(http.server.BaseHTTPRequestHandler):
    """Serves the v3.11 secdb with an ETag (no Last-Modified); 304 on If-None-Match."""
    seen = []

    def do_GET(self):
        body = (FEEDS / "alpine" / "v3.11" / "main.json").read_bytes()
        type(self).seen.append(self.headers.get("If-None-Match"))
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def test_etag_conditional_request(tmp_path):
    db = tmp_path / "vuln.db"
    _ETag.seen = []
    srv = _serve(_ETag)
    url = f"http://127.0.0.1:{srv.server_address[1]}/v3.11/main.json"
    try:
        p = douane("db", "--db", db, "update", "--source", f"alpine/v3.11/main={url}", check=0)
        assert "1123 added" in p.stdout
        p = douane("db", "--db", db, "update", "--source", f"alpine/v3.11/main={url}", check=0)
        assert "not modified" in p.stdout
    finally:
        srv.shutdown()
    assert _ETag.seen == [None, '"v1"']
    st = json.loads(douane("db", "--db", db, "status", check=0).stdout)
    assert st["ops"][0]["etag"] == '"v1"'
