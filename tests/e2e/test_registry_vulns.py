"""Continuous re-verification inside `douane serve`: images pushed before any
advisory data exists are matched as soon as `douane db import` records an
operation, from their cached index reports, and the findings agree with the
real Debian advisory (DSA-5514-1, glibc, fixed in 2.36-9+deb12u3)."""
import hashlib
import json
import os
import subprocess
import time

import pytest

from regutil import douane_bin, have, skopeo
from sbom_images import Layout, tar_bytes

FEEDS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "feeds")

STATUS = """Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: {v}
Description: GNU C Library

"""

OS_RELEASE = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'


def image(tmp_path, name, version):
    lay = Layout(str(tmp_path / name))
    desc = lay.image([("gzip", tar_bytes([("etc/os-release", OS_RELEASE),
                                          ("var/lib/dpkg/status", STATUS.format(v=version).encode())]))])
    lay.tag(desc, "v1")
    return lay.path, desc["digest"]


def wait(reg, digest, pred, timeout):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        r = reg.req("GET", f"/api/v1/images/{digest}")
        last = r
        if r.status_code == 200 and pred(r.json()):
            return r.json()
        time.sleep(0.3)
    pytest.fail(f"{digest}: condition not met in {timeout}s; last {last.status_code} {last.text}")


def ids(report):
    out = set()
    for res in report.get("results", []):
        for f in res.get("findings", []):
            out.add(f.get("id"))
            out.update(f.get("aliases", []))
    return out


def attach_vex(reg, repo, subject_digest, subject_size, vuln, status):
    """Push an OpenVEX document as a referrer of the image, as vexctl/oras would."""
    doc = json.dumps({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
                      "author": "test", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
                      "statements": [{"vulnerability": {"name": vuln},
                                      "products": [{"@id": subject_digest}], "status": status,
                                      "justification": "vulnerable_code_not_in_execute_path"}]}).encode()
    empty = b"{}"
    for blob in (doc, empty):
        d = "sha256:" + hashlib.sha256(blob).hexdigest()
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data=blob)
        assert r.status_code == 201, r.text
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "artifactType": "application/openvex+json",
                    "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                               "digest": "sha256:" + hashlib.sha256(empty).hexdigest(), "size": 2},
                    "layers": [{"mediaType": "application/openvex+json",
                                "digest": "sha256:" + hashlib.sha256(doc).hexdigest(), "size": len(doc)}],
                    "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                "digest": subject_digest, "size": subject_size}}).encode()
    md = "sha256:" + hashlib.sha256(m).hexdigest()
    r = reg.req("PUT", f"/v2/{repo}/manifests/{md}", data=m,
                headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert r.status_code == 201, r.text


def suppressed_ids(report):
    out = set()
    for res in report.get("results", []):
        for f in res.get("suppressed", []):
            out.add(f.get("id"))
            out.update(f.get("aliases", []))
    return out


def test_images_are_rematched_when_advisories_arrive(registry, tmp_path):
    if registry.impl != "douane":
        pytest.skip("douane's pipeline")
    if not have("skopeo") or not os.path.isdir(FEEDS):
        pytest.skip("needs skopeo and ../shared/feeds")
    vuln_path, vuln_digest = image(tmp_path, "old", "2.36-9+deb12u2")
    fixed_path, fixed_digest = image(tmp_path, "new", "2.36-9+deb12u3")
    skopeo("copy", "--dest-tls-verify=false", f"oci:{vuln_path}:v1",
           f"docker://{registry.host}/quarantine/glibc:old")
    skopeo("copy", "--dest-tls-verify=false", f"oci:{fixed_path}:v1",
           f"docker://{registry.host}/quarantine/glibc:new")
    vexed_path, vexed_digest = image(tmp_path, "vexed", "2.36-9+deb12u1")
    skopeo("copy", "--dest-tls-verify=false", f"oci:{vexed_path}:v1",
           f"docker://{registry.host}/quarantine/glibc:vexed")
    for d in (vuln_digest, fixed_digest, vexed_digest):
        st = wait(registry, d, lambda s: s["state"] == "indexed", 60)
        assert "vulnerabilities" not in st          # no advisory database yet
    size = len(registry.req("GET", f"/v2/quarantine/glibc/manifests/{vexed_digest}",
                            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}).content)
    attach_vex(registry, "quarantine/glibc", vexed_digest, size, "CVE-2023-4911", "not_affected")

    # advisories arrive after the images: the server must notice on its own
    r = subprocess.run([douane_bin(), "db", "--db", os.path.join(registry.data, "vuln.db"),
                        "import", FEEDS], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    st = wait(registry, vuln_digest, lambda s: "vulnerabilities" in s, 60)
    report = registry.req("GET", f"/api/v1/images/{vuln_digest}/vulnerabilities").json()
    assert "CVE-2023-4911" in ids(report) and "DSA-5514-1" in ids(report), report
    # the backported fix is not reported as vulnerable to what it fixed
    wait(registry, fixed_digest, lambda s: "vulnerabilities" in s, 60)
    report = registry.req("GET", f"/api/v1/images/{fixed_digest}/vulnerabilities").json()
    assert "CVE-2023-4911" not in ids(report)
    # a VEX statement attached to the image as a referrer suppresses the finding
    wait(registry, vexed_digest, lambda s: "vulnerabilities" in s, 60)
    report = registry.req("GET", f"/api/v1/images/{vexed_digest}/vulnerabilities").json()
    assert "CVE-2023-4911" not in ids(report) and "CVE-2023-4911" in suppressed_ids(report), report
    # and the vulnerability report is a referrer of the image, like the SBOM
    refs = registry.req("GET", f"/v2/quarantine/glibc/referrers/{vuln_digest}"
                               "?artifactType=application/vnd.douane.vuln-report%2Bjson").json()
    assert len(refs["manifests"]) >= 1
    assert st["state"] == "indexed"


def test_state_document_says_released_only_in_golden(registry, tmp_path):
    """The runtime sensor asks /api/v1/images/<digest> whether a running image
    was released: true only once the digest is a manifest under golden/."""
    if registry.impl != "douane":
        pytest.skip("douane's pipeline")
    if not have("skopeo"):
        pytest.skip("needs skopeo")
    path, digest = image(tmp_path, "rel", "2.36-9+deb12u3")
    skopeo("copy", "--dest-tls-verify=false", f"oci:{path}:v1",
           f"docker://{registry.host}/quarantine/app:v1")
    st = wait(registry, digest, lambda s: s["state"] == "indexed", 60)
    assert st["released"] is False and st["verdict"] == "quarantined"
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false",
           f"docker://{registry.host}/quarantine/app:v1", f"docker://{registry.host}/golden/app:v1")
    st = wait(registry, digest, lambda s: s["released"] is True, 30)
    assert st["verdict"] == "released"
    assert registry.req("GET", "/api/v1/images/sha256:" + "1" * 64).status_code == 404
