"""Real clients against the registry: skopeo (docker://, oci:, dir:), umoci,
a second registry (Debian's docker-registry) as upstream, podman if present.

Images are built here as OCI layouts with random layers (no network), so
every digest is known in advance and "digests unchanged" is checked against
the bytes we wrote, not against what the registry reports.
"""
import hashlib
import json
import os
import subprocess

import pytest

from regutil import (OCI_INDEX, OCI_MANIFEST, canon, descriptor, digest, have, make_image,
                     make_tar, skopeo, write_oci_layout)

pytestmark = pytest.mark.skipif(not have("skopeo"), reason="skopeo not installed (apt-get install skopeo)")
TLS = ["--src-tls-verify=false", "--dest-tls-verify=false"]


def image_with_files(files_per_layer):
    """A multi-layer image whose layers contain the given {name: bytes} dicts."""
    layers = [make_tar(f) for f in files_per_layer]
    config = canon({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                    "rootfs": {"type": "layers", "diff_ids": [digest(l) for l in layers]}})
    m = canon({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": descriptor("application/vnd.oci.image.config.v1+json", config),
               "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", l) for l in layers]})
    return {"manifest": m, "digest": digest(m), "config": config, "layers": layers,
            "blobs": [config] + layers}


@pytest.fixture
def layout(tmp_path):
    """A 3-layer image in an OCI layout, tag 'v1'."""
    files = [{"etc/hello": os.urandom(5000), "bin/tool": os.urandom(20000)},
             {"usr/share/data.bin": os.urandom(300_000)},
             {"etc/hello2": b"second layer text\n"}]
    img = image_with_files(files)
    path = tmp_path / "layout"
    write_oci_layout(str(path), img["blobs"] + [img["manifest"]], [
        {"mediaType": OCI_MANIFEST, "digest": img["digest"], "size": len(img["manifest"]),
         "annotations": {"org.opencontainers.image.ref.name": "v1"}}])
    img["path"] = str(path)
    img["files"] = files
    return img


@pytest.fixture
def multiarch(tmp_path):
    a = make_image(2, 10000)
    b = make_image(3, 10000)
    aj = json.loads(a["config"]); bj = json.loads(b["config"])
    assert aj["architecture"] == "amd64"
    # make b an arm64 image (rebuild its config and manifest)
    bj["architecture"] = "arm64"
    b["config"] = canon(bj)
    bm = json.loads(b["manifest"])
    bm["config"] = descriptor("application/vnd.oci.image.config.v1+json", b["config"])
    b["manifest"] = canon(bm)
    b["digest"] = digest(b["manifest"])
    b["blobs"] = [b["config"]] + b["layers"]
    idx = canon({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        descriptor(OCI_MANIFEST, a["manifest"], platform={"architecture": "amd64", "os": "linux"}),
        descriptor(OCI_MANIFEST, b["manifest"], platform={"architecture": "arm64", "os": "linux"})]})
    path = tmp_path / "multi"
    write_oci_layout(str(path), a["blobs"] + b["blobs"] + [a["manifest"], b["manifest"], idx], [
        {"mediaType": OCI_INDEX, "digest": digest(idx), "size": len(idx),
         "annotations": {"org.opencontainers.image.ref.name": "multi"}}])
    return {"path": str(path), "index": idx, "digest": digest(idx), "children": [a, b]}


def raw(ref, *extra):
    return skopeo("inspect", "--raw", "--tls-verify=false", *extra, ref).stdout.encode()


def raw_digest(ref):
    r = skopeo("inspect", "--raw", "--tls-verify=false", ref).stdout
    return digest(r.encode())


def test_copy_in_and_out_all_transports(registry, layout, tmp_path):
    ref = f"docker://{registry.host}/clients/img:v1"
    skopeo("copy", *TLS, "--preserve-digests", f"oci:{layout['path']}:v1", ref)
    assert raw(ref) == layout["manifest"]
    # the registry serves the same manifest and blobs, byte for byte
    r = registry.get_manifest("clients/img", "v1")
    assert r.content == layout["manifest"] and r.headers["Docker-Content-Digest"] == layout["digest"]
    for b in layout["blobs"]:
        assert registry.req("GET", f"/v2/clients/img/blobs/{digest(b)}").content == b

    # out: oci:
    out = tmp_path / "out-oci"
    skopeo("copy", *TLS, "--preserve-digests", ref, f"oci:{out}:v1")
    idx = json.load(open(out / "index.json"))
    assert idx["manifests"][0]["digest"] == layout["digest"]
    for b in layout["blobs"]:
        assert (out / "blobs" / "sha256" / hashlib.sha256(b).hexdigest()).read_bytes() == b
    # out: dir:
    d = tmp_path / "out-dir"
    skopeo("copy", *TLS, "--preserve-digests", ref, f"dir:{d}")
    assert (d / "manifest.json").read_bytes() == layout["manifest"]
    for b in layout["layers"]:
        assert (d / hashlib.sha256(b).hexdigest()).read_bytes() == b
    # dir: back in under another name, digests unchanged
    ref2 = f"docker://{registry.host}/clients/fromdir:v2"
    skopeo("copy", *TLS, "--preserve-digests", f"dir:{d}", ref2)
    assert raw_digest(ref2) == layout["digest"]


def test_inspect_list_tags_delete(registry, layout):
    for tag in ("v1", "v2", "latest"):
        skopeo("copy", *TLS, "--preserve-digests", f"oci:{layout['path']}:v1",
               f"docker://{registry.host}/clients/insp:{tag}")
    ref = f"docker://{registry.host}/clients/insp:v1"
    info = json.loads(skopeo("inspect", "--tls-verify=false", ref).stdout)
    assert info["Digest"] == layout["digest"]
    assert info["Layers"] == [digest(l) for l in layout["layers"]]
    assert info["Architecture"] == "amd64"
    cfg = skopeo("inspect", "--config", "--raw", "--tls-verify=false", ref).stdout.encode()
    assert cfg == layout["config"]
    tags = json.loads(skopeo("list-tags", "--tls-verify=false",
                             f"docker://{registry.host}/clients/insp").stdout)
    assert sorted(tags["Tags"]) == ["latest", "v1", "v2"]
    skopeo("delete", "--tls-verify=false", f"docker://{registry.host}/clients/insp@{layout['digest']}")
    r = skopeo("inspect", "--raw", "--tls-verify=false", ref, check=False)
    assert r.returncode != 0
    assert registry.get_manifest("clients/insp", layout["digest"]).status_code == 404


def test_multiarch_index(registry, multiarch, tmp_path):
    ref = f"docker://{registry.host}/clients/multi:multi"
    skopeo("copy", *TLS, "--all", "--preserve-digests", f"oci:{multiarch['path']}:multi", ref)
    assert raw(ref) == multiarch["index"]
    for child in multiarch["children"]:
        assert raw(f"docker://{registry.host}/clients/multi@{child['digest']}") == child["manifest"]
    # platform selection resolves through the index
    info = json.loads(skopeo("inspect", "--tls-verify=false", "--override-arch", "arm64", ref).stdout)
    assert info["Architecture"] == "arm64"
    assert info["Layers"] == [digest(l) for l in multiarch["children"][1]["layers"]]
    out = tmp_path / "multi-out"
    skopeo("copy", *TLS, "--all", "--preserve-digests", ref, f"oci:{out}:m")
    idx = json.load(open(out / "index.json"))
    assert idx["manifests"][0]["digest"] == multiarch["digest"]
    for child in multiarch["children"]:
        for b in child["blobs"] + [child["manifest"]]:
            assert (out / "blobs" / "sha256" / hashlib.sha256(b).hexdigest()).read_bytes() == b


@pytest.mark.skipif(not have("umoci"), reason="umoci not installed")
def test_umoci_unpack(registry, layout, tmp_path):
    ref = f"docker://{registry.host}/clients/unpack:v1"
    skopeo("copy", *TLS, "--preserve-digests", f"oci:{layout['path']}:v1", ref)
    out = tmp_path / "pulled"
    skopeo("copy", *TLS, ref, f"oci:{out}:v1")
    bundle = tmp_path / "bundle"
    r = subprocess.run(["umoci", "unpack", "--rootless", "--image", f"{out}:v1", str(bundle)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for files in layout["files"]:
        for name, data in files.items():
            assert (bundle / "rootfs" / name).read_bytes() == data


def test_copy_between_distribution_and_registry(registry, distribution, layout, multiarch):
    up = f"docker://{distribution.host}/up/img:v1"
    skopeo("copy", *TLS, "--preserve-digests", f"oci:{layout['path']}:v1", up)
    here = f"docker://{registry.host}/down/img:v1"
    skopeo("copy", *TLS, "--preserve-digests", up, here)
    assert raw(here) == layout["manifest"]
    back = f"docker://{distribution.host}/back/img:v1"
    skopeo("copy", *TLS, "--preserve-digests", here, back)
    assert raw(back) == layout["manifest"]
    # multi-arch both ways
    upm = f"docker://{distribution.host}/up/multi:m"
    skopeo("copy", *TLS, "--all", "--preserve-digests", f"oci:{multiarch['path']}:multi", upm)
    herem = f"docker://{registry.host}/down/multi:m"
    skopeo("copy", *TLS, "--all", "--preserve-digests", upm, herem)
    assert raw(herem) == multiarch["index"]
    backm = f"docker://{distribution.host}/back/multi:m"
    skopeo("copy", *TLS, "--all", "--preserve-digests", herem, backm)
    assert raw(backm) == multiarch["index"]


def test_docker_v2s2_format(registry, layout):
    """skopeo converting to Docker schema 2 on the way in: stored as sent."""
    ref = f"docker://{registry.host}/clients/v2s2:v1"
    skopeo("copy", *TLS, "--format", "v2s2", f"oci:{layout['path']}:v1", ref)
    m = raw(ref)
    assert json.loads(m)["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    r = registry.get_manifest("clients/v2s2", "v1")
    assert r.headers["Content-Type"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert r.headers["Docker-Content-Digest"] == digest(m)


@pytest.mark.skipif(not have("podman"), reason="podman not installed on this machine")
def test_podman_push_pull(registry, layout):
    ref = f"{registry.host}/clients/podman:v1"
    r = subprocess.run(["podman", "pull", f"oci:{layout['path']}:v1"], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"podman cannot run here: {r.stderr.strip()[:200]}")
    image_id = r.stdout.strip().splitlines()[-1]
    try:
        subprocess.run(["podman", "tag", image_id, ref], check=True, capture_output=True)
        subprocess.run(["podman", "push", "--tls-verify=false", ref], check=True, capture_output=True)
        # podman may recompress layers on push, but the config bytes travel unchanged
        cfg = skopeo("inspect", "--config", "--raw", "--tls-verify=false", f"docker://{ref}").stdout.encode()
        assert cfg == layout["config"]
        assert registry.get_manifest("clients/podman", "v1").status_code == 200
        subprocess.run(["podman", "rmi", "-f", ref], check=True, capture_output=True)
        p = subprocess.run(["podman", "pull", "--tls-verify=false", ref], check=True,
                           capture_output=True, text=True)
        assert p.stdout.strip().splitlines()[-1] == image_id
    finally:
        subprocess.run(["podman", "rmi", "-f", image_id], capture_output=True)
