"""mTLS identities end to end: `douane serve` over HTTPS asks TLS clients for a
certificate (auth.mtls.ca), hands it to auth, which maps the verified CN to
roles. A certificate with the same CN from another CA gets nothing."""
import os
import re
import subprocess
import time

import pytest
import requests

from regutil import douane_bin, douane_has, free_port


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d):
    ext = d / "ext.cnf"
    ext.write_text("[srv]\nsubjectAltName=IP:127.0.0.1\n[cli]\nextendedKeyUsage=clientAuth\n")
    for ca in ("ca", "evil"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "1", "-subj", "/CN=test-ca", cwd=d)

    def issue(name, cn, ca, section):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "1", "-extfile", "ext.cnf",
                "-extensions", section, cwd=d)
    issue("server", "127.0.0.1", "ca", "srv")
    issue("build", "build-01", "ca", "cli")
    issue("forged", "build-01", "evil", "cli")


@pytest.fixture
def mtls_server(tmp_path):
    if not douane_has("serve"):
        pytest.skip("douane serve is not in this build")
    make_pki(tmp_path)
    port = free_port()
    cfg = tmp_path / "douane.yaml"
    cfg.write_text(f"""tls:
  cert: {tmp_path}/server.pem
  key: {tmp_path}/server.key
auth:
  service: douane.test
  realm: https://127.0.0.1:{port}/token
  issuers: []
  roles:
    quarantine-pusher: [{{repos: "quarantine/**", actions: [pull, push]}}]
  mtls:
    ca: {tmp_path}/ca.pem
    identities:
      - {{subject_cn: build-01, roles: [quarantine-pusher]}}
""")
    log = open(tmp_path / "serve.log", "w")
    p = subprocess.Popen([douane_bin(), "serve", "--config", str(cfg), "--listen", f"127.0.0.1:{port}",
                          "--data", str(tmp_path / "data")], stdout=log, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/v2/", verify=str(tmp_path / "ca.pem"), timeout=1)
            break
        except requests.exceptions.ConnectionError:
            time.sleep(0.1)
    yield url, tmp_path
    p.terminate()
    p.wait(10)
    log.close()
    text = (tmp_path / "serve.log").read_text()
    assert "AddressSanitizer" not in text and "runtime error:" not in text, text[-3000:]


def test_client_certificate_is_an_identity(mtls_server):
    url, d = mtls_server
    ca = str(d / "ca.pem")
    blob = b"pushed with a client certificate"
    import hashlib
    dg = "sha256:" + hashlib.sha256(blob).hexdigest()
    good = (str(d / "build.pem"), str(d / "build.key"))
    r = requests.post(f"{url}/v2/quarantine/app/blobs/uploads/?digest={dg}", data=blob, cert=good, verify=ca)
    assert r.status_code == 201, r.text
    r = requests.get(f"{url}/v2/quarantine/app/blobs/{dg}", cert=good, verify=ca)
    assert r.status_code == 200 and r.content == blob
    # no certificate: asked to authenticate
    r = requests.get(f"{url}/v2/quarantine/app/blobs/{dg}", verify=ca)
    assert r.status_code == 401 and "Bearer" in r.headers.get("WWW-Authenticate", "")
    # the identity grants quarantine only
    r = requests.get(f"{url}/v2/golden/app/tags/list", cert=good, verify=ca)
    assert r.status_code in (401, 403)
    # same CN, other CA: not trusted
    forged = (str(d / "forged.pem"), str(d / "forged.key"))
    r = requests.get(f"{url}/v2/quarantine/app/blobs/{dg}", cert=forged, verify=ca)
    assert r.status_code in (401, 403)
    log = (d / "serve.log").read_text()
    assert "subject=mtls|build-01" in log


def test_auth_decisions_are_counted(mtls_server):
    url, d = mtls_server
    ca = str(d / "ca.pem")
    good = (str(d / "build.pem"), str(d / "build.key"))
    requests.get(f"{url}/v2/quarantine/app/tags/list", cert=good, verify=ca)
    requests.get(f"{url}/v2/quarantine/app/tags/list", verify=ca)
    m = requests.get(f"{url}/metrics", verify=ca).text
    counts = dict(re.findall(r'douane_auth_decisions_total\{verdict="(\w+)"\} (\d+)', m))
    assert int(counts.get("allow", 0)) >= 1 and int(counts.get("challenge", 0)) >= 1, m[-2000:]
