"""Shared helpers for douane's auth end-to-end tests: binaries, ports, configs."""
import base64
import json
import os
import pathlib
import socket
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]


def build_dir() -> pathlib.Path:
    b = os.environ.get("DOUANE_BIN")
    if b:
        return pathlib.Path(b).resolve().parents[2]
    for name in ("build-test", "build-dev", "build"):
        if (ROOT / name / "src/cli/douane").exists():
            return ROOT / name
    return ROOT / "build-test"


def douane() -> str:
    return os.environ.get("DOUANE_BIN") or str(build_dir() / "src/cli/douane")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc=None, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def jwt_claims(tok: str) -> dict:
    p = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def auth_yaml(issuer_url: str, port: int, extra: str = "") -> str:
    return f"""auth:
  service: douane.test
  realm: http://127.0.0.1:{port}/token
  token_ttl: 2m
  leeway: 0s
  rate_limit: {{per_second: 50, burst: 400}}
  issuers:
    - issuer: {issuer_url}
      audience: douane
      refetch_interval: 1s
  identities:
    - name: workload-a
      issuer: {issuer_url}
      subject: "repo:acme/app:ref:refs/heads/main"
      claims: {{repository: acme/app}}
      roles: [quarantine-pusher]
    - name: workload-b
      issuer: {issuer_url}
      subject: "system:serviceaccount:prod:deployer"
      claims: {{kubernetes.io.namespace: prod}}
      roles: [reader]
  roles:
    quarantine-pusher: [{{repos: "quarantine/**", actions: [pull, push]}}]
    reader: [{{repos: "golden/**", actions: [pull]}}]
  public: ["public/**"]
{extra}"""


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run(cmd, **kw)
