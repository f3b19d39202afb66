"""Edges of the API that the conformance suite leaves loose but clients and
a future auth layer depend on: repository scoping of blobs, the name and tag
grammar's valid corners, HTTP/1.1 plumbing (Expect: 100-continue,
pipelining, keep-alive reuse), multi-range requests, sha512 through mounts
and manifests.
"""
import os
import socket
import time
import uuid

import pytest

from regutil import (OCI_MANIFEST, assert_error, canon, descriptor, digest, make_image)

STRICT = os.environ.get("DOUANE_E2E_IMPL", "douane") == "douane"


@pytest.fixture
def reg(module_registry):
    return module_registry


@pytest.fixture
def repo():
    return f"edges/{uuid.uuid4().hex[:10]}"


def accepted_means_pullable(reg, repo, manifest, blobs):
    """A manifest PUT may refuse a blob this repository does not hold
    (distribution: MANIFEST_BLOB_UNKNOWN) or accept it and link the blob (douane:
    an implicit mount, like its automatic mount) - but an accepted manifest must
    never point at a blob its repository will not serve."""
    r = reg.push_manifest(repo, "t", manifest, expect=None)
    if r.status_code == 400:
        assert "MANIFEST_BLOB_UNKNOWN" in [e["code"] for e in r.json()["errors"]]
        return False
    assert r.status_code == 201, r.text
    for b in blobs:
        assert reg.req("GET", f"/v2/{repo}/blobs/{digest(b)}").content == b
    return True


def test_blobs_are_scoped_to_repositories(reg, repo):
    """A blob pushed to A is not readable through B until mounted there
    (stored once, but linked per repository)."""
    data = os.urandom(1000)
    d = reg.push_blob(repo, data)
    other = repo + "-b"
    reg.push_blob(other, b"make the repo exist")
    assert reg.req("HEAD", f"/v2/{other}/blobs/{d}").status_code == 404
    assert_error(reg.req("GET", f"/v2/{other}/blobs/{d}"), 404, "BLOB_UNKNOWN")
    # B's manifest referencing it: refused, or accepted and then pullable
    img = make_image(1, 10)
    reg.push_blob(other, img["config"])
    m = canon({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": descriptor("application/vnd.oci.image.config.v1+json", img["config"]),
               "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", data)]})
    linked = accepted_means_pullable(reg, other, m, [img["config"], data])
    if not linked:
        r = reg.req("POST", f"/v2/{other}/blobs/uploads/", params={"mount": d, "from": repo})
        assert r.status_code == 201
    # deleting the blob from A does not affect a repository it was linked into
    assert reg.req("DELETE", f"/v2/{repo}/blobs/{d}").status_code == 202
    assert reg.req("HEAD", f"/v2/{repo}/blobs/{d}").status_code == 404
    assert reg.req("GET", f"/v2/{other}/blobs/{d}").content == data
    reg.push_manifest(other, "t2", m)


def test_manifest_after_blob_deleted(reg, repo):
    img = make_image(1, 100)
    for b in img["blobs"]:
        reg.push_blob(repo, b)
    assert reg.req("DELETE", f"/v2/{repo}/blobs/{digest(img['layers'][0])}").status_code == 202
    accepted_means_pullable(reg, repo, img["manifest"], img["blobs"])


def test_valid_name_and_tag_corners(reg):
    img = make_image(1, 10)
    names = ["a", "a.b/c_d/e__f/g-h", "0/1/2/3/4/5/6/7/8/9", "x" * 200, "a-b--c/d.e"]
    tags = ["A", "_x", "v1.0-rc_1", "T" * 128, "0"]
    for n in names:
        for b in img["blobs"]:
            reg.push_blob(n, b)
        for t in tags:
            reg.push_manifest(n, t, img["manifest"])
        r = reg.req("GET", f"/v2/{n}/tags/list")
        assert r.status_code == 200 and sorted(r.json()["tags"]) == sorted(tags), (n, r.text[:200])
        assert reg.get_manifest(n, "T" * 128).content == img["manifest"]


def test_untagged_repo_lists_no_tags(reg, repo):
    img = make_image(1, 10)
    for b in img["blobs"]:
        reg.push_blob(repo, b)
    reg.push_manifest(repo, img["digest"], img["manifest"])
    r = reg.req("GET", f"/v2/{repo}/tags/list")
    if not STRICT and r.status_code == 404:
        pytest.skip("distribution 2.8.2 says NAME_UNKNOWN for a repository without tags")
    assert r.status_code == 200, r.text
    assert (r.json()["tags"] or []) == []


def test_blob_location_is_fetchable(reg, repo):
    data = os.urandom(500)
    r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
    r = reg.req("PUT", reg.abs(r.headers["Location"]), params={"digest": digest(data)}, data=data)
    assert r.status_code == 201
    g = reg.req("GET", reg.abs(r.headers["Location"]))
    assert g.status_code == 200 and g.content == data


def test_manifest_location_is_fetchable(reg, repo):
    img = reg.push_image(repo, "loc")
    r = reg.push_manifest(repo, "loc2", img["manifest"])
    g = reg.req("GET", reg.abs(r.headers["Location"]), headers={"Accept": OCI_MANIFEST})
    assert g.status_code == 200 and g.content == img["manifest"]


def test_multi_range(reg, repo):
    data = os.urandom(5000)
    d = reg.push_blob(repo, data)
    r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=0-9,100-109"})
    assert r.status_code in (200, 206, 416), r.status_code
    if r.status_code == 200:
        assert r.content == data
    r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=garbage"})
    assert r.status_code in (200, 416), r.status_code
    if r.status_code == 200:
        assert r.content == data
    r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=4990-99999"})
    assert r.status_code == 206 and r.content == data[4990:]
    assert r.headers["Content-Range"] == f"bytes 4990-4999/{len(data)}"


def _raw(reg, payload, want_responses=1, timeout=10):
    s = socket.create_connection(("127.0.0.1", reg.port), timeout=timeout)
    s.sendall(payload)
    buf = b""
    deadline = time.monotonic() + timeout
    while buf.count(b"HTTP/1.1 ") < want_responses and time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return s, buf


def test_expect_100_continue(reg, repo):
    data = os.urandom(300_000)
    r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
    loc = r.headers["Location"]
    path = loc if loc.startswith("/") else "/" + loc.split("/", 3)[3]
    path += ("&" if "?" in path else "?") + "digest=" + digest(data)
    head = (f"PUT {path} HTTP/1.1\r\nHost: {reg.host}\r\nContent-Length: {len(data)}\r\n"
            f"Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n\r\n").encode()
    s, buf = _raw(reg, head)
    try:
        assert buf.startswith(b"HTTP/1.1 100"), buf[:100]
        s.sendall(data)
        final = b""
        while b"\r\n\r\n" not in final:
            chunk = s.recv(65536)
            if not chunk:
                break
            final += chunk
        assert final.startswith(b"HTTP/1.1 201"), final[:300]
    finally:
        s.close()
    assert reg.req("GET", f"/v2/{repo}/blobs/{digest(data)}").content == data


def test_pipelined_requests(reg, repo):
    img = reg.push_image(repo, "p")
    req = (f"GET /v2/{repo}/manifests/p HTTP/1.1\r\nHost: {reg.host}\r\nAccept: {OCI_MANIFEST}\r\n\r\n"
           f"GET /v2/ HTTP/1.1\r\nHost: {reg.host}\r\n\r\n"
           f"HEAD /v2/{repo}/blobs/{digest(img['config'])} HTTP/1.1\r\nHost: {reg.host}\r\n\r\n"
           f"GET /v2/{repo}/tags/list HTTP/1.1\r\nHost: {reg.host}\r\nConnection: close\r\n\r\n").encode()
    s, buf = _raw(reg, req, want_responses=4)
    s.close()
    assert buf.count(b"HTTP/1.1 200") == 4, buf[:2000]
    assert img["manifest"] in buf


@pytest.mark.douane_only("2.8.2 cannot serve a sha512 blob mounted into another repository")
def test_sha512_mount_and_manifest_reference(reg, repo):
    layer = os.urandom(2000)
    d512 = reg.push_blob(repo, layer, algo="sha512")
    other = repo + "-m"
    r = reg.req("POST", f"/v2/{other}/blobs/uploads/", params={"mount": d512, "from": repo})
    assert r.status_code == 201, r.text
    if STRICT:
        assert r.headers["Docker-Content-Digest"] == d512
    assert reg.req("GET", f"/v2/{other}/blobs/{d512}").content == layer
    cfg = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    reg.push_blob(other, cfg)
    m = canon({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": descriptor("application/vnd.oci.image.config.v1+json", cfg),
               "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                           "digest": d512, "size": len(layer)}]})
    reg.push_manifest(other, "s512", m)
    assert reg.get_manifest(other, "s512").content == m
