"""A small OIDC issuer on loopback for douane's end-to-end tests.

It serves what douane really uses from a provider - the discovery document
and the JWKS - and mints ID tokens with any claims, so the tests exercise
douane's real discovery / JWKS / rotation path:

  GET  /.well-known/openid-configuration   issuer + jwks_uri
  GET  /jwks                               the published keys
  POST /issue   {"sub":..., "ttl":300, ...claims}  -> {"id_token": ...}
  POST /rotate  {"keep_old": true}          new signing key (new kid)

Run standalone: python3 stub_issuer.py PORT   (prints the issuer URL)
"""
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Key:
    def __init__(self, kid: str, alg: str):
        self.kid, self.alg = kid, alg
        if alg == "ES256":
            self.priv = ec.generate_private_key(ec.SECP256R1())
        else:
            self.priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict:
        pub = self.priv.public_key().public_numbers()
        if self.alg == "ES256":
            return {"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
                    "x": b64u(pub.x.to_bytes(32, "big")), "y": b64u(pub.y.to_bytes(32, "big"))}
        n = pub.n.to_bytes((pub.n.bit_length() + 7) // 8, "big")
        e = pub.e.to_bytes((pub.e.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": b64u(n), "e": b64u(e)}

    def sign(self, claims: dict) -> str:
        head = b64u(json.dumps({"alg": self.alg, "typ": "JWT", "kid": self.kid}).encode())
        body = b64u(json.dumps(claims).encode())
        data = f"{head}.{body}".encode()
        if self.alg == "ES256":
            r, s = decode_dss_signature(self.priv.sign(data, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            sig = self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64u(sig)}"


class Issuer:
    def __init__(self, port: int = 0, alg: str = "RS256", audience: str = "douane"):
        self.alg, self.audience = alg, audience
        self.n = 1
        self.keys = [Key("key-1", alg)]
        self.lock = threading.Lock()
        self.jwks_hits = 0
        issuer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def send(self, code, obj):
                b = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b)

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    self.send(200, {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks",
                                    "id_token_signing_alg_values_supported": [issuer.alg]})
                elif self.path == "/jwks":
                    with issuer.lock:
                        issuer.jwks_hits += 1
                        self.send(200, {"keys": [k.jwk() for k in issuer.keys]})
                else:
                    self.send(404, {})

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                req = json.loads(self.rfile.read(n) or b"{}")
                if self.path == "/issue":
                    self.send(200, {"id_token": issuer.issue(**req)})
                elif self.path == "/rotate":
                    issuer.rotate(req.get("keep_old", True))
                    self.send(200, {"kid": issuer.keys[0].kid})
                else:
                    self.send(404, {})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def issue(self, sub: str = "anonymous", ttl: int = 300, aud=None, iss=None, **claims) -> str:
        now = int(time.time())
        c = {"iss": iss or self.url, "aud": aud or self.audience, "sub": sub,
             "iat": now, "nbf": now, "exp": now + int(ttl)}
        c.update(claims)
        with self.lock:
            return self.keys[0].sign(c)

    def rotate(self, keep_old: bool = True):
        with self.lock:
            self.n += 1
            new = Key(f"key-{self.n}", self.alg)
            self.keys = [new] + (self.keys[:1] if keep_old else [])


if __name__ == "__main__":
    iss = Issuer(int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(iss.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        iss.stop()
