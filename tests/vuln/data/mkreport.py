#!/usr/bin/env python3
"""Write a douane.index-report/v1 for this Debian 12 machine from
`dpkg-query -W -f '${Package}\t${Version}\t${Source}\t${Architecture}\n'`
(real package lines), as the inspection subsystem would for an image whose
/var/lib/dpkg/status holds these packages. Usage: mkreport.py > debian12.json"""
import json, re, subprocess, sys

out = subprocess.run(["dpkg-query", "-W", "-f",
                      "${Package}\t${Version}\t${Source}\t${Architecture}\n"],
                     capture_output=True, text=True, check=True).stdout
layer = "sha256:" + "1" * 64
pkgs = []
for line in sorted(out.splitlines()):
    name, ver, src, arch = line.split("\t")
    m = re.match(r"^(\S+)(?: \((\S+)\))?$", src) if src else None
    sname = m.group(1) if m else name
    sver = (m.group(2) or ver) if m else ver
    pkgs.append({"type": "deb", "name": name, "version": ver, "arch": arch,
                 "source": {"name": sname, "version": sver}, "namespace": None,
                 "license": None, "purl": f"pkg:deb/debian/{name}@{ver}?arch={arch}&distro=debian-12",
                 "locations": [{"layer": layer, "path": "var/lib/dpkg/status"}], "owner": None})
rep = {"schema": "douane.index-report/v1", "image": "localhost/debian12-host:latest",
       "manifest": "sha256:" + "a" * 64, "platform": "linux/amd64",
       "distribution": {"id": "debian", "version_id": "12", "version_codename": "bookworm",
                        "pretty_name": "Debian GNU/Linux 12 (bookworm)"},
       "packages": pkgs, "layers": [{"digest": layer}], "errors": []}
json.dump(rep, sys.stdout, indent=1)
sys.stdout.write("\n")
