"""End-to-end tests of `douane sbom` on OCI images built here by hand
(tests/e2e/sbom_images.py) from this machine's real dpkg database,
copyright files and os-release, checked against ground truth computed
independently (dpkg-query --admindir on the same status file) and
validated against the official SPDX 2.3 and CycloneDX 1.5 schemas."""
import glob
import gzip
import json
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from sbom_images import Layout, tar_bytes, unclosed_tar  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMAS = os.path.join(ROOT, "..", "shared", "schemas")


def douane_bin():
    b = os.environ.get("DOUANE_BIN")
    if b and os.path.exists(b):
        return b
    for d in ("build-core", "build-dev", "build-test"):
        p = os.path.join(ROOT, d, "src", "cli", "douane")
        if os.path.exists(p):
            return p
    pytest.skip("douane binary not built")


def sbom(ref, *args, fmt="json", cache=None, expect=(0,)):
    cmd = [douane_bin(), "sbom", ref, "-f", fmt]
    cmd += ["--cache", cache] if cache else ["--no-cache"]
    cmd += list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert p.returncode in expect, (p.returncode, p.stderr.decode()[-2000:])
    out = p.stdout.decode()
    if fmt != "table" and out:
        out = json.loads(out)
    return out, p.stderr.decode(), p.returncode


def ground_truth(status_path, tmp):
    """Installed packages by dpkg-query on a copy of status_path."""
    adm = os.path.join(tmp, "adm-%d" % abs(hash(status_path)))
    os.makedirs(adm, exist_ok=True)
    shutil.copy(status_path, os.path.join(adm, "status"))
    out = subprocess.run(["dpkg-query", "--admindir=" + adm, "-W", "-f",
                          "${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t"
                          "${source:Package}\t${source:Version}\n"],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    want = {}
    for line in out.splitlines():
        st, name, ver, arch, src, srcver = line.split("\t")
        if st == "installed":
            want[(name, arch)] = (ver, src, srcver)
    return want


def debs(report):
    return {(p["name"], p["arch"]): p for p in report["packages"] if p["type"] == "deb"}


# ---- images -------------------------------------------------------------

STATUS = "/var/lib/dpkg/status"
MIT_DEP5 = (b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
            b"Files: *\nCopyright: someone\nLicense: Expat\n")
DOCS = sorted(glob.glob("/usr/share/doc/*/copyright"))[:60]


def status_d_entries():
    """Split this machine's status into distroless-style status.d files (first 40 packages)."""
    paras = open(STATUS, "rb").read().split(b"\n\n")
    out = []
    for p in paras[:40]:
        name = p.split(b"\n", 1)[0].split(b": ", 1)[1].decode()
        # distroless writes the control fields without Status
        body = b"\n".join(l for l in p.split(b"\n") if not l.startswith(b"Status:")) + b"\n"
        out.append((name, body))
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    if not os.path.exists(STATUS) or not shutil.which("zstd"):
        pytest.skip("needs /var/lib/dpkg/status and zstd")
    tmp = str(tmp_path_factory.mktemp("sbom"))
    L = Layout(os.path.join(tmp, "oci"))
    base_entries = [("etc/", ("dir",)), ("etc/os-release", ("symlink", "../usr/lib/os-release")),
                    ("usr/lib/os-release", ("file_from", "/etc/os-release")),
                    ("var/lib/dpkg/status", ("file_from", STATUS))]
    base_entries += [(d[1:], ("file_from", d)) for d in DOCS]
    # python dist-info owned by a Debian package, to check "owner"
    meta = glob.glob("/usr/lib/python3/dist-packages/jsonschema-*.dist-info/METADATA")
    owned_list = glob.glob("/var/lib/dpkg/info/python3-jsonschema.list")
    if meta and owned_list:
        base_entries += [(meta[0][1:], ("file_from", meta[0])),
                         ("var/lib/dpkg/info/python3-jsonschema.list", ("file_from", owned_list[0]))]
    base = tar_bytes(base_entries)
    base_desc = L.image([("gzip", base)])
    L.tag(base_desc, "base")

    # whiteouts: the second layer (zstd) drops two status.d entries, one by
    # whiteout and all of another dir by an opaque marker, and rewrites the
    # status file without its first package
    sd = status_d_entries()
    l1 = tar_bytes([("usr/lib/os-release", ("file_from", "/etc/os-release"))] +
                   [("var/lib/dpkg/status.d/" + n, b) for n, b in sd[:10]] +
                   [("usr/share/doc/%s/copyright" % sd[1][0], MIT_DEP5)])
    first = open(STATUS, "rb").read().split(b"\n\n", 1)
    l2 = tar_bytes([("var/lib/dpkg/status.d/.wh." + sd[0][0], b""),
                    ("usr/share/doc/.wh..wh..opq", b""),
                    ("usr/share/doc/%s/copyright" % sd[2][0], MIT_DEP5),
                    ("var/lib/dpkg/status", first[1])])
    wh_desc = L.image([("gzip", l1), ("zstd", l2)])
    L.tag(wh_desc, "whiteout")

    # distroless: only status.d and os-release
    dl = tar_bytes([("etc/os-release", ("file_from", "/etc/os-release"))] +
                   [("var/lib/dpkg/status.d/" + n, b) for n, b in sd])
    dl_desc = L.image([("zstd", dl)])
    L.tag(dl_desc, "distroless")

    # multi-arch index: amd64 and arm64 variants with different packages
    arm_status = b"Package: armonly\nStatus: install ok installed\nArchitecture: arm64\nVersion: 1.0-1\n"
    arm = L.image([("gzip", tar_bytes([("etc/os-release", ("file_from", "/etc/os-release")),
                                        ("var/lib/dpkg/status", arm_status)]))], arch="arm64")
    amd = L.image([("gzip", base)])
    idx = L.index_of([amd, arm])
    L.tag(idx, "multi")

    # hostile: .., symlink of the status to the host's /etc/shadow, a bomb over the
    # bound (with --max-layer-bytes), truncated gzip, corrupt zstd, malformed dbs
    hostile_meta = tar_bytes([
        ("../../etc/evil", b"x"),
        ("/abs/../../../etc/passwd", b"x"),
        ("etc/os-release", b"ID=debian\nVERSION_ID=\"12\nPRETTY_NAME=\"Broken\"\n"),
        ("var/lib/dpkg/status", b"Package: good\nStatus: install ok installed\nVersion: 1\n\n"
                                b"garbage here\nPackage: bad\nVersion: 1\n\n"),
        ("lib/apk/db/installed", b"P:ok\nV:1\n\nnonsense\n\n"),
    ])
    shadow = tar_bytes([("var/lib/dpkg/status.d/real", b"Package: kept\nVersion: 2\nArchitecture: all\n"),
                        ("/var/lib/dpkg/status.d/abs", b"Package: abspkg\nVersion: 3\n"),
                        ("var/lib/dpkg/status.d/evil", ("hardlink", "/etc/shadow")),
                        ("lib/apk/db/installed", ("symlink", "/etc/shadow"))])
    bomb = tar_bytes([("big/zeros", b"\0" * (3 << 20))])
    trunc = gzip.compress(tar_bytes([("var/lib/dpkg/status.d/t", b"Package: t\nVersion: 1\n")] +
                                    [("f%d" % i, os.urandom(4096)) for i in range(30)]))
    trunc = trunc[: len(trunc) // 2]
    corrupt = bytearray(subprocess.run(["zstd", "-q", "-c"], input=tar_bytes([("a", os.urandom(20000))]),
                                       check=True, stdout=subprocess.PIPE).stdout)
    corrupt[40:60] = b"\xff" * 20
    layers_h = []
    for raw_or_blob, how in ((hostile_meta, "gzip"), (shadow, "none"), (bomb, "gzip")):
        layers_h.append((how, raw_or_blob))
    h_desc = L.image(layers_h)
    # append the pre-compressed broken layers by hand
    man = json.load(open(os.path.join(L.path, "blobs", "sha256", h_desc["digest"][7:])))
    for data, mt in ((bytes(trunc), "application/vnd.oci.image.layer.v1.tar+gzip"),
                     (bytes(corrupt), "application/vnd.oci.image.layer.v1.tar+zstd")):
        man["layers"].append({"mediaType": mt, "digest": L.blob(data), "size": len(data)})
    mb = json.dumps(man).encode()
    L.tag({"mediaType": man["mediaType"], "digest": L.blob(mb), "size": len(mb)}, "hostile")

    return {"tmp": tmp, "oci": L.path, "layout": L, "sd": sd, "first_removed": first[0],
            "has_python": bool(meta and owned_list)}


# ---- tests --------------------------------------------------------------

def test_base_matches_dpkg_query(images):
    r, _, _ = sbom("oci:%s:base" % images["oci"])
    assert r["schema"] == "douane.index-report/v1"
    assert r["distribution"]["id"] == "debian"
    osr = dict(l.split("=", 1) for l in open("/etc/os-release").read().splitlines() if "=" in l)
    assert r["distribution"]["version_id"] == osr["VERSION_ID"].strip('"')
    want = ground_truth(STATUS, images["tmp"])
    got = debs(r)
    assert len(got) == len(want)
    for key, (ver, src, srcver) in want.items():
        p = got[key]
        assert p["version"] == ver
        assert p["source"] == {"name": src, "version": srcver}
        assert p["locations"][0]["path"] == "var/lib/dpkg/status"
        assert p["purl"].startswith("pkg:deb/debian/")
        assert "distro=debian-" in p["purl"]
    assert r["layers"][0]["status"] == "ok" and r["errors"] == []


def test_licenses_and_purl_encoding(images):
    r, _, _ = sbom("oci:%s:base" % images["oci"])
    by_name = {p["name"]: p for p in r["packages"] if p["type"] == "deb"}
    with_doc = [d.split("/")[4] for d in DOCS]
    licensed = [n for n in with_doc if n in by_name and by_name[n]["license"]]
    assert len(licensed) > len(with_doc) // 2
    for n in by_name:
        if n not in with_doc:
            assert by_name[n]["license"] is None
    for p in by_name.values():
        assert "+" not in p["purl"].split("?")[0].split("@", 1)[1]   # '+' is %2B
        if ":" in p["version"]:
            assert "%3A" in p["purl"]


def test_python_package_owned_by_deb(images):
    if not images["has_python"]:
        pytest.skip("python3-jsonschema not installed here")
    r, _, _ = sbom("oci:%s:base" % images["oci"])
    py = [p for p in r["packages"] if p["type"] == "pypi" and p["name"].lower() == "jsonschema"]
    assert py, "lang parser did not report jsonschema"
    assert py[0]["owner"] == "python3-jsonschema"
    assert py[0]["purl"].startswith("pkg:pypi/jsonschema@")


def test_whiteout_opaque_and_replaced_status(images):
    r, _, _ = sbom("oci:%s:whiteout" % images["oci"])
    sd = images["sd"]
    names = {p["name"] for p in r["packages"] if p["locations"][0]["path"].startswith("var/lib/dpkg/status.d/")}
    assert sd[0][0] not in names                      # whited out
    assert {n for n, _ in sd[1:10]} <= names
    first_pkg = images["first_removed"].split(b"\n", 1)[0].split(b": ", 1)[1].decode()
    from_status = [(p["name"], p["arch"]) for p in r["packages"]
                   if "var/lib/dpkg/status" in [l["path"] for l in p["locations"]]]
    assert first_pkg not in {n for n, _ in from_status}   # status replaced by the later layer
    assert len(from_status) == len(ground_truth(STATUS, images["tmp"])) - 1
    lic = {p["name"]: p["license"] for p in r["packages"] if p["locations"][0]["path"].startswith("var/lib/dpkg/status.d/")}
    assert lic[sd[1][0]] is None                      # its copyright was under an opaque dir
    assert lic[sd[2][0]] == "MIT"                     # same layer as the opaque marker: kept
    assert [l["status"] for l in r["layers"]] == ["ok", "ok"]


def test_distroless_status_d(images):
    r, _, _ = sbom("oci:%s:distroless" % images["oci"])
    assert r["distribution"]["id"] == "debian"
    assert len(r["packages"]) == len(images["sd"])
    assert {p["name"] for p in r["packages"]} == {n for n, _ in images["sd"]}


def test_multi_arch_index(images):
    both, _, _ = sbom("oci:%s:multi" % images["oci"])
    assert isinstance(both, list) and len(both) == 2
    assert sorted(x["platform"] for x in both) == ["linux/amd64", "linux/arm64"]
    arm, _, _ = sbom("oci:%s:multi" % images["oci"], "--platform", "linux/arm64")
    assert arm["platform"] == "linux/arm64"
    assert [p["name"] for p in arm["packages"]] == ["armonly"]
    assert arm["packages"][0]["purl"] == "pkg:deb/debian/armonly@1.0-1?arch=arm64&distro=debian-12"
    _, err, rc = sbom("oci:%s:multi" % images["oci"], "--platform", "linux/s390x", expect=(1,))
    assert "s390x" in err


def test_docker_archive(images):
    if not shutil.which("skopeo"):
        pytest.skip("skopeo not installed")
    tar = os.path.join(images["tmp"], "base.tar")
    if not os.path.exists(tar):
        subprocess.run(["skopeo", "copy", "-q", "oci:%s:base" % images["oci"],
                        "docker-archive:%s:test/base:latest" % tar], check=True, timeout=60)
    a, _, _ = sbom("docker-archive:" + tar)
    o, _, _ = sbom("oci:%s:base" % images["oci"])
    key = lambda r: sorted((p["type"], p["name"], p["version"], p["license"] or "") for p in r["packages"])
    assert key(a) == key(o)
    assert a["distribution"] == o["distribution"]


def test_cache_second_run(images):
    cache = os.path.join(images["tmp"], "cache")
    a, err1, _ = sbom("oci:%s:whiteout" % images["oci"], cache=cache)
    b, err2, _ = sbom("oci:%s:whiteout" % images["oci"], cache=cache)
    assert "indexed" in err1 and "(cached)" in err2 and "indexed" not in err2
    assert a == b
    assert glob.glob(os.path.join(cache, "layers", "sha256", "*.json"))


def test_hostile_layers(images):
    r, err, rc = sbom("oci:%s:hostile" % images["oci"], "--max-layer-bytes", "1MiB", expect=(4,))
    names = {p["name"] for p in r["packages"]}
    # indexed despite everything: the good paragraph, the status.d file, the good apk record
    assert names == {"good", "kept", "abspkg", "t"}   # "t": read before the gzip stream broke
    abspkg = [p for p in r["packages"] if p["name"] == "abspkg"][0]
    assert abspkg["locations"][0]["path"] == "var/lib/dpkg/status.d/abs"   # contained in the image
    assert "bad" not in names
    # the symlink to the host's /etc/shadow resolves inside the image: no apk db from it,
    # and the earlier layer's apk db is replaced by the link
    assert "ok" not in names
    errs = "\n".join(r["errors"])
    lay = [l["digest"] for l in r["layers"]]
    assert "../../etc/evil" in errs and "escapes" in errs
    assert "path var/lib/dpkg/status: line 5" in errs
    assert "etc/os-release" in errs and "unterminated quote" in errs
    st = [l["status"] for l in r["layers"]]
    assert st == ["ok", "ok", "error", "error", "error"]
    assert "big/zeros" in r["layers"][2]["error"] and lay[2] in r["layers"][2]["error"]
    assert "decompression bomb" in r["layers"][2]["error"]
    assert lay[3] in r["layers"][3]["error"] and lay[4] in r["layers"][4]["error"]
    assert r["distribution"]["id"] == "debian"


def _validator(name):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.load(open(os.path.join(SCHEMAS, name)))
    store = {}
    for extra in ("spdx.schema.json", "jsf-0.82.schema.json"):
        p = os.path.join(SCHEMAS, "cyclonedx-" + extra)
        if os.path.exists(p):
            s = json.load(open(p))
            store[extra] = s
            if "$id" in s:
                store[s["$id"]] = s
    cls = jsonschema.validators.validator_for(schema)
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    return cls(schema, resolver=resolver, format_checker=None)


@pytest.mark.parametrize("tag", ["base", "multi", "hostile"])
def test_spdx_valid(images, tag):
    doc, _, _ = sbom("oci:%s:%s" % (images["oci"], tag), "--max-layer-bytes", "1MiB", fmt="spdx-json",
                     expect=(0, 4))
    _validator("spdx-2.3-schema.json").validate(doc)
    ids = [p["SPDXID"] for p in doc["packages"]]
    assert len(ids) == len(set(ids))
    rels = {(r["spdxElementId"], r["relationshipType"]) for r in doc["relationships"]}
    assert ("SPDXRef-DOCUMENT", "DESCRIBES") in rels
    types = {r["relationshipType"] for r in doc["relationships"]}
    assert {"DESCRIBES", "CONTAINS"} <= types
    if tag == "base":
        assert "GENERATED_FROM" in types
        purls = [e["referenceLocator"] for p in doc["packages"] for e in p.get("externalRefs", [])]
        assert any("arch=source" in p for p in purls)
        assert len(purls) == len(set(purls))


@pytest.mark.parametrize("tag", ["base", "multi", "hostile"])
def test_cyclonedx_valid(images, tag):
    doc, _, _ = sbom("oci:%s:%s" % (images["oci"], tag), "--max-layer-bytes", "1MiB",
                     fmt="cyclonedx-json", expect=(0, 4))
    _validator("cyclonedx-bom-1.5.schema.json").validate(doc)
    assert doc["specVersion"] == "1.5"
    if tag == "base":
        assert any(c.get("purl", "").startswith("pkg:deb/debian/") for c in doc["components"])


def test_table_and_usage(images):
    out, _, _ = sbom("oci:%s:distroless" % images["oci"], fmt="table")
    assert "NAME" in out and images["sd"][1][0] in out
    p = subprocess.run([douane_bin(), "sbom"], capture_output=True)
    assert p.returncode == 2
    p = subprocess.run([douane_bin(), "sbom", "oci:/nonexistent"], capture_output=True)
    assert p.returncode == 1 and b"oci-layout" in p.stderr
    # -o onto a device writes through it, never renames a file over it
    null_before = os.stat("/dev/null")
    subprocess.run([douane_bin(), "sbom", "oci:%s:distroless" % images["oci"], "-q", "--no-cache",
                    "-f", "json", "-o", "/dev/null"], check=True)
    assert os.stat("/dev/null").st_rdev == null_before.st_rdev and not os.path.isfile("/dev/null")
    out_file = os.path.join(images["tmp"], "out.json")
    subprocess.run([douane_bin(), "sbom", "oci:%s:distroless" % images["oci"], "-q", "--no-cache",
                    "-f", "json", "-o", out_file], check=True)
    assert json.load(open(out_file))["schema"] == "douane.index-report/v1"
    p = subprocess.run([douane_bin(), "sbom", "--help"], capture_output=True)
    assert p.returncode == 0 and b"usage" in p.stdout


class _Registry:
    """A loopback registry serving an OCI layout with Docker token auth."""

    def __init__(self, layout_dir):
        import http.server
        import threading
        self.dir = layout_dir
        self.token_requests = []
        reg = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body=b"", ctype="application/json", extra=()):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                host = "http://127.0.0.1:%d" % self.server.server_address[1]
                if self.path.startswith("/token?"):
                    reg.token_requests.append(self.path)
                    return self._send(200, json.dumps({"token": "t0k3n"}).encode())
                if self.headers.get("Authorization") != "Bearer t0k3n":
                    return self._send(401, b"{}", extra=[("WWW-Authenticate",
                        'Bearer realm="%s/token",service="fake",scope="repository:test/img:pull"' % host)])
                parts = self.path.split("/")     # /v2/test/img/manifests/ref
                if len(parts) < 6 or parts[1] != "v2":
                    return self._send(404)
                kind, ref = parts[-2], parts[-1]
                if kind == "manifests" and not ref.startswith("sha256:"):
                    idx = json.load(open(os.path.join(reg.dir, "index.json")))
                    d = [m for m in idx["manifests"]
                         if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref]
                    if not d:
                        return self._send(404)
                    ref = d[0]["digest"]
                p = os.path.join(reg.dir, "blobs", "sha256", ref.split(":", 1)[-1])
                if not os.path.exists(p):
                    return self._send(404)
                body = open(p, "rb").read()
                ctype = "application/octet-stream"
                if kind == "manifests":
                    ctype = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
                self._send(200, body, ctype)

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()


def test_registry_token_flow(images):
    reg = _Registry(images["oci"])
    try:
        r, _, _ = sbom("docker://127.0.0.1:%d/test/img:base" % reg.port)
        o, _, _ = sbom("oci:%s:base" % images["oci"])
        assert r["manifest"] == o["manifest"]
        assert len(r["packages"]) == len(o["packages"]) and r["distribution"] == o["distribution"]
        assert reg.token_requests and "scope=repository%3Atest%2Fimg%3Apull" in reg.token_requests[0]
        arm, _, _ = sbom("docker://127.0.0.1:%d/test/img:multi" % reg.port, "--platform", "linux/arm64")
        assert [p["name"] for p in arm["packages"]] == ["armonly"]
        pinned, _, _ = sbom("docker://127.0.0.1:%d/test/img@%s" % (reg.port, o["manifest"]))
        assert pinned["manifest"] == o["manifest"]
        _, err, _ = sbom("docker://127.0.0.1:%d/test/img:nope" % reg.port, expect=(1,))
        assert "404" in err
    finally:
        reg.close()


DEB_CACHE = "/tmp/douane-test-debs"
DEB_PKGS = ["zlib1g", "python3-six", "libjs-jquery"]


@pytest.fixture(scope="module")
def deb_image(tmp_path_factory):
    """An image made of real Debian packages: each .deb's data tarball is a layer as is,
    and a last layer holds the dpkg database built from their control files."""
    os.makedirs(DEB_CACHE, exist_ok=True)
    debs = {p: glob.glob(os.path.join(DEB_CACHE, p + "_*.deb")) for p in DEB_PKGS}
    missing = [p for p, g in debs.items() if not g]
    if missing:
        r = subprocess.run(["apt-get", "download"] + missing, cwd=DEB_CACHE, capture_output=True, timeout=60)
        if r.returncode != 0:
            pytest.skip("apt-get download failed: " + r.stderr.decode()[-300:])
        debs = {p: glob.glob(os.path.join(DEB_CACHE, p + "_*.deb")) for p in DEB_PKGS}
    tmp = str(tmp_path_factory.mktemp("debimg"))
    L = Layout(os.path.join(tmp, "oci"))
    layers, status, db = [], b"", []
    for p in DEB_PKGS:
        deb = debs[p][0]
        layers.append(("gzip", subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True,
                                              stdout=subprocess.PIPE).stdout))
        ctrl = subprocess.run(["dpkg-deb", "-f", deb], check=True, stdout=subprocess.PIPE).stdout
        status += ctrl.replace(b"Package: %s\n" % p.encode(),
                               b"Package: %s\nStatus: install ok installed\n" % p.encode()) + b"\n"
        files = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, stdout=subprocess.PIPE).stdout
        import io
        import tarfile
        names = ["/" + m.name.lstrip("./") for m in tarfile.open(fileobj=io.BytesIO(files)) if m.name != "./"]
        multi_same = b"Multi-Arch: same" in ctrl
        arch = [l.split(b": ")[1].decode() for l in ctrl.splitlines() if l.startswith(b"Architecture:")][0]
        lname = "%s:%s.list" % (p, arch) if multi_same else "%s.list" % p
        db.append(("var/lib/dpkg/info/" + lname, ("/.\n" + "\n".join(names) + "\n").encode()))
    db.append(("var/lib/dpkg/status", status))
    db.append(("etc/os-release", ("file_from", "/etc/os-release")))
    layers.append(("zstd", tar_bytes(db)))
    L.tag(L.image(layers), "debs")
    st = os.path.join(tmp, "status")
    open(st, "wb").write(status)
    return {"oci": L.path, "status": st, "tmp": tmp}


def test_real_debian_packages(deb_image):
    r, _, _ = sbom("oci:%s:debs" % deb_image["oci"])
    want = ground_truth(deb_image["status"], deb_image["tmp"])
    got = debs(r)
    assert set(got) == set(want)
    for key, (ver, src, srcver) in want.items():
        assert got[key]["version"] == ver
        assert got[key]["source"] == {"name": src, "version": srcver}
        assert got[key]["license"], key        # every Debian package ships a copyright file
    z = got[("zlib1g", "amd64")]
    assert z["version"].startswith("1:")
    assert z["purl"].startswith("pkg:deb/debian/zlib1g@1%3A")
    assert "Zlib" in z["license"]
    six = [p for p in r["packages"] if p["type"] == "pypi" and p["name"].lower() == "six"]
    assert six and six[0]["owner"] == "python3-six"
    assert len(r["layers"]) == 4 and all(l["status"] == "ok" for l in r["layers"])


def test_real_registry(deb_image, tmp_path):
    """Debian's docker-registry, pushed to with skopeo, read over http on loopback."""
    import socket
    import time
    if not shutil.which("docker-registry") or not shutil.which("skopeo"):
        pytest.skip("docker-registry or skopeo not installed")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cfg = tmp_path / "reg.yml"
    cfg.write_text("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%d\n"
                   % (tmp_path / "data", port))
    proc = subprocess.Popen(["docker-registry", "serve", str(cfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        ref = "127.0.0.1:%d/t/debs:1" % port
        subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:%s:debs" % deb_image["oci"],
                        "docker://" + ref], check=True, timeout=60)
        r, _, _ = sbom("docker://" + ref)
        o, _, _ = sbom("oci:%s:debs" % deb_image["oci"])
        assert r["manifest"] == o["manifest"]
        key = lambda x: sorted((p["type"], p["name"], p["version"], p["license"], p["owner"]) for p in x["packages"])
        assert key(r) == key(o)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_tampered_blob_is_reported_not_cached(images):
    """A layer whose bytes do not match its digest: error naming the layer, never cached."""
    bad = os.path.join(images["tmp"], "tampered")
    if not os.path.exists(bad):
        shutil.copytree(images["oci"], bad)
    idx = json.load(open(os.path.join(bad, "index.json")))
    d = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "distroless"][0]
    man = json.load(open(os.path.join(bad, "blobs", "sha256", d["digest"][7:])))
    layer = man["layers"][0]["digest"]
    p = os.path.join(bad, "blobs", "sha256", layer[7:])
    # well-formed content, but not the layer the digest names
    from sbom_images import compress
    open(p, "wb").write(compress(tar_bytes([("var/lib/dpkg/status.d/intruder",
                                             b"Package: intruder\nVersion: 6.6.6\n")]), "zstd"))
    cache = os.path.join(images["tmp"], "cache-tampered")
    r, _, rc = sbom("oci:%s:distroless" % bad, cache=cache, expect=(4,))
    assert r["layers"][0]["status"] == "error"
    assert layer in r["layers"][0]["error"]
    assert "digest" in r["layers"][0]["error"]
    assert not glob.glob(os.path.join(cache, "layers", "sha256", layer[7:] + ".json"))
    assert r["packages"] == []


# ---- layers whose tar stops after the last file's data ------------------

def test_unclosed_tar_layers(tmp_path):
    """gzip, zstd and plain layers cut right after the last file's data, with
    the status file last (read) or first (and a skipped file last)."""
    if not os.path.exists(STATUS) or not shutil.which("zstd"):
        pytest.skip("needs /var/lib/dpkg/status and zstd")
    osrel = ("etc/os-release", ("file_from", "/etc/os-release"))
    st = ("var/lib/dpkg/status", ("file_from", STATUS))
    tail = ("usr/bin/tool", b"x" * 1001)
    if os.path.getsize(STATUS) % 512 == 0:
        pytest.skip("this machine's status file needs no padding")
    L = Layout(str(tmp_path / "oci"))
    want = ground_truth(STATUS, str(tmp_path))
    for how in ("gzip", "zstd", "none"):
        for name, ents in (("last", [osrel, st]), ("skipped", [st, osrel, tail])):
            raw = unclosed_tar(ents)
            assert len(raw) % 512 != 0
            L.tag(L.image([(how, raw)]), "%s-%s" % (how, name))
            r, err, _ = sbom("oci:%s:%s-%s" % (L.path, how, name))
            assert r["errors"] == [] and [l["status"] for l in r["layers"]] == ["ok"], err
            assert r["distribution"]["id"] == "debian"
            assert len(debs(r)) == len(want)
    # one byte of the status file's data missing is still an error
    raw = unclosed_tar([osrel, st])[:-1]
    L.tag(L.image([("gzip", raw)]), "cut")
    r, _, _ = sbom("oci:%s:cut" % L.path, expect=(4,))
    assert [l["status"] for l in r["layers"]] == ["error"]
    assert "var/lib/dpkg/status" in r["layers"][0]["error"]
    assert not debs(r)


def test_umoci_insert_layer(tmp_path):
    """An image built with the real umoci (Debian's 0.4.7 writes insert layers
    without the tar's end; a fixed umoci must give the same answer)."""
    if not shutil.which("umoci"):
        pytest.skip("umoci not installed")
    if not os.path.exists(STATUS):
        pytest.skip("needs /var/lib/dpkg/status")
    root = tmp_path / "rootfs"
    os.makedirs(root / "var/lib/dpkg")
    os.makedirs(root / "etc")
    shutil.copy(STATUS, root / "var/lib/dpkg/status")
    shutil.copy("/etc/os-release", root / "etc/os-release")
    lay = str(tmp_path / "lay")
    for cmd in (["init", "--layout", lay], ["new", "--image", lay + ":v1"],
                ["insert", "--rootless", "--image", lay + ":v1", str(root), "/"]):
        subprocess.run(["umoci"] + cmd, check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    want = ground_truth(STATUS, str(tmp_path))
    r, err, _ = sbom("oci:%s:v1" % lay)
    assert r["errors"] == [] and [l["status"] for l in r["layers"]] == ["ok"], err
    assert r["distribution"]["id"] == "debian"
    got = debs(r)
    assert len(got) == len(want)
    for key, (ver, _, _) in want.items():
        assert got[key]["version"] == ver
    if shutil.which("skopeo"):
        # skopeo keeps the layer's bytes, uncompressed, in a docker-archive
        tar = str(tmp_path / "umoci.tar")
        subprocess.run(["skopeo", "copy", "-q", "oci:%s:v1" % lay, "docker-archive:%s:t/umoci:v1" % tar],
                       check=True, timeout=120)
        a, err, _ = sbom("docker-archive:" + tar)
        assert a["errors"] == [] and len(debs(a)) == len(want), err
