"""In-server inspection: every image pushed to `douane serve` is indexed in the
background, its index report and SPDX SBOM are attached as OCI referrers, and
/api/v1/images/<digest> reports the state. Ground truth: dpkg-query on the same
status file, and the official SPDX 2.3 schema."""
import json
import os
import subprocess
import time

import pytest

from regutil import OCI_MANIFEST, have, skopeo
from sbom_images import Layout, tar_bytes

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")


def wait_indexed(reg, digest, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = reg.req("GET", f"/api/v1/images/{digest}")
        if r.status_code == 200 and r.json()["state"] in ("indexed", "failed"):
            return r.json()
        time.sleep(0.2)
    pytest.fail(f"image {digest} not indexed within {timeout}s: {r.status_code} {r.text}")


def dpkg_truth(status_path):
    out = subprocess.run(["dpkg-query", f"--admindir={os.path.dirname(status_path)}", "-W",
                          "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n"],
                         capture_output=True, text=True, check=True).stdout
    return {(l.split("\t")[1], l.split("\t")[2]) for l in out.splitlines() if l.startswith("ii")}


@pytest.fixture
def debian_image(tmp_path):
    if not have("skopeo") or not os.path.exists("/var/lib/dpkg/status"):
        pytest.skip("needs skopeo and a dpkg status file on this machine")
    status = open("/var/lib/dpkg/status", "rb").read()
    lay = Layout(str(tmp_path / "layout"))
    desc = lay.image([("gzip", tar_bytes([
        ("etc/os-release", open("/etc/os-release", "rb").read()),
        ("var/lib/dpkg/status", status),
    ]))])
    lay.tag(desc, "v1")
    admin = tmp_path / "admin"
    admin.mkdir()
    (admin / "status").write_bytes(status)
    return lay.path, desc["digest"], dpkg_truth(str(admin / "status"))


def test_pushed_image_is_indexed_and_sbom_attached(registry, debian_image, tmp_path):
    if registry.impl != "douane":
        pytest.skip("in-server indexing is douane's")
    layout, mdigest, truth = debian_image
    skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:v1",
           f"docker://{registry.host}/quarantine/debian:12")
    st = wait_indexed(registry, mdigest)
    assert st["state"] == "indexed", st
    assert st["repository"] == "quarantine/debian"

    # the results are referrers of the image, found through the standard API
    r = registry.req("GET", f"/v2/quarantine/debian/referrers/{mdigest}")
    kinds = {m["artifactType"]: m for m in r.json()["manifests"]}
    assert "application/spdx+json" in kinds and "application/vnd.douane.index-report+json" in kinds

    # fetch the SBOM the way any OCI client would: manifest, then its layer blob
    sm = registry.req("GET", f"/v2/quarantine/debian/manifests/{kinds['application/spdx+json']['digest']}",
                      headers={"Accept": OCI_MANIFEST}).json()
    assert sm["subject"]["digest"] == mdigest
    spdx = registry.req("GET", f"/v2/quarantine/debian/blobs/{sm['layers'][0]['digest']}").json()
    assert spdx == registry.req("GET", f"/api/v1/images/{mdigest}/sbom").json()
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema:
        schema = json.load(open(os.path.join(SHARED, "schemas", "spdx-2.3-schema.json")))
        jsonschema.validate(spdx, schema)

    # the index report agrees with dpkg-query on the same status file
    rep = registry.req("GET", f"/api/v1/images/{mdigest}/report").json()
    assert rep["distribution"]["id"] == "debian"
    got = {(p["name"], p["version"]) for p in rep["packages"] if p["type"] == "deb"}
    assert got == truth


def test_gc_keeps_attached_results(registry, debian_image):
    if registry.impl != "douane":
        pytest.skip("in-server indexing is douane's")
    layout, mdigest, _ = debian_image
    skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:v1",
           f"docker://{registry.host}/golden/img:v1")
    st = wait_indexed(registry, mdigest)
    from regutil import douane_bin
    r = subprocess.run([douane_bin(), "gc", "--data", str(registry.data), "--grace", "0"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    # referrers of a tagged image survive gc, and so does what they point at
    assert registry.req("GET", f"/api/v1/images/{mdigest}/sbom").status_code == 200
    refs = registry.req("GET", f"/v2/golden/img/referrers/{mdigest}").json()["manifests"]
    assert len(refs) == 2
    assert st["sbom"]


def test_unknown_image_and_bad_digest(registry):
    if registry.impl != "douane":
        pytest.skip("douane API")
    r = registry.req("GET", "/api/v1/images/sha256:" + "0" * 64)
    assert r.status_code == 404
    r = registry.req("GET", "/api/v1/images/sha256:../../etc/passwd/sbom")
    assert r.status_code in (400, 404)


def test_repositories_outside_managed_areas_are_not_indexed(registry, debian_image):
    """Plain registry repositories keep exactly the referrers clients pushed
    (the OCI conformance suite counts them)."""
    if registry.impl != "douane":
        pytest.skip("in-server indexing is douane's")
    layout, mdigest, _ = debian_image
    skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:v1",
           f"docker://{registry.host}/team/app:v1")
    time.sleep(1)
    assert registry.req("GET", f"/api/v1/images/{mdigest}").status_code == 404
    assert registry.req("GET", f"/v2/team/app/referrers/{mdigest}").json()["manifests"] == []
