"""OCI distribution-spec v1.1 conformance, re-expressed in pytest.

Mirrors the four areas of the spec's conformance suite (pull, push, content
discovery incl. referrers, content management) plus the error-code checks,
asserting every status, header and error code the suite asserts and a few
the spec requires that the suite leaves loose (noted in each test).

Where CNCF distribution 2.8.2 (the reference we validate these tests with)
deviates from spec 1.1, the test is marked douane_only or the assertion is
relaxed for distribution only (STRICT is False there); douane is always held
to the strict form.
"""
import hashlib
import json
import os
import re
import uuid

import pytest

from regutil import (ALL_MANIFEST_TYPES, DOCKER_LIST, DOCKER_MANIFEST, EMPTY_JSON,
                     EMPTY_JSON_DIGEST, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, SPEC_ERROR_CODES,
                     assert_error, canon, descriptor, digest, error_codes, make_image)

STRICT = os.environ.get("DOUANE_E2E_IMPL", "douane") == "douane"


@pytest.fixture
def reg(module_registry):
    return module_registry


@pytest.fixture
def repo():
    return f"conformance/{uuid.uuid4().hex[:12]}"


def loc(reg, r):
    assert "Location" in r.headers, f"no Location header: {r.status_code} {dict(r.headers)}"
    return reg.abs(r.headers["Location"])


# ---------------------------------------------------------------- base
def test_base_v2(reg):
    r = reg.req("GET", "/v2/")
    assert r.status_code == 200
    assert r.headers.get("Docker-Distribution-API-Version") == "registry/2.0"


# ---------------------------------------------------------------- pull
class TestPull:
    def test_blob_head_get_missing(self, reg, repo):
        reg.push_blob(repo, b"x")   # repo exists; blob does not
        d = digest(b"nonexistent" + os.urandom(8))
        assert reg.req("HEAD", f"/v2/{repo}/blobs/{d}").status_code == 404
        r = reg.req("GET", f"/v2/{repo}/blobs/{d}")
        assert_error(r, 404, "BLOB_UNKNOWN")

    def test_blob_head_get(self, reg, repo):
        data = os.urandom(3000)
        d = reg.push_blob(repo, data)
        r = reg.req("HEAD", f"/v2/{repo}/blobs/{d}")
        assert r.status_code == 200
        assert r.headers["Docker-Content-Digest"] == d
        assert int(r.headers["Content-Length"]) == len(data)
        assert r.content == b""
        r = reg.req("GET", f"/v2/{repo}/blobs/{d}")
        assert r.status_code == 200
        assert r.content == data
        assert r.headers["Docker-Content-Digest"] == d
        assert int(r.headers["Content-Length"]) == len(data)

    def test_blob_range(self, reg, repo):
        data = os.urandom(10000)
        d = reg.push_blob(repo, data)
        r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=100-1099"})
        assert r.status_code == 206
        assert r.content == data[100:1100]
        assert r.headers["Content-Range"] == f"bytes 100-1099/{len(data)}"
        assert int(r.headers["Content-Length"]) == 1000
        r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=9000-"})
        assert r.status_code == 206 and r.content == data[9000:]
        r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=-10"})
        assert r.status_code == 206 and r.content == data[-10:]
        r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=20000-30000"})
        assert r.status_code == 416
        assert r.headers.get("Content-Range") == f"bytes */{len(data)}"

    def test_manifest_missing(self, reg, repo):
        reg.push_image(repo, "present")
        assert reg.req("HEAD", f"/v2/{repo}/manifests/nonexistent").status_code == 404
        r = reg.get_manifest(repo, "nonexistent")
        assert_error(r, 404, "MANIFEST_UNKNOWN")
        r = reg.get_manifest(repo, digest(b"nope"))
        assert_error(r, 404, "MANIFEST_UNKNOWN")

    def test_manifest_head_get_by_tag_and_digest(self, reg, repo):
        img = reg.push_image(repo, "v1")
        for ref in ("v1", img["digest"]):
            r = reg.req("HEAD", f"/v2/{repo}/manifests/{ref}", headers={"Accept": OCI_MANIFEST})
            assert r.status_code == 200
            assert r.headers["Docker-Content-Digest"] == img["digest"]
            assert r.headers["Content-Type"] == OCI_MANIFEST
            assert int(r.headers["Content-Length"]) == len(img["manifest"])
            r = reg.get_manifest(repo, ref, accept=OCI_MANIFEST)
            assert r.status_code == 200
            assert r.content == img["manifest"]
            assert r.headers["Docker-Content-Digest"] == img["digest"]
            assert r.headers["Content-Type"] == OCI_MANIFEST

    def test_bad_reference_error_body(self, reg, repo):
        # suite: 400 (with a spec error code) or 404
        reg.push_image(repo, "x")
        r = reg.get_manifest(repo, "sha256:totallywrong")
        if STRICT:
            assert_error(r, 400, *SPEC_ERROR_CODES)
        else:
            if r.status_code == 500:
                pytest.xfail("distribution 2.8.2 answers 500 to a malformed digest reference")
            assert r.status_code in (400, 404)
            if r.status_code == 400:
                assert error_codes(r)[0] in SPEC_ERROR_CODES


# ---------------------------------------------------------------- push
class TestPush:
    def test_streamed_patch_then_put(self, reg, repo):
        data = os.urandom(200_000)
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
        assert r.status_code == 202
        u = loc(reg, r)

        def gen():   # no Content-Length: chunked transfer encoding
            for i in range(0, len(data), 65536):
                yield data[i:i + 65536]
        r = reg.req("PATCH", u, data=gen(), headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 202, r.text
        assert r.headers["Range"] == f"0-{len(data) - 1}"
        u = loc(reg, r)
        r = reg.req("PUT", u, params={"digest": digest(data)},
                    headers={"Content-Type": "application/octet-stream", "Content-Length": "0"})
        assert r.status_code == 201, r.text
        assert r.headers["Docker-Content-Digest"] == digest(data)
        assert loc(reg, r)
        assert reg.req("GET", f"/v2/{repo}/blobs/{digest(data)}").content == data

    def test_monolithic_post_digest(self, reg, repo):
        data = os.urandom(5000)
        d = digest(data)
        assert reg.req("GET", f"/v2/{repo}/blobs/{d}").status_code == 404
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/", params={"digest": d}, data=data,
                    headers={"Content-Type": "application/octet-stream"})
        if r.status_code == 202 and not STRICT:
            pytest.skip("distribution 2.8.2 ignores POST ?digest= (spec: MAY answer 202)")
        assert r.status_code == 201, r.text
        assert loc(reg, r).endswith(f"/v2/{repo}/blobs/{d}")
        assert r.headers["Docker-Content-Digest"] == d
        assert reg.req("GET", f"/v2/{repo}/blobs/{d}").content == data

    def test_post_then_put(self, reg, repo):
        data = os.urandom(5000)
        d = digest(data)
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
        assert r.status_code == 202
        r = reg.req("PUT", loc(reg, r), params={"digest": d}, data=data,
                    headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 201
        assert loc(reg, r).endswith(f"/v2/{repo}/blobs/{d}")
        assert r.headers["Docker-Content-Digest"] == d
        r = reg.req("GET", f"/v2/{repo}/blobs/{d}")
        assert r.status_code == 200 and r.content == data

    def test_chunked_in_order_and_status(self, reg, repo):
        data = os.urandom(300_000)
        c1, c2, c3 = data[:100_000], data[100_000:250_000], data[250_000:]
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
        assert r.status_code == 202
        u = loc(reg, r)
        r = reg.req("PATCH", u, data=c1, headers={"Content-Type": "application/octet-stream",
                                                  "Content-Range": f"0-{len(c1) - 1}"})
        assert r.status_code == 202, r.text
        assert r.headers["Range"] == f"0-{len(c1) - 1}"
        u = loc(reg, r)
        # upload status
        r = reg.req("GET", u)
        assert r.status_code == 204
        assert r.headers["Range"] == f"0-{len(c1) - 1}"
        assert loc(reg, r)
        r = reg.req("PATCH", u, data=c2, headers={"Content-Type": "application/octet-stream",
                                                  "Content-Range": f"{len(c1)}-{len(c1) + len(c2) - 1}"})
        assert r.status_code == 202
        assert r.headers["Range"] == f"0-{len(c1) + len(c2) - 1}"
        u = loc(reg, r)
        r = reg.req("PUT", u, params={"digest": digest(data)}, data=c3,
                    headers={"Content-Type": "application/octet-stream",
                             "Content-Range": f"{len(c1) + len(c2)}-{len(data) - 1}"})
        assert r.status_code == 201, r.text
        assert r.headers["Docker-Content-Digest"] == digest(data)
        assert reg.req("GET", f"/v2/{repo}/blobs/{digest(data)}").content == data

    def test_chunked_out_of_order_416(self, reg, repo):
        data = os.urandom(20000)
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
        u = loc(reg, r)
        r = reg.req("PATCH", u, data=data[10000:], headers={
            "Content-Type": "application/octet-stream", "Content-Range": "10000-19999"})
        if r.status_code == 202 and not STRICT:
            pytest.skip("distribution 2.8.2 ignores Content-Range on PATCH (no 416)")
        assert r.status_code == 416, r.text
        # after a good first chunk, a gap is also refused
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
        u = loc(reg, r)
        r = reg.req("PATCH", u, data=data[:5000], headers={
            "Content-Type": "application/octet-stream", "Content-Range": "0-4999"})
        assert r.status_code == 202
        r = reg.req("PATCH", loc(reg, r), data=data[6000:7000], headers={
            "Content-Type": "application/octet-stream", "Content-Range": "6000-6999"})
        assert r.status_code == 416
        # the session survives a refused chunk: status still shows 0-4999
        r = reg.req("GET", u)
        assert r.status_code == 204 and r.headers["Range"] == "0-4999"

    def test_upload_cancel(self, reg, repo):
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
        u = loc(reg, r)
        r = reg.req("PATCH", u, data=b"abc", headers={"Content-Type": "application/octet-stream"})
        u = loc(reg, r)     # the session URL may change after each PATCH
        r = reg.req("DELETE", u)
        assert r.status_code == 204
        r = reg.req("GET", u)
        assert_error(r, 404, "BLOB_UPLOAD_UNKNOWN")
        r = reg.req("PUT", u, params={"digest": digest(b"abc")})
        assert_error(r, 404, "BLOB_UPLOAD_UNKNOWN")

    def test_upload_unknown_session(self, reg, repo):
        reg.push_blob(repo, b"seed")
        # distribution 2.8.2 says BLOB_UPLOAD_INVALID for a session it never issued
        codes = ("BLOB_UPLOAD_UNKNOWN",) if STRICT else ("BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID")
        r = reg.req("GET", f"/v2/{repo}/blobs/uploads/{uuid.uuid4()}")
        assert_error(r, 404, *codes)
        r = reg.req("PATCH", f"/v2/{repo}/blobs/uploads/{uuid.uuid4()}", data=b"x")
        assert_error(r, 404, *codes)

    def test_cross_repo_mount_with_from(self, reg, repo):
        data = os.urandom(4000)
        d = reg.push_blob(repo, data)
        other = repo + "-other"
        r = reg.req("POST", f"/v2/{other}/blobs/uploads/", params={"mount": d, "from": repo})
        assert r.status_code == 201, r.text
        assert loc(reg, r).endswith(f"/v2/{other}/blobs/{d}")
        assert r.headers["Docker-Content-Digest"] == d
        r = reg.req("GET", f"/v2/{other}/blobs/{d}")
        assert r.status_code == 200 and r.content == data

    def test_cross_repo_mount_without_from(self, reg, repo):
        data = os.urandom(4000)
        d = reg.push_blob(repo, data)
        other = repo + "-auto"
        r = reg.req("POST", f"/v2/{other}/blobs/uploads/", params={"mount": d})
        if not STRICT and r.status_code == 202:
            pytest.skip("distribution 2.8.2 has no automatic mount (spec: MAY answer 202)")
        # douane issue: automatic mount when the blob exists -> 201
        assert r.status_code == 201, r.text
        assert loc(reg, r).endswith(f"/v2/{other}/blobs/{d}")
        assert reg.req("GET", f"/v2/{other}/blobs/{d}").content == data

    def test_mount_unknown_blob_falls_back_to_upload(self, reg, repo):
        reg.push_blob(repo, b"seed")
        d = digest(os.urandom(16))
        r = reg.req("POST", f"/v2/{repo}-x/blobs/uploads/", params={"mount": d, "from": repo})
        assert r.status_code == 202
        data = os.urandom(100)
        r = reg.req("PUT", loc(reg, r), params={"digest": digest(data)}, data=data)
        assert r.status_code == 201

    def test_put_wrong_digest(self, reg, repo):
        data = os.urandom(1000)
        bad = digest(b"something else")
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
        r = reg.req("PUT", loc(reg, r), params={"digest": bad}, data=data)
        assert_error(r, 400, "DIGEST_INVALID")
        assert reg.req("HEAD", f"/v2/{repo}/blobs/{bad}").status_code == 404
        assert reg.req("HEAD", f"/v2/{repo}/blobs/{digest(data)}").status_code == 404

    def test_put_without_digest(self, reg, repo):
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
        r = reg.req("PUT", loc(reg, r), data=b"abc")
        assert_error(r, 400, "DIGEST_INVALID")

    def test_sha512_blob(self, reg, repo):
        data = os.urandom(7000)
        d = reg.push_blob(repo, data, algo="sha512")
        assert d.startswith("sha512:")
        r = reg.req("HEAD", f"/v2/{repo}/blobs/{d}")
        assert r.status_code == 200
        # douane issue: sha512 preserved, never silently rewritten to sha256
        # (distribution 2.8.2 answers with the sha256 of the bytes)
        if STRICT:
            assert r.headers["Docker-Content-Digest"] == d
        r = reg.req("GET", f"/v2/{repo}/blobs/{d}")
        assert r.status_code == 200 and r.content == data
        if STRICT:
            assert r.headers["Docker-Content-Digest"] == d

    @pytest.mark.douane_only("2.8.2 cannot store a manifest under a sha512 digest")
    def test_sha512_manifest(self, reg, repo):
        img = make_image(1, 100)
        for b in img["blobs"]:
            reg.push_blob(repo, b)
        d512 = digest(img["manifest"], "sha512")
        r = reg.push_manifest(repo, d512, img["manifest"])
        assert r.headers["Docker-Content-Digest"] == d512
        r = reg.get_manifest(repo, d512)
        assert r.status_code == 200 and r.content == img["manifest"]
        assert r.headers["Docker-Content-Digest"] == d512

    def test_unknown_digest_algorithm(self, reg, repo):
        data = b"hello"
        bad = "md5:" + hashlib.md5(data).hexdigest()
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
        r = reg.req("PUT", loc(reg, r), params={"digest": bad}, data=data)
        assert_error(r, 400, "DIGEST_INVALID", "UNSUPPORTED")
        r = reg.req("GET", f"/v2/{repo}/blobs/{bad}")
        assert_error(r, (400, 404) if not STRICT else 400, "DIGEST_INVALID", "UNSUPPORTED", "BLOB_UNKNOWN")

    def test_malformed_digest(self, reg, repo):
        reg.push_blob(repo, b"seed")
        for bad in ("sha256:abc", "sha256:" + "g" * 64, "sha256:" + "A" * 64, "nodigest"):
            r = reg.req("GET", f"/v2/{repo}/blobs/{bad}")
            if STRICT:
                assert_error(r, 400, "DIGEST_INVALID")
            else:
                assert r.status_code in (400, 404), (bad, r.status_code)

    # -- manifests --------------------------------------------------------
    def test_manifest_put_tags(self, reg, repo):
        img = make_image(2, 500)
        for b in img["blobs"]:
            reg.push_blob(repo, b)
        for i in range(4):
            r = reg.push_manifest(repo, f"test{i}", img["manifest"])
            assert loc(reg, r)
            assert r.headers["Docker-Content-Digest"] == img["digest"]
        r = reg.get_manifest(repo, img["digest"], accept=OCI_MANIFEST)
        assert r.status_code == 200 and r.content == img["manifest"]

    def test_manifest_put_by_digest(self, reg, repo):
        img = make_image(1, 500)
        for b in img["blobs"]:
            reg.push_blob(repo, b)
        r = reg.push_manifest(repo, img["digest"], img["manifest"])
        assert loc(reg, r).endswith(f"/v2/{repo}/manifests/{img['digest']}")
        assert reg.get_manifest(repo, img["digest"]).content == img["manifest"]

    def test_manifest_put_digest_mismatch(self, reg, repo):
        img = make_image(1, 500)
        for b in img["blobs"]:
            reg.push_blob(repo, b)
        r = reg.push_manifest(repo, digest(b"other"), img["manifest"], expect=None)
        assert_error(r, 400, "DIGEST_INVALID")

    def test_manifest_bytes_exact(self, reg, repo):
        """Odd whitespace and key order must survive: the digest is of the bytes sent."""
        img = make_image(1, 100)
        for b in img["blobs"]:
            reg.push_blob(repo, b)
        m = json.loads(img["manifest"])
        body = (b'{  "schemaVersion":2 ,\n\t"layers": ' + json.dumps(m["layers"]).encode() +
                b', "config":' + json.dumps(m["config"], indent=5).encode() +
                b', "mediaType": "' + OCI_MANIFEST.encode() + b'"}\n\n')
        r = reg.push_manifest(repo, "odd", body)
        assert r.headers["Docker-Content-Digest"] == digest(body)
        g = reg.get_manifest(repo, "odd")
        assert g.content == body and g.headers["Docker-Content-Digest"] == digest(body)

    def test_manifest_missing_blob(self, reg, repo):
        img = make_image(2, 300)
        reg.push_blob(repo, img["config"])
        reg.push_blob(repo, img["layers"][0])     # second layer missing
        r = reg.push_manifest(repo, "t", img["manifest"], expect=None)
        assert_error(r, 400, "MANIFEST_BLOB_UNKNOWN")
        img2 = make_image(1, 300)
        reg.push_blob(repo, img2["layers"][0])    # config missing
        r = reg.push_manifest(repo, "t", img2["manifest"], expect=None)
        assert_error(r, 400, "MANIFEST_BLOB_UNKNOWN")
        assert reg.get_manifest(repo, "t").status_code == 404

    def test_manifest_invalid(self, reg, repo):
        reg.push_blob(repo, b"seed")
        for body in (b"not json", b'{"schemaVersion": 2, "config": 7}', b"[]", b"",
                     b'{"schemaVersion":2,"mediaType":"' + OCI_MANIFEST.encode() + b'","layers":"x"}'):
            r = reg.push_manifest(repo, "bad", body, expect=None)
            assert_error(r, 400, "MANIFEST_INVALID")
        assert reg.get_manifest(repo, "bad").status_code == 404

    def test_manifest_size_cap(self, reg, repo):
        # spec 1.1: registries SHOULD accept at least 4 MiB; over their limit they
        # SHOULD answer 413.  douane's cap defaults to 4 MiB.
        img = make_image(1, 100)
        for b in img["blobs"]:
            reg.push_blob(repo, b)
        m = json.loads(img["manifest"])
        m["annotations"] = {"pad": "x" * (4 * 1024 * 1024 + 100)}
        r = reg.push_manifest(repo, "big", canon(m), expect=None)
        if STRICT:
            assert r.status_code == 413, r.status_code
        else:
            assert r.status_code in (400, 413)
            if r.status_code == 400:
                assert error_codes(r)[0] in ("MANIFEST_INVALID", "SIZE_INVALID")
        assert reg.get_manifest(repo, "big").status_code == 404
        # just under the cap is accepted
        m["annotations"] = {"pad": "y" * (4 * 1024 * 1024 - 4096)}
        reg.push_manifest(repo, "under", canon(m))

    def test_oci_index(self, reg, repo):
        a, b = make_image(1, 100), make_image(1, 100)
        for img in (a, b):
            for blob in img["blobs"]:
                reg.push_blob(repo, blob)
            reg.push_manifest(repo, img["digest"], img["manifest"])
        idx = canon({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
            descriptor(OCI_MANIFEST, a["manifest"], platform={"architecture": "amd64", "os": "linux"}),
            descriptor(OCI_MANIFEST, b["manifest"], platform={"architecture": "arm64", "os": "linux"})]})
        r = reg.push_manifest(repo, "multi", idx, OCI_INDEX)
        assert r.headers["Docker-Content-Digest"] == digest(idx)
        g = reg.get_manifest(repo, "multi")
        assert g.status_code == 200 and g.content == idx
        assert g.headers["Content-Type"] == OCI_INDEX
        h = reg.req("HEAD", f"/v2/{repo}/manifests/multi", headers={"Accept": OCI_INDEX})
        assert h.headers["Content-Type"] == OCI_INDEX
        assert h.headers["Docker-Content-Digest"] == digest(idx)

    def test_index_missing_child(self, reg, repo):
        a = make_image(1, 100)
        for blob in a["blobs"]:
            reg.push_blob(repo, blob)
        idx = canon({"schemaVersion": 2, "mediaType": OCI_INDEX,
                     "manifests": [descriptor(OCI_MANIFEST, a["manifest"])]})
        r = reg.push_manifest(repo, "multi", idx, OCI_INDEX, expect=None)
        assert_error(r, 400, "MANIFEST_BLOB_UNKNOWN", "MANIFEST_UNKNOWN")

    def test_docker_schema2_and_list(self, reg, repo):
        a = make_image(2, 200, media_type=DOCKER_MANIFEST)
        b = make_image(1, 200, media_type=DOCKER_MANIFEST)
        for img in (a, b):
            for blob in img["blobs"]:
                reg.push_blob(repo, blob)
        r = reg.push_manifest(repo, "d1", a["manifest"], DOCKER_MANIFEST)
        assert r.headers["Docker-Content-Digest"] == a["digest"]
        reg.push_manifest(repo, b["digest"], b["manifest"], DOCKER_MANIFEST)
        g = reg.get_manifest(repo, "d1", accept=DOCKER_MANIFEST)
        assert g.content == a["manifest"] and g.headers["Content-Type"] == DOCKER_MANIFEST
        lst = canon({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
            descriptor(DOCKER_MANIFEST, a["manifest"], platform={"architecture": "amd64", "os": "linux"}),
            descriptor(DOCKER_MANIFEST, b["manifest"], platform={"architecture": "arm64", "os": "linux"})]})
        r = reg.push_manifest(repo, "list", lst, DOCKER_LIST)
        assert r.headers["Docker-Content-Digest"] == digest(lst)
        g = reg.get_manifest(repo, "list", accept=ALL_MANIFEST_TYPES)
        assert g.content == lst and g.headers["Content-Type"] == DOCKER_LIST
        g = reg.get_manifest(repo, digest(lst), accept=DOCKER_LIST)
        assert g.content == lst

    def test_tag_overwrite(self, reg, repo):
        a, b = reg.push_image(repo, "t"), make_image(1, 10)
        for blob in b["blobs"]:
            reg.push_blob(repo, blob)
        reg.push_manifest(repo, "t", b["manifest"])
        assert reg.get_manifest(repo, "t").content == b["manifest"]
        assert reg.get_manifest(repo, a["digest"]).content == a["manifest"]


# ---------------------------------------------------------------- discovery
def _tags(r):
    assert r.status_code == 200, r.text
    body = r.json()
    return body["tags"] or []


def _next_link(r, path):
    link = r.headers.get("Link")
    if not link:
        return None
    m = re.match(r'<([^>]+)>;\s*rel="?next"?', link)
    assert m, link
    assert m.group(1).startswith(path), link
    return m.group(1)


class TestDiscovery:
    def test_tags_list_sorted_paginated(self, reg, repo):
        img = make_image(1, 10)
        for b in img["blobs"]:
            reg.push_blob(repo, b)
        names = ["zeta", "alpha", "Beta", "v1.0", "v1.10", "v1.2", "latest", "_under", "a-b"]
        for t in names:
            reg.push_manifest(repo, t, img["manifest"])
        r = reg.req("GET", f"/v2/{repo}/tags/list")
        assert r.json()["name"] == repo
        if STRICT:
            assert _tags(r) == sorted(names)
        else:   # distribution 2.8.2 does not sort the unpaginated list
            assert sorted(_tags(r)) == sorted(names)
        if not STRICT and len(_tags(reg.req("GET", f"/v2/{repo}/tags/list?n=4"))) > 4:
            pytest.skip("distribution 2.8.2 ignores n/last on tags/list (added in 3.0)")
        # n limits; Link points at the next page; last excludes itself
        got, url, pages = [], f"/v2/{repo}/tags/list?n=4", 0
        while url:
            r = reg.req("GET", url)
            page = _tags(r)
            assert len(page) <= 4
            got += page
            url = _next_link(r, f"/v2/{repo}/tags/list")
            pages += 1
            assert pages < 10
        assert got == sorted(names)
        r = reg.req("GET", f"/v2/{repo}/tags/list", params={"n": 2, "last": "alpha"})
        page = _tags(r)
        assert "alpha" not in page and page == sorted(names)[sorted(names).index("alpha") + 1:][:2]
        r = reg.req("GET", f"/v2/{repo}/tags/list", params={"n": 100})
        assert _tags(r) == sorted(names)
        assert "Link" not in r.headers

    def test_tags_list_n_zero(self, reg, repo):
        reg.push_image(repo, "a")
        r = reg.req("GET", f"/v2/{repo}/tags/list", params={"n": 0})
        if not STRICT and _tags(r):
            pytest.skip("distribution 2.8.2 treats n=0 as 'no limit'")
        assert r.status_code == 200 and _tags(r) == []

    def test_tags_list_unknown_repo(self, reg, repo):
        r = reg.req("GET", f"/v2/{repo}/tags/list")
        assert_error(r, 404, "NAME_UNKNOWN")

    def test_catalog(self, registry):
        repos = sorted(f"cat/r{i:02d}" for i in range(7))
        for rp in repos:
            registry.push_image(rp, "t", nlayers=1, layer_size=10)
        r = registry.req("GET", "/v2/_catalog")
        assert r.status_code == 200 and r.json()["repositories"] == repos
        got, url = [], "/v2/_catalog?n=3"
        while url:
            r = registry.req("GET", url)
            page = r.json()["repositories"]
            assert len(page) <= 3
            got += page
            url = _next_link(r, "/v2/_catalog")
        assert got == repos
        r = registry.req("GET", "/v2/_catalog", params={"n": 2, "last": repos[2]})
        assert r.json()["repositories"] == repos[3:5]

    @pytest.mark.douane_only("2.8.2 has no referrers API (404 on /referrers/)")
    def test_referrers(self, reg, repo):
        subject = make_image(1, 100)
        for b in subject["blobs"]:
            reg.push_blob(repo, b)
        reg.push_blob(repo, EMPTY_JSON)
        assert digest(EMPTY_JSON) == EMPTY_JSON_DIGEST
        sd = descriptor(OCI_MANIFEST, subject["manifest"])
        ann_key = "org.opencontainers.conformance.test"
        refs, types = {}, {}

        def refman(kind, artifact, layer_blob, via_config):
            reg.push_blob(repo, layer_blob)
            m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                 "config": ({"mediaType": artifact, "digest": EMPTY_JSON_DIGEST, "size": 2}
                            if via_config else descriptor(OCI_EMPTY, EMPTY_JSON)),
                 "layers": [descriptor("application/octet-stream", layer_blob)],
                 "subject": sd, "annotations": {ann_key: kind}}
            if not via_config:
                m["artifactType"] = artifact
            return canon(m)

        # referrers pushed BEFORE the subject exists
        for kind, art, via in (("a-config", "application/vnd.test.a", True),
                               ("a-layer", "application/vnd.test.a", False)):
            body = refman(kind, art, os.urandom(32), via)
            r = reg.push_manifest(repo, digest(body), body)
            assert r.headers.get("OCI-Subject") == sd["digest"]
            refs[digest(body)] = kind
            types[digest(body)] = art
        # an index referrer
        idx = canon({"schemaVersion": 2, "mediaType": OCI_INDEX, "artifactType": "application/vnd.test.idx",
                     "manifests": [], "subject": sd, "annotations": {ann_key: "idx"}})
        r = reg.push_manifest(repo, digest(idx), idx, OCI_INDEX)
        assert r.headers.get("OCI-Subject") == sd["digest"]
        refs[digest(idx)] = "idx"
        types[digest(idx)] = "application/vnd.test.idx"
        reg.push_manifest(repo, "subject", subject["manifest"])
        # and AFTER
        for kind, art, via in (("b-config", "application/vnd.test.b", True),
                               ("b-layer", "application/vnd.test.b", False)):
            body = refman(kind, art, os.urandom(32), via)
            r = reg.push_manifest(repo, digest(body), body)
            assert r.headers.get("OCI-Subject") == sd["digest"]
            refs[digest(body)] = kind
            types[digest(body)] = art
        # a referrer to a subject that never exists
        ghost = descriptor(OCI_MANIFEST, b'{"ghost":1}')
        reg.push_blob(repo, b"ghostlayer")
        c = canon({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.test.c",
                   "config": descriptor(OCI_EMPTY, EMPTY_JSON),
                   "layers": [descriptor("application/octet-stream", b"ghostlayer")],
                   "subject": ghost, "annotations": {ann_key: "c"}})
        r = reg.push_manifest(repo, digest(c), c)
        assert r.headers.get("OCI-Subject") == ghost["digest"]

        # unknown digest: empty index, 200
        r = reg.req("GET", f"/v2/{repo}/referrers/{digest(b'nothing')}")
        assert r.status_code == 200
        assert r.headers["Content-Type"] == OCI_INDEX
        body = r.json()
        assert body["schemaVersion"] == 2 and body["manifests"] == []

        r = reg.req("GET", f"/v2/{repo}/referrers/{sd['digest']}")
        assert r.status_code == 200 and r.headers["Content-Type"] == OCI_INDEX
        assert "OCI-Filters-Applied" not in r.headers      # no filter asked, none applied
        body = r.json()
        assert body["mediaType"] == OCI_INDEX
        got = {m["digest"]: m for m in body["manifests"]}
        assert set(got) == set(refs)
        for d, m in got.items():
            assert m["annotations"] == {ann_key: refs[d]}
            assert m["artifactType"] == types[d]
            assert m["mediaType"] in (OCI_MANIFEST, OCI_INDEX)
            assert m["size"] > 0

        r = reg.req("GET", f"/v2/{repo}/referrers/{sd['digest']}",
                    params={"artifactType": "application/vnd.test.a"})
        assert r.status_code == 200
        assert r.headers.get("OCI-Filters-Applied") == "artifactType"
        got = r.json()["manifests"]
        assert len(got) == 2 and all(m["artifactType"] == "application/vnd.test.a" for m in got)

        r = reg.req("GET", f"/v2/{repo}/referrers/{ghost['digest']}")
        got = r.json()["manifests"]
        assert [m["digest"] for m in got] == [digest(c)]

        # referrers are per repository: the same subject digest elsewhere has none
        other = repo + "-elsewhere"
        reg.push_blob(other, b"x")
        r = reg.req("GET", f"/v2/{other}/referrers/{sd['digest']}")
        assert r.status_code == 200 and r.json()["manifests"] == []

        # deleting a referrer removes it from the list
        first = next(iter(refs))
        assert reg.req("DELETE", f"/v2/{repo}/manifests/{first}").status_code == 202
        r = reg.req("GET", f"/v2/{repo}/referrers/{sd['digest']}")
        assert first not in {m["digest"] for m in r.json()["manifests"]}

    @pytest.mark.douane_only("2.8.2 has no referrers API")
    def test_referrers_bad_digest(self, reg, repo):
        reg.push_image(repo, "t")
        r = reg.req("GET", f"/v2/{repo}/referrers/sha256:nothex")
        assert_error(r, 400, "DIGEST_INVALID")


# ---------------------------------------------------------------- management
class TestManagement:
    def test_delete_tag(self, reg, repo):
        img = reg.push_image(repo, "keep")
        reg.push_manifest(repo, "gone", img["manifest"])
        r = reg.req("DELETE", f"/v2/{repo}/manifests/gone")
        if not STRICT and r.status_code in (400, 405):
            pytest.skip(f"distribution 2.8.2 refuses tag deletion ({r.status_code})")
        assert r.status_code == 202, r.text
        assert reg.get_manifest(repo, "gone").status_code == 404
        assert reg.get_manifest(repo, "keep").content == img["manifest"]
        assert reg.get_manifest(repo, img["digest"]).status_code == 200
        assert _tags(reg.req("GET", f"/v2/{repo}/tags/list")) == ["keep"]
        assert_error(reg.req("DELETE", f"/v2/{repo}/manifests/gone"), 404, "MANIFEST_UNKNOWN")

    def test_delete_manifest_by_digest(self, reg, repo):
        img = reg.push_image(repo, "t1")
        reg.push_manifest(repo, "t2", img["manifest"])
        r = reg.req("DELETE", f"/v2/{repo}/manifests/{img['digest']}")
        assert r.status_code == 202
        assert reg.req("HEAD", f"/v2/{repo}/manifests/{img['digest']}").status_code == 404
        assert_error(reg.get_manifest(repo, img["digest"]), 404, "MANIFEST_UNKNOWN")
        assert reg.get_manifest(repo, "t1").status_code == 404   # tags pointing at it go too
        r = reg.req("GET", f"/v2/{repo}/tags/list")
        assert r.status_code in (200, 404)
        if r.status_code == 200:
            assert _tags(r) == []
        assert_error(reg.req("DELETE", f"/v2/{repo}/manifests/{img['digest']}"), 404, "MANIFEST_UNKNOWN")

    def test_delete_blob(self, reg, repo):
        data = os.urandom(1000)
        d = reg.push_blob(repo, data)
        r = reg.req("DELETE", f"/v2/{repo}/blobs/{d}")
        assert r.status_code == 202
        assert reg.req("HEAD", f"/v2/{repo}/blobs/{d}").status_code == 404
        assert_error(reg.req("GET", f"/v2/{repo}/blobs/{d}"), 404, "BLOB_UNKNOWN")
        assert_error(reg.req("DELETE", f"/v2/{repo}/blobs/{d}"), 404, "BLOB_UNKNOWN")
        # pushing it again works
        reg.push_blob(repo, data)
        assert reg.req("GET", f"/v2/{repo}/blobs/{d}").content == data

    def test_delete_blob_in_one_repo_only(self, reg, repo):
        data = os.urandom(1000)
        d = reg.push_blob(repo, data)
        reg.push_blob(repo + "-b", data)
        assert reg.req("DELETE", f"/v2/{repo}/blobs/{d}").status_code == 202
        assert reg.req("HEAD", f"/v2/{repo}/blobs/{d}").status_code == 404
        assert reg.req("GET", f"/v2/{repo}-b/blobs/{d}").content == data


# ---------------------------------------------------------------- error codes
class TestErrors:
    def test_name_invalid(self, reg):
        for name in ("UPPER/case", "a//b", "-lead", "trail-", "a/.hidden", "x__", "a..b"):
            r = reg.req("GET", f"/v2/{name}/tags/list")
            if STRICT:
                assert_error(r, 400, "NAME_INVALID")
            else:   # 2.8.2's router 404s (or 301-cleans "//") instead of NAME_INVALID
                assert r.status_code in (301, 400, 404), (name, r.status_code)

    def test_name_unknown(self, reg, repo):
        assert_error(reg.get_manifest(repo, "latest"), 404, "NAME_UNKNOWN", "MANIFEST_UNKNOWN")
        assert_error(reg.req("GET", f"/v2/{repo}/blobs/{digest(b'x')}"), 404, "NAME_UNKNOWN", "BLOB_UNKNOWN")

    def test_bad_tag(self, reg, repo):
        reg.push_blob(repo, b"x")
        img = make_image(1, 10)
        for b in img["blobs"]:
            reg.push_blob(repo, b)
        for tag in ("-lead", ".dot", "x" * 129, "bad!tag"):
            r = reg.push_manifest(repo, tag, img["manifest"], expect=None)
            if STRICT:
                assert_error(r, 400, "MANIFEST_INVALID", "NAME_INVALID", "TAG_INVALID")
            else:
                assert r.status_code in (400, 404), (tag, r.status_code)

    def test_size_invalid(self, reg, repo):
        # Content-Length disagreeing with the length the Content-Range says
        r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
        r = reg.req("PATCH", loc(reg, r), data=b"0123456789", headers={
            "Content-Type": "application/octet-stream", "Content-Range": "0-19"})
        if STRICT:
            assert r.status_code in (400, 416), r.status_code
            if r.status_code == 400:
                assert_error(r, 400, "SIZE_INVALID", "BLOB_UPLOAD_INVALID")

    def test_unsupported_method(self, reg, repo):
        reg.push_image(repo, "t")
        r = reg.req("POST", f"/v2/{repo}/manifests/t", data=b"{}")
        assert r.status_code in (404, 405)
        if STRICT:
            assert r.status_code == 405
            assert error_codes(r)[0] in ("UNSUPPORTED",)
