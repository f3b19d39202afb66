"""End-to-end tests of douane's passwordless auth with real clients.

A loopback OIDC issuer (tests/e2e/oidc/stub_issuer.py: discovery, JWKS,
minting, key rotation) and the auth library behind a miniature registry
front (build/tests/auth/authsrv, the same calls the registry makes) are
driven by `douane token`, `douane login`, docker-credential-douane, skopeo
and plain HTTP. The full registry flow (push/pull of real images) is in
test_auth_e2e.py and runs once `douane serve` exists.
"""
import base64
import json
import os
import shutil
import stat
import subprocess
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.dirname(__file__))
from oidc.harness import auth_yaml, build_dir, douane, free_port, jwt_claims, run, wait_port  # noqa: E402
from oidc.stub_issuer import Issuer  # noqa: E402

A_SUB = "repo:acme/app:ref:refs/heads/main"
B_SUB = "system:serviceaccount:prod:deployer"

AUTHSRV = build_dir() / "tests/auth/authsrv"
pytestmark = pytest.mark.skipif(not AUTHSRV.exists(), reason=f"{AUTHSRV} not built")


@pytest.fixture(scope="module")
def issuer():
    iss = Issuer(alg="RS256").start()
    yield iss
    iss.stop()


@pytest.fixture(scope="module")
def srv(issuer, tmp_path_factory):
    d = tmp_path_factory.mktemp("authsrv")
    port = free_port()
    cfg = d / "douane.yaml"
    cfg.write_text(auth_yaml(issuer.url, port))
    log = open(d / "log", "w+")
    p = subprocess.Popen([str(AUTHSRV), str(cfg), str(d / "data"), str(port)], stdout=log, stderr=log)
    wait_port(port, p)
    yield {"port": port, "host": f"127.0.0.1:{port}", "url": f"http://127.0.0.1:{port}", "log": d / "log",
           "data": d / "data"}
    p.terminate()
    rc = p.wait(timeout=10)
    log.close()
    # under ASan a leak or error makes the server exit non-zero
    assert rc == 0, (d / "log").read_text()[-3000:]


def token_a(issuer, **kw):
    return issuer.issue(sub=A_SUB, repository="acme/app", **kw)


def token_b(issuer, **kw):
    return issuer.issue(sub=B_SUB, **{"kubernetes.io": {"namespace": "prod"}}, **kw)


def registry_token(srv, idtok, *scopes):
    cmd = [douane(), "token", "--registry", srv["host"], "--plain-http"]
    for s in scopes:
        cmd += ["--scope", s]
    r = run(cmd + ([idtok] if idtok else []))
    return r


def test_workload_a_gets_quarantine_push(issuer, srv):
    r = registry_token(srv, token_a(issuer), "repository:quarantine/acme/app:pull,push",
                       "repository:golden/app:pull,push")
    assert r.returncode == 0, r.stderr
    tok = r.stdout.strip()
    c = jwt_claims(tok)
    assert c["iss"] == "douane" and c["aud"] == "douane.test"
    assert c["sub"] == f"{issuer.url}|{A_SUB}"
    assert c["exp"] - c["iat"] == 120 and c["jti"]
    assert c["access"] == [{"type": "repository", "name": "quarantine/acme/app", "actions": ["pull", "push"]}]
    h = {"Authorization": f"Bearer {tok}"}
    u = srv["url"]
    # allowed: the stand-in registry answers "manifest unknown" (no storage) instead of 401
    assert requests.get(f"{u}/v2/quarantine/acme/app/manifests/v1", headers=h).status_code == 404
    assert requests.put(f"{u}/v2/quarantine/acme/app/manifests/v1", headers=h, data=b"{}").status_code == 404
    assert requests.post(f"{u}/v2/quarantine/acme/app/blobs/uploads/", headers=h).status_code == 404
    # replay for another repository or action: a fresh challenge, never 200
    for method, path in (("GET", "/v2/quarantine/acme/other/manifests/v1"),
                         ("DELETE", "/v2/quarantine/acme/app/manifests/v1"),
                         ("PUT", "/v2/golden/app/manifests/v1")):
        resp = requests.request(method, u + path, headers=h)
        assert resp.status_code == 401, (method, path)
        assert 'error="insufficient_scope"' in resp.headers["WWW-Authenticate"]
        assert "scope=\"repository:" in resp.headers["WWW-Authenticate"]


def test_workload_b_pulls_golden_only(issuer, srv):
    r = registry_token(srv, token_b(issuer), "repository:quarantine/acme/app:pull,push",
                       "repository:golden/app:pull,push")
    assert r.returncode == 0, r.stderr
    c = jwt_claims(r.stdout.strip())
    assert c["access"] == [{"type": "repository", "name": "golden/app", "actions": ["pull"]}]
    h = {"Authorization": f"Bearer {r.stdout.strip()}"}
    assert requests.get(f"{srv['url']}/v2/golden/app/manifests/v1", headers=h).status_code == 404
    assert requests.get(f"{srv['url']}/v2/quarantine/acme/app/manifests/v1", headers=h).status_code == 401


def test_challenge_and_anonymous(issuer, srv):
    r = requests.get(f"{srv['url']}/v2/")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == \
        f'Bearer realm="http://127.0.0.1:{srv["port"]}/token",service="douane.test"'
    r = requests.get(f"{srv['url']}/v2/quarantine/x/manifests/latest")
    assert r.status_code == 401
    assert 'scope="repository:quarantine/x:pull"' in r.headers["WWW-Authenticate"]
    assert requests.get(f"{srv['url']}/v2/public/x/manifests/latest").status_code == 404   # public pull
    r = registry_token(srv, None, "repository:public/x:pull", "repository:quarantine/x:pull")
    assert r.returncode == 0
    assert jwt_claims(r.stdout.strip())["access"] == \
        [{"type": "repository", "name": "public/x", "actions": ["pull"]}]


@pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo not installed")
def test_skopeo_login_and_access(issuer, srv, tmp_path):
    af = tmp_path / "auth.json"
    base = ["skopeo", "--debug"] if os.environ.get("AUTH_E2E_DEBUG") else ["skopeo"]
    r = run(base + ["login", "--tls-verify=false", "--authfile", str(af), "-u", "oidc",
                    "--password-stdin", srv["host"]], input=token_a(issuer))
    assert r.returncode == 0, r.stderr
    assert "Login Succeeded" in r.stdout
    r = run(base + ["login", "--tls-verify=false", "--authfile", str(tmp_path / "bad.json"), "-u", "oidc",
                    "--password-stdin", srv["host"]], input="not-a-token")
    assert r.returncode != 0
    # allowed vs refused, as skopeo sees it
    ra = run(["skopeo", "inspect", "--tls-verify=false", "--creds", f"oidc:{token_a(issuer)}",
              f"docker://{srv['host']}/quarantine/acme/app:v1"])
    assert ra.returncode != 0 and "manifest unknown" in ra.stderr, ra.stderr
    rb = run(["skopeo", "inspect", "--tls-verify=false", "--creds", f"oidc:{token_b(issuer)}",
              f"docker://{srv['host']}/quarantine/acme/app:v1"])
    assert rb.returncode != 0 and "manifest unknown" not in rb.stderr
    assert any(w in rb.stderr.lower() for w in ("unauthorized", "denied", "authentication required")), rb.stderr
    rg = run(["skopeo", "inspect", "--tls-verify=false", "--creds", f"oidc:{token_b(issuer)}",
              f"docker://{srv['host']}/golden/app:v1"])
    assert "manifest unknown" in rg.stderr, rg.stderr


def test_douane_login_writes_private_authfile(issuer, srv, tmp_path):
    af = tmp_path / "cfg" / "config.json"
    af.parent.mkdir()
    af.write_text(json.dumps({"auths": {"other.example": {"auth": "eDp5"}}, "credsStore": "x"}))
    idt = token_a(issuer)
    r = run([douane(), "login", "--registry", srv["host"], "--plain-http", "--authfile", str(af), idt])
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(af).st_mode) == 0o600
    doc = json.loads(af.read_text())
    assert doc["credsStore"] == "x" and "other.example" in doc["auths"]
    assert base64.b64decode(doc["auths"][srv["host"]]["auth"]).decode() == f"oidc:{idt}"
    r = run([douane(), "login", "--registry", srv["host"], "--plain-http", "--print", idt])
    assert r.returncode == 0 and jwt_claims(r.stdout.strip())["iss"] == "douane"
    r = run([douane(), "login", "--registry", srv["host"], "--plain-http", "--print", "bogus"])
    assert r.returncode == 1 and "refused" in r.stderr
    assert run([douane(), "login"]).returncode == 2
    assert run([douane(), "login", "--help"]).returncode == 0
    if shutil.which("skopeo"):
        ri = run(["skopeo", "inspect", "--tls-verify=false", "--authfile", str(af),
                  f"docker://{srv['host']}/quarantine/acme/app:v1"])
        assert "manifest unknown" in ri.stderr, ri.stderr


def test_credential_helper(issuer, srv, tmp_path):
    helper = str(build_dir() / "src/cli/docker-credential-douane")
    f = tmp_path / "token"
    idt = token_b(issuer)
    f.write_text(idt + "\n")
    env = dict(os.environ, DOUANE_OIDC_TOKEN_FILE=str(f))
    r = run([helper, "get"], input=srv["host"] + "\n", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"ServerURL": srv["host"], "Username": "oidc", "Secret": idt}
    env["DOUANE_REGISTRIES"] = "douane.example.com"
    r = run([helper, "get"], input=srv["host"], env=env)
    assert r.returncode == 1 and "credentials not found" in r.stdout
    r = run([helper, "get"], input=srv["host"], env={"PATH": os.environ["PATH"]})
    assert r.returncode == 1
    assert run([helper, "store"], input="{}").returncode == 0
    # the helper's output is what docker/podman send: it works at the token endpoint
    r = requests.get(f"{srv['url']}/token", params={"service": "douane.test", "scope": "repository:golden/a:pull"},
                     auth=("oidc", idt))
    assert r.status_code == 200 and r.json()["expires_in"] == 120


def test_key_rotation(issuer, srv):
    old = token_a(issuer, ttl=3)
    assert registry_token(srv, old, "repository:quarantine/acme/app:push").returncode == 0
    issuer.rotate(keep_old=True)
    time.sleep(1.2)   # refetch_interval: 1s
    new = token_a(issuer)
    r = registry_token(srv, new, "repository:quarantine/acme/app:push")
    assert r.returncode == 0, r.stderr
    assert registry_token(srv, old, "repository:quarantine/acme/app:push").returncode == 0
    time.sleep(3.5)   # the old token expires (leeway 0s in this config)
    r = registry_token(srv, old, "repository:quarantine/acme/app:push")
    assert r.returncode == 1 and "expired" in r.stderr
    assert registry_token(srv, token_a(issuer), "repository:quarantine/acme/app:push").returncode == 0


def test_hostile_tokens_over_http(issuer, srv):
    u = f"{srv['url']}/token"
    # untrusted issuer copying the trusted iss and kid
    evil = Issuer(alg="RS256")
    forged = evil.issue(sub=A_SUB, iss=issuer.url, repository="acme/app")
    r = requests.get(u, auth=("oidc", forged))
    assert r.status_code == 401 and "bad signature" in r.text
    # alg none
    h = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps({"iss": issuer.url, "aud": "douane", "sub": A_SUB,
                                                "exp": int(time.time()) + 60}).encode()).rstrip(b"=").decode()
    assert requests.get(u, auth=("oidc", f"{h}.{body}.")).status_code == 401
    # wrong audience, expired
    assert requests.get(u, auth=("oidc", token_a(issuer, aud="other"))).status_code == 401
    assert requests.get(u, auth=("oidc", token_a(issuer, ttl=-5))).status_code == 401
    # scope injection
    r = requests.get(u, params={"scope": "repository:quarantine/acme/app:pull,push,*,"}, auth=("oidc", token_a(issuer)))
    assert r.status_code == 400
    r = requests.get(u, params={"scope": "repository:quarantine/*:push"}, auth=("oidc", token_a(issuer)))
    assert r.status_code == 400
    # unknown kid floods cost the provider nothing beyond the refetch window
    before = issuer.jwks_hits
    for i in range(20):
        k = issuer.keys[0]
        saved = k.kid
        k.kid = f"made-up-{i}"
        t = token_a(issuer)
        k.kid = saved
        assert requests.get(u, auth=("oidc", t)).status_code == 401
    assert issuer.jwks_hits - before <= 2
    # OAuth2 POST form
    r = requests.post(u, data={"grant_type": "password", "username": "oidc", "password": token_b(issuer),
                               "service": "douane.test", "scope": "repository:golden/app:pull"})
    assert r.status_code == 200 and r.json()["access_token"]
    # no token ever reaches the log
    log = srv["log"].read_text()
    assert forged not in log and "eyJ" not in log
    assert "subject=" + issuer.url + "|" + A_SUB in log
    m = requests.get(f"{srv['url']}/metrics").text
    assert 'douane_auth_token_requests_total{result="unauthorized"}' in m


@pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo not installed")
def test_skopeo_uses_credential_helper(issuer, srv, tmp_path):
    """containers/image calls docker-credential-douane (credHelpers) and exchanges the ambient token."""
    af = tmp_path / "auth.json"
    af.write_text(json.dumps({"credHelpers": {srv["host"]: "douane"}}))
    tokfile = tmp_path / "projected-token"
    tokfile.write_text(token_a(issuer))
    env = dict(os.environ, DOUANE_OIDC_TOKEN_FILE=str(tokfile),
               PATH=str(build_dir() / "src/cli") + os.pathsep + os.environ["PATH"])
    r = run(["skopeo", "inspect", "--tls-verify=false", "--authfile", str(af),
             f"docker://{srv['host']}/quarantine/acme/app:v1"], env=env)
    assert "manifest unknown" in r.stderr, r.stderr     # allowed: A may read quarantine
    # the kubelet rotates the projected token: the next call reads the new one (workload B now)
    tokfile.write_text(token_b(issuer))
    r = run(["skopeo", "inspect", "--tls-verify=false", "--authfile", str(af),
             f"docker://{srv['host']}/quarantine/acme/app:v1"], env=env)
    assert "manifest unknown" not in r.stderr and r.returncode != 0
