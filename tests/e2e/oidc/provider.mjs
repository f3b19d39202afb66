// A real OIDC provider (panva/oidc-provider) on loopback for douane's e2e tests.
//
// Two workloads authenticate with client_credentials and receive JWTs signed
// with the provider's keys (published by discovery + JWKS like any IdP), with
// iss = this provider, aud = "douane", sub = the client id, and per-workload
// custom claims. douane verifies them exactly as it verifies ID tokens.
//
// usage: node provider.mjs PORT STATE.json [--rotate] [--ttl SECONDS]
//   STATE.json keeps the signing keys across restarts; --rotate puts a new
//   key first (it signs from now on) and keeps the previous one published.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, state] = process.argv.slice(2, 4);
const rotate = process.argv.includes('--rotate');
const ttlIdx = process.argv.indexOf('--ttl');
const ttl = ttlIdx > 0 ? Number(process.argv[ttlIdx + 1]) : 300;

function newKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'ES256', use: 'sig' };
}

let keys = existsSync(state) ? JSON.parse(readFileSync(state, 'utf8')) : [newKey()];
if (rotate) keys = [newKey(), keys[0]];
writeFileSync(state, JSON.stringify(keys), { mode: 0o600 });

const claims = {
  'workload-a': { repository: 'acme/app', ref: 'refs/heads/main' },
  'workload-b': { 'kubernetes.io': { namespace: 'prod', serviceaccount: { name: 'deployer' } } },
};

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: Object.keys(claims).map((id) => ({
    client_id: id,
    client_secret: `${id}-secret`,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    id_token_signed_response_alg: 'ES256',
  })),
  cookies: { keys: [randomBytes(16).toString('hex')] },
  jwks: { keys },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:douane:registry',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'registry',
        audience: 'douane',
        accessTokenTTL: ttl,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  extraTokenClaims: (ctx, token) => claims[token.clientId] || {},
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer} (kid ${keys[0].kid})`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
