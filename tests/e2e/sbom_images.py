"""Build small OCI images by hand for the sbom tests (and the benchmark).

Layers are tar streams made with tarfile from real files of this Debian
machine (its dpkg database, /usr/share/doc copyright files, os-release)
or from bytes given by the test; gzip via Python, zstd via the zstd(1)
command. The layout follows the OCI image-layout spec: oci-layout,
index.json, blobs/sha256/<hex>.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
               "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
               "none": "application/vnd.oci.image.layer.v1.tar"}


def tar_bytes(entries):
    """entries: list of (path, spec); spec is bytes (file), ('symlink', target),
    ('hardlink', target), ('dir',) or ('file_from', host_path)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, spec in entries:
            ti = tarfile.TarInfo(path)
            ti.mtime = 0
            if isinstance(spec, (bytes, bytearray)):
                ti.size = len(spec)
                ti.mode = 0o644
                t.addfile(ti, io.BytesIO(spec))
            elif spec[0] == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = spec[1]
                t.addfile(ti)
            elif spec[0] == "hardlink":
                ti.type = tarfile.LNKTYPE
                ti.linkname = spec[1]
                t.addfile(ti)
            elif spec[0] == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                t.addfile(ti)
            elif spec[0] == "file_from":
                data = open(spec[1], "rb").read()
                ti.size = len(data)
                ti.mode = 0o644
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def unclosed_tar(entries):
    """tar_bytes(entries) as a writer that never closed its tar leaves it: cut
    right after the last member's data, without its padding to 512 bytes or
    the end-of-archive blocks (umoci before PR #534, e.g. Debian 12's 0.4.7,
    wrote `umoci insert` layers this way; Go's archive/tar reads them)."""
    raw = tar_bytes(entries)
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as t:
        last = t.getmembers()[-1]
    return raw[:last.offset_data + last.size]


def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, compresslevel=1, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=raw, check=True,
                              stdout=subprocess.PIPE).stdout
    return raw


class Layout:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        self.index = []

    def blob(self, data):
        d = hashlib.sha256(data).hexdigest()
        p = os.path.join(self.path, "blobs", "sha256", d)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(data)
        return "sha256:" + d

    def image(self, layers, os_="linux", arch="amd64", variant=None):
        """layers: list of (compression, raw tar bytes). Returns the manifest descriptor."""
        descs, diff_ids = [], []
        for how, raw in layers:
            data = compress(raw, how)
            descs.append({"mediaType": LAYER_TYPES[how], "digest": self.blob(data), "size": len(data)})
            diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        cfg = {"architecture": arch, "os": os_, "rootfs": {"type": "layers", "diff_ids": diff_ids},
               "config": {}}
        if variant:
            cfg["variant"] = variant
        cb = json.dumps(cfg, sort_keys=True).encode()
        m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
             "config": {"mediaType": OCI_CONFIG, "digest": self.blob(cb), "size": len(cb)},
             "layers": descs}
        mb = json.dumps(m, sort_keys=True).encode()
        plat = {"os": os_, "architecture": arch}
        if variant:
            plat["variant"] = variant
        return {"mediaType": OCI_MANIFEST, "digest": self.blob(mb), "size": len(mb), "platform": plat}

    def index_of(self, manifests):
        ib = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests},
                        sort_keys=True).encode()
        return {"mediaType": OCI_INDEX, "digest": self.blob(ib), "size": len(ib)}

    def tag(self, desc, name):
        d = dict(desc)
        d.pop("platform", None)
        d["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.index.append(d)
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.index}, f)
