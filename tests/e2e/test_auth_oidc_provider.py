"""End-to-end with a real OIDC provider: panva/oidc-provider (npm) on loopback.

Two workloads get JWTs from the provider (client_credentials; iss = the
provider, aud = douane, sub = client id, per-workload claims), signed with
keys douane only learns through the provider's discovery document and JWKS.
They are exchanged at douane's token endpoint (tests/auth/authsrv, the
registry's auth glue) by skopeo and by `douane token`:
  workload-a may push to quarantine/..., workload-b may only pull golden/...
Then the provider rotates its signing key: new tokens still work (an unknown
kid triggers one JWKS refetch), old ones keep working until they expire and
fail after. Needs node and `npm install` in tests/e2e/oidc (done here once;
skips if the npm registry cannot be reached).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.dirname(__file__))
from oidc.harness import build_dir, douane, free_port, jwt_claims, run, wait_port  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oidc")
AUTHSRV = build_dir() / "tests/auth/authsrv"
TTL = 6


def _npm_ready():
    if not shutil.which("node") or not shutil.which("npm"):
        return "node/npm not installed"
    if not os.path.isdir(os.path.join(HERE, "node_modules", "oidc-provider")):
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE,
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            return "npm install oidc-provider failed: " + r.stderr.strip()[-200:]
    return None


pytestmark = pytest.mark.skipif(not AUTHSRV.exists(), reason=f"{AUTHSRV} not built")


class Provider:
    def __init__(self, tmp):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = str(tmp / "provider-keys.json")
        self.log = open(tmp / "provider.log", "w+")
        self.proc = None

    def start(self, *extra):
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "provider.mjs"), str(self.port), self.state,
                                      "--ttl", str(TTL), *extra], stdout=self.log, stderr=self.log)
        wait_port(self.port, self.proc, timeout=30)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def token(self, client):
        r = requests.post(f"{self.url}/token", auth=(client, f"{client}-secret"),
                          data={"grant_type": "client_credentials", "scope": "registry"}, timeout=10)
        r.raise_for_status()
        return r.json()["access_token"]


CONFIG = """auth:
  service: douane.test
  realm: http://127.0.0.1:{port}/token
  token_ttl: 1m
  leeway: 0s
  issuers:
    - issuer: {issuer}
      audience: douane
      refetch_interval: 1s
  identities:
    - name: workload-a
      issuer: {issuer}
      subject: workload-a
      claims: {{repository: acme/app, ref: refs/heads/main}}
      roles: [quarantine-pusher]
    - name: workload-b
      issuer: {issuer}
      subject: workload-b
      claims: {{kubernetes.io.namespace: prod}}
      roles: [reader]
  roles:
    quarantine-pusher: [{{repos: "quarantine/**", actions: [pull, push]}}]
    reader: [{{repos: "golden/**", actions: [pull]}}]
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    why = _npm_ready()     # installs on first use; only when these tests are selected
    if why:
        pytest.skip(why)
    tmp = tmp_path_factory.mktemp("oidcp")
    prov = Provider(tmp)
    prov.start()
    port = free_port()
    (tmp / "douane.yaml").write_text(CONFIG.format(port=port, issuer=prov.url))
    log = open(tmp / "authsrv.log", "w+")
    srv = subprocess.Popen([str(AUTHSRV), str(tmp / "douane.yaml"), str(tmp / "data"), str(port)],
                           stdout=log, stderr=log)
    wait_port(port, srv)
    yield {"prov": prov, "host": f"127.0.0.1:{port}", "url": f"http://127.0.0.1:{port}", "log": tmp / "authsrv.log"}
    srv.terminate()
    srv.wait(timeout=10)
    prov.stop()


def jwt_header(tok):
    h = tok.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))


def scoped(env, idt, *scopes):
    cmd = [douane(), "token", "--registry", env["host"], "--plain-http"]
    for s in scopes:
        cmd += ["--scope", s]
    return run(cmd + [idt])


@pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo not installed")
def test_skopeo_with_real_provider_tokens(env, tmp_path):
    a, b = env["prov"].token("workload-a"), env["prov"].token("workload-b")
    assert jwt_claims(a)["iss"] == env["prov"].url
    r = run(["skopeo", "login", "--tls-verify=false", "--authfile", str(tmp_path / "a.json"), "-u", "oidc",
             "--password-stdin", env["host"]], input=a)
    assert r.returncode == 0 and "Login Succeeded" in r.stdout, r.stderr
    q = f"docker://{env['host']}/quarantine/acme/app:v1"
    ra = run(["skopeo", "inspect", "--tls-verify=false", "--creds", f"oidc:{a}", q])
    assert "manifest unknown" in ra.stderr, ra.stderr          # allowed (stand-in has no storage)
    rb = run(["skopeo", "inspect", "--tls-verify=false", "--creds", f"oidc:{b}", q])
    assert "manifest unknown" not in rb.stderr and rb.returncode != 0
    rg = run(["skopeo", "inspect", "--tls-verify=false", "--creds", f"oidc:{b}",
              f"docker://{env['host']}/golden/app:v1"])
    assert "manifest unknown" in rg.stderr, rg.stderr


def test_grants_per_workload(env):
    r = scoped(env, env["prov"].token("workload-a"), "repository:quarantine/acme/app:pull,push",
               "repository:golden/app:pull,push")
    assert r.returncode == 0, r.stderr
    assert jwt_claims(r.stdout.strip())["access"] == [
        {"type": "repository", "name": "quarantine/acme/app", "actions": ["pull", "push"]}]
    r = scoped(env, env["prov"].token("workload-b"), "repository:quarantine/acme/app:pull",
               "repository:golden/app:pull,push")
    assert jwt_claims(r.stdout.strip())["access"] == [
        {"type": "repository", "name": "golden/app", "actions": ["pull"]}]
    h = {"Authorization": "Bearer " + r.stdout.strip()}
    assert requests.put(f"{env['url']}/v2/golden/app/manifests/v1", headers=h, data=b"{}").status_code == 401


def test_provider_key_rotation(env):
    prov = env["prov"]
    old = prov.token("workload-a")
    assert scoped(env, old, "repository:quarantine/acme/app:push").returncode == 0
    prov.stop()
    prov.start("--rotate")
    time.sleep(1.1)                        # douane's refetch_interval in this config
    new = prov.token("workload-a")
    assert jwt_header(new)["kid"] != jwt_header(old)["kid"]
    r = scoped(env, new, "repository:quarantine/acme/app:push")
    assert r.returncode == 0, r.stderr     # unknown kid -> one JWKS refetch -> accepted
    assert scoped(env, old, "repository:quarantine/acme/app:push").returncode == 0   # not expired yet
    time.sleep(max(0.0, jwt_claims(old)["exp"] - time.time()) + 1.1)
    r = scoped(env, old, "repository:quarantine/acme/app:push")
    assert r.returncode == 1 and "expired" in r.stderr
    assert scoped(env, prov.token("workload-a"), "repository:quarantine/acme/app:push").returncode == 0
    assert old not in env["log"].read_text() and new not in env["log"].read_text()
