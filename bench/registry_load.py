#!/usr/bin/env python3
"""registry_load.py - helpers for bench/registry.sh (stdlib only).

  image DIR              write a test image into DIR: config, a 1 MiB and a
                         100 MiB random layer, manifest; prints key=value lines
  push URL REPO DIR      push the image in DIR to the registry at URL (tag latest)
  static DIR WWW REPO    lay the same bytes out for nginx under WWW/v2/REPO/...
  push100 URL REPO PID N monolithic POST+PUT of N fresh 100 MiB blobs (via curl
                         -T, streamed); prints best MB/s and the server's peak
                         RSS during the pushes (VmHWM after resetting it)
  concurrent URL REPO DIR N
                         N clients push the image in DIR at once; prints
                         errors, seconds, and stored-copies check via the API
  catalog URL N [T]      create N repos (blob mounts, T threads) and time
                         GET /v2/_catalog?n=100&last=... pages
All traffic is to 127.0.0.1.
"""
import hashlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

MIB = 1024 * 1024
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def conn(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600)


def request(url, method, path, body=None, headers=None):
    c = conn(url)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Location"), data


def rel(loc):
    if loc.startswith("http"):
        u = urllib.parse.urlsplit(loc)
        return u.path + ("?" + u.query if u.query else "")
    return loc


def cmd_image(d):
    os.makedirs(d, exist_ok=True)
    small = os.urandom(MIB)
    big = os.urandom(100 * MIB)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [sha(small), sha(big)]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": sha(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": sha(b), "size": len(b)} for b in (small, big)]},
                          indent=2).encode()
    for name, data in (("config", config), ("small", small), ("big", big), ("manifest", manifest)):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"small={sha(small)}\nbig={sha(big)}\nmanifest={sha(manifest)}")


def load(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in ("config", "small", "big", "manifest")}


def push_blob(url, repo, data):
    d = sha(data)
    st, _, _ = request(url, "HEAD", f"/v2/{repo}/blobs/{d}")
    if st == 200:
        return
    st, loc, body = request(url, "POST", f"/v2/{repo}/blobs/uploads/")
    assert st == 202, (st, body)
    p = rel(loc)
    p += ("&" if "?" in p else "?") + "digest=" + d
    st, _, body = request(url, "PUT", p, body=data, headers={"Content-Type": "application/octet-stream"})
    assert st == 201, (st, body[:300])


def push_image(url, repo, img):
    for n in ("config", "small", "big"):
        push_blob(url, repo, img[n])
    st, _, body = request(url, "PUT", f"/v2/{repo}/manifests/latest", body=img["manifest"],
                          headers={"Content-Type": OCI_MANIFEST})
    assert st == 201, (st, body[:300])


def cmd_static(d, www, repo):
    img = load(d)
    os.makedirs(os.path.join(www, "v2", repo, "manifests"), exist_ok=True)
    os.makedirs(os.path.join(www, "v2", repo, "blobs"), exist_ok=True)
    with open(os.path.join(www, "v2", repo, "manifests", "latest"), "wb") as f:
        f.write(img["manifest"])
    for n in ("config", "small", "big"):
        with open(os.path.join(www, "v2", repo, "blobs", sha(img[n])), "wb") as f:
            f.write(img[n])


def hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])      # kB
    return 0


def cmd_push100(url, repo, pid, n):
    tmp = os.environ.get("TMPDIR", "/tmp")
    best = 0.0
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")            # reset the peak-RSS watermark
        reset = True
    except OSError:
        reset = False
    base = hwm(pid)
    for i in range(int(n)):
        path = os.path.join(tmp, f"push100-{os.getpid()}-{i}")
        with open(path, "wb") as f:
            f.write(os.urandom(100 * MIB))
        d = sha(open(path, "rb").read())
        st, loc, body = request(url, "POST", f"/v2/{repo}/blobs/uploads/")
        assert st == 202, (st, body)
        p = rel(loc)
        p += ("&" if "?" in p else "?") + "digest=" + d
        u = urllib.parse.urlsplit(url)
        t0 = time.monotonic()
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-T", path,
                            "-H", "Content-Type: application/octet-stream", "-H", "Expect:",
                            f"http://{u.hostname}:{u.port}{p}"], capture_output=True, text=True)
        dt = time.monotonic() - t0
        os.unlink(path)
        assert r.stdout.strip() == "201", (r.stdout, r.stderr)
        best = max(best, 100 * MIB / dt / 1e6)
    print(f"push_MBps={best:.0f}\npeak_rss_kB={hwm(pid)}\nrss_before_kB={base}\nhwm_reset={int(reset)}")


def cmd_concurrent(url, repo, d, n):
    img = load(d)
    n = int(n)
    errs = []

    def one(i):
        try:
            push_image(url, repo, img)
        except Exception as e:   # reported, not raised: threads
            errs.append(repr(e)[:200])
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.monotonic() - t0
    ok = all(request(url, "HEAD", f"/v2/{repo}/blobs/{sha(img[k])}")[0] == 200 for k in ("config", "small", "big"))
    print(f"concurrent_errors={len(errs)}\nconcurrent_seconds={dt:.2f}\nconcurrent_blobs_ok={int(ok)}")
    for e in errs[:3]:
        print("# error:", e, file=sys.stderr)


def main():
    a = sys.argv[1:]
    if not a:
        print(__doc__)
        return 2
    if a[0] == "image":
        cmd_image(a[1])
    elif a[0] == "push":
        push_image(a[1], a[2], load(a[3]))
    elif a[0] == "static":
        cmd_static(a[1], a[2], a[3])
    elif a[0] == "push100":
        cmd_push100(*a[1:5])
    elif a[0] == "concurrent":
        cmd_concurrent(*a[1:5])
    elif a[0] == "catalog":
        cmd_catalog(*a[1:4])
    else:
        print(__doc__)
        return 2
    return 0



def cmd_catalog(url, n, threads="8"):
    """Create n repositories by mounting one small blob into each (parallel,
    keep-alive), then time GET /v2/_catalog pages from the middle."""
    n, threads = int(n), int(threads)
    blob = b"catalog-bench"
    d = sha(blob)
    push_blob(url, "catalog/seed", blob)
    errs = []

    def worker(k):
        c = conn(url)
        for i in range(k, n, threads):
            try:
                c.request("POST", f"/v2/catalog/r{i:07d}/blobs/uploads/?mount={d}&from=catalog/seed")
                r = c.getresponse()
                r.read()
                if r.status != 201:
                    errs.append(r.status)
            except (OSError, http.client.HTTPException) as e:
                errs.append(repr(e))
                c = conn(url)
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    fill = time.monotonic() - t0
    c = conn(url)
    lat = []
    for i in range(20):
        t1 = time.monotonic()
        c.request("GET", f"/v2/_catalog?n=100&last=catalog/r{(i * 4999) % n:07d}")
        r = c.getresponse()
        body = r.read()
        lat.append(time.monotonic() - t1)
        assert r.status == 200 and len(json.loads(body)["repositories"]) > 0, (r.status, body[:200])
    lat.sort()
    t1 = time.monotonic()
    c.request("GET", "/v2/_catalog")
    r = c.getresponse()
    full = json.loads(r.read())["repositories"]
    full_ms = (time.monotonic() - t1) * 1000
    print(f"catalog_full_ms={full_ms:.1f}\ncatalog_full_count={len(full)}")
    print(f"catalog_repos={n}\ncatalog_fill_per_s={n / fill:.0f}\ncatalog_errors={len(errs)}\n"
          f"catalog_page_ms_p50={lat[len(lat) // 2] * 1000:.1f}\ncatalog_page_ms_max={lat[-1] * 1000:.1f}")


if __name__ == "__main__":
    sys.exit(main())
