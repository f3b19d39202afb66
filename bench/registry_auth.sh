#!/usr/bin/env bash
# bench/registry_auth.sh - manifest GET by tag (wrk, 64 connections) on one
# douane with auth off and one with auth on (a bearer registry token from the
# token service, exchanged for an OIDC ID token minted by a loopback stub
# issuer), in one run, alternating, and the ratio. Loopback only; stops by
# itself. Not part of tests/run.  Env: DOUANE_BIN, DURATION (8), ROUNDS (3).
set -u
cd "$(dirname "$0")/.."
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-3}
douane=${DOUANE_BIN:-$PWD/build-rel/src/cli/douane}
tmp=$(mktemp -d /tmp/douane-authbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
command -v wrk >/dev/null || { echo "bench: wrk missing" >&2; exit 2; }
exec /usr/bin/python3 - "$douane" "$tmp" "$DURATION" "$ROUNDS" <<'PY'
import base64, hashlib, json, os, re, socket, subprocess, sys, time
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "e2e"))
import requests
from oidc.stub_issuer import Issuer
douane, tmp, dur, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

iss = Issuer(audience="douane").start()
procs = []
def serve(name, cfg):
    p = port()
    d = os.path.join(tmp, name); os.makedirs(d)
    args = [douane, "serve", "--listen", f"127.0.0.1:{p}", "--data", d + "/data"]
    if cfg:
        open(d + "/c.yaml", "w").write(cfg.replace("PORT", str(p))); args += ["--config", d + "/c.yaml"]
    procs.append(subprocess.Popen(args, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
    for _ in range(100):
        try: requests.get(f"http://127.0.0.1:{p}/healthz", timeout=1); break
        except Exception: time.sleep(0.1)
    return f"http://127.0.0.1:{p}"
nolog = "log:\n  access: false\n"
off = serve("off", nolog)
on = serve("on", nolog + f"""auth:
  service: douane.bench
  realm: http://127.0.0.1:PORT/token
  rate_limit: {{per_second: 1000, burst: 1000}}
  issuers: [{{issuer: {iss.url}, audience: douane}}]
  identities: [{{name: ci, issuer: {iss.url}, subject: bench, roles: [rw]}}]
  roles: {{rw: [{{repos: "quarantine/**", actions: [pull, push]}}]}}
""")
idt = requests.post(iss.url + "/issue", json={"sub": "bench"}).json()["id_token"]
tok = requests.get(on + "/token", params={"service": "douane.bench",
                   "scope": "repository:quarantine/app:pull,push"}, auth=("oidc", idt)).json()["token"]
H = {"Authorization": "Bearer " + tok}
cfg = b"{}"
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                             "digest": "sha256:" + hashlib.sha256(cfg).hexdigest(), "size": 2},
                  "layers": []}).encode()
for url, h in ((off, {}), (on, H)):
    r = requests.post(url + "/v2/quarantine/app/blobs/uploads/?digest=sha256:" + hashlib.sha256(cfg).hexdigest(), data=cfg, headers=h)
    assert r.status_code == 201, r.text
    r = requests.put(url + "/v2/quarantine/app/manifests/v1", data=man, headers=dict(h, **{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
    assert r.status_code == 201, r.text
    assert requests.get(url + "/v2/quarantine/app/manifests/v1", headers=h).status_code == 200
def wrk(url, hdr):
    cmd = ["wrk", "-t2", "-c64", f"-d{dur}s"] + (["-H", hdr] if hdr else []) + [url + "/v2/quarantine/app/manifests/v1"]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert not bad, out
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
res = {"off": [], "on": []}
for _ in range(rounds):
    res["off"].append(wrk(off, None)); res["on"].append(wrk(on, "Authorization: Bearer " + tok))
for p in procs: p.terminate()
best_off, best_on = max(res["off"]), max(res["on"])
print(f"manifest GET by tag, 64c, {rounds} alternating rounds of {dur}s (req/s, best):")
print(f"  auth off  {best_off:10.0f}   {[round(x) for x in res['off']]}")
print(f"  auth on   {best_on:10.0f}   {[round(x) for x in res['on']]}")
print(f"  on/off    {best_on / best_off:10.2f}   (target >= 0.90)")
PY
