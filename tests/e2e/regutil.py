"""regutil - shared helpers for the end-to-end registry tests.

Design: everything here talks plain HTTP to a registry on loopback with
`requests`; nothing depends on which implementation is behind the URL.  The
server lifecycle (douane or CNCF distribution) lives in `Registry`; test files
get instances from the fixtures in conftest.py and use the push/pull helpers
below so that each test states only what it checks.

Invariants: servers bind 127.0.0.1 only; every started process is killed by
its owner (the fixture) even when a test fails; data dirs are pytest tmp dirs.
"""
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import time

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
EMPTY_JSON = b"{}"
EMPTY_JSON_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

ALL_MANIFEST_TYPES = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])

# Error codes the distribution spec defines (section "Error Codes").
SPEC_ERROR_CODES = {
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID",
    "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED",
    "TOOMANYREQUESTS",
}

SRC_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def digest(data, algo="sha256"):
    return f"{algo}:{hashlib.new(algo, data).hexdigest()}"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def douane_bin():
    b = os.environ.get("DOUANE_BIN")
    if b:
        return b
    return os.path.join(SRC_DIR, "build-test", "src", "cli", "douane")


def douane_has(cmd):
    """True when the douane binary exists and knows subcommand `cmd`."""
    b = douane_bin()
    if not os.access(b, os.X_OK):
        return False
    try:
        r = subprocess.run([b, cmd, "--help"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


class Registry:
    """One registry server process on a free loopback port.

    impl is "douane" or "distribution".  `start()` waits until GET /v2/
    answers; `stop()` terminates (SIGTERM then SIGKILL); `kill9()` simulates a
    crash; `start()` again reuses the same data dir and port.
    """

    def __init__(self, impl, data_dir, extra_args=(), port=None):
        self.impl = impl
        self.data = str(data_dir)
        os.makedirs(self.data, exist_ok=True)
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(os.path.dirname(self.data.rstrip("/")) or ".",
                                     f"{os.path.basename(self.data.rstrip('/'))}-{impl}.log")
        self._log = None

    # -- lifecycle -------------------------------------------------------
    def command(self):
        if self.impl == "douane":
            return [douane_bin(), "serve", "--listen", self.host, "--data", self.data] + self.extra_args
        cfg = os.path.join(self.data, "..", f"distribution-{self.port}.yml")
        store = os.path.join(self.data, "storage")
        os.makedirs(store, exist_ok=True)
        with open(cfg, "w") as f:
            f.write(
                "version: 0.1\n"
                "log:\n  level: info\n  accesslog:\n    disabled: false\n"
                f"storage:\n  filesystem:\n    rootdirectory: {store}\n"
                "  delete:\n    enabled: true\n"
                "  maintenance:\n    uploadpurging:\n      enabled: false\n"
                f"http:\n  addr: {self.host}\n"
                "  headers:\n    X-Content-Type-Options: [nosniff]\n"
            )
        return ["docker-registry", "serve", os.path.abspath(cfg)]

    def start(self, timeout=30):
        # stderr (access log, errors) and stdout are kept apart: log() is stderr
        self._log = open(self.log_path, "ab")
        self._out = open(self.log_path + ".stdout", "ab")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen(self.command(), stdout=self._out, stderr=self._log,
                                     stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.impl} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                r = requests.get(self.url + "/v2/", timeout=1)
                if r.status_code in (200, 401):
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.impl} not ready after {timeout}s:\n{self.log()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._out.close()
            self._log = None
        return self.proc.returncode if self.proc else None

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self._log:
            self._log.close()
            self._out.close()
            self._log = None

    def problems(self):
        """Lines of the server's stderr that no test may produce: sanitizer
        reports (ASan/UBSan/LSan print them at the fault or at exit) and, for
        douane, any request answered with a 5xx status."""
        bad = []
        for line in self.log().splitlines():
            if ("AddressSanitizer" in line or "LeakSanitizer" in line or "runtime error:" in line
                    or "ThreadSanitizer" in line):
                bad.append(line)
            elif self.impl == "douane" and " request " in line and " status=5" in line:
                bad.append(line)
        return bad

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-20000:]
        except OSError:
            return ""

    # -- HTTP ------------------------------------------------------------
    def req(self, method, path, **kw):
        kw.setdefault("timeout", 60)
        kw.setdefault("allow_redirects", False)
        url = path if path.startswith("http") else self.url + path
        return requests.request(method, url, **kw)

    def abs(self, location):
        """Resolve a Location header (absolute or relative) against the server."""
        if location.startswith("http://") or location.startswith("https://"):
            return location
        return self.url + location

    # -- blobs -----------------------------------------------------------
    def push_blob(self, repo, data, algo="sha256"):
        d = digest(data, algo)
        r = self.req("POST", f"/v2/{repo}/blobs/uploads/")
        assert r.status_code == 202, (r.status_code, r.text)
        loc = self.abs(r.headers["Location"])
        r = self.req("PUT", loc, params={"digest": d}, data=data,
                     headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 201, (r.status_code, r.text)
        return d

    def push_manifest(self, repo, ref, body, media_type=OCI_MANIFEST, expect=201):
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        r = self.req("PUT", f"/v2/{repo}/manifests/{ref}", data=body,
                     headers={"Content-Type": media_type})
        if expect is not None:
            assert r.status_code == expect, (r.status_code, r.text)
        return r

    def get_manifest(self, repo, ref, accept=ALL_MANIFEST_TYPES):
        return self.req("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": accept})

    def push_image(self, repo, tag, nlayers=2, layer_size=1024, seed=None,
                   media_type=OCI_MANIFEST, extra=None):
        """Push config + random layers + manifest; returns (manifest bytes, digest, blobs)."""
        img = make_image(nlayers, layer_size, seed, media_type, extra)
        for b in img["blobs"]:
            self.push_blob(repo, b)
        self.push_manifest(repo, tag, img["manifest"], media_type)
        return img


def error_codes(resp):
    """The list of error codes in a spec error body (asserts its shape)."""
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"], body
    for e in body["errors"]:
        assert "code" in e and "message" in e, e
    return [e["code"] for e in body["errors"]]


def assert_error(resp, status, *codes):
    """status may be an int or a tuple of acceptable ints; codes: any of them."""
    ok = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in ok, f"want {status} got {resp.status_code}: {resp.text[:500]}"
    if resp.request.method != "HEAD" and codes:
        got = error_codes(resp)
        assert any(c in got for c in codes), f"want one of {codes} got {got}"


def descriptor(media_type, data, **extra):
    d = {"mediaType": media_type, "digest": digest(data), "size": len(data)}
    d.update(extra)
    return d


def canon(obj):
    return json.dumps(obj, indent=2, sort_keys=False).encode()


def make_image(nlayers=2, layer_size=1024, seed=None, media_type=OCI_MANIFEST, extra=None):
    """Random layers (each a valid uncompressed tar) + config + manifest."""
    rnd = os.urandom if seed is None else _seeded(seed)
    layers = [make_tar({f"file{i}.bin": rnd(layer_size)}) for i in range(nlayers)]
    diff_ids = [digest(l) for l in layers]
    config = canon({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "created": "2024-01-01T00:00:00Z",
    })
    if media_type == DOCKER_MANIFEST:
        cfg_t, lay_t = DOCKER_CONFIG, "application/vnd.docker.image.rootfs.diff.tar"
    else:
        cfg_t, lay_t = OCI_CONFIG, OCI_LAYER
    m = {"schemaVersion": 2, "mediaType": media_type,
         "config": descriptor(cfg_t, config),
         "layers": [descriptor(lay_t, l) for l in layers]}
    if extra:
        m.update(extra)
    body = canon(m)
    return {"manifest": body, "digest": digest(body), "config": config,
            "layers": layers, "blobs": [config] + layers, "media_type": media_type}


def make_tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def _seeded(seed):
    import random
    r = random.Random(seed)
    return lambda n: r.randbytes(n)


def write_oci_layout(path, blobs, index_manifests):
    """Write an OCI image layout dir: blobs (bytes list) + index.json entries."""
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
    for b in blobs:
        with open(os.path.join(path, "blobs", "sha256", hashlib.sha256(b).hexdigest()), "wb") as f:
            f.write(b)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index_manifests}, f)


def skopeo(*args, timeout=300, check=True):
    cmd = ["skopeo", "--insecure-policy"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def have(prog):
    return shutil.which(prog) is not None
