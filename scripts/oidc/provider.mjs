// A real OpenID Connect provider on loopback: panva's oidc-provider (OpenID
// Certified), with a login page that checks passwords and lets the user cancel.
// Started by `scripts/services up oidc` (scripts/service_oidc.py), which passes:
//   OIDC_PORT       the port on 127.0.0.1 (the issuer is http://127.0.0.1:<port>)
//   OIDC_ACCOUNTS   accounts.json: login, password and the claims of each user
//   OIDC_KEYS       the signing key (a private JWK set), made on the first start
// Clients: "aquacat" (the development portal on port 8000) and any client that
// registers itself (OpenID Connect Dynamic Client Registration), as the tests do.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(readFileSync(process.env.OIDC_ACCOUNTS, 'utf8'));

function signingKeys(path) {
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
    writeFileSync(path, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

function findAccount(_ctx, id) {
  const account = accounts.find((candidate) => candidate.claims.sub === id);
  if (!account) return undefined;
  return { accountId: id, claims: async () => ({ ...account.claims }) };
}

const developmentRedirects = ['localhost', '127.0.0.1'].map(
  (host) => `http://${host}:8000/accounts/oidc/loopback/login/callback/`,
);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'aquacat',
      client_secret: 'aquacat-loopback-secret',
      redirect_uris: developmentRedirects,
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: signingKeys(process.env.OIDC_KEYS),
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
  },
  // Every client must use PKCE, so a client that does not is refused outright.
  pkce: { required: () => true },
  findAccount,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 600,
    Session: 3600,
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(res, uid, clientId, error) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><title>Sign in</title><h1>Sign in to ${escape(clientId)}</h1>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Login <input name="login" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`);
}

async function formBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

// Consent is granted with the login: every client of this provider is first-party.
async function grantConsent(req, res, details) {
  const { prompt: { details: missing }, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'consent') return grantConsent(req, res, details);
    return loginPage(res, uid, details.params.client_id);
  }
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return undefined;
  }
  if (action === 'abort') {
    const result = { error: 'access_denied', error_description: 'The user cancelled the sign-in.' };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  const form = await formBody(req);
  const account = accounts.find((candidate) => candidate.login === form.get('login'));
  if (!account || account.password !== form.get('password')) {
    return loginPage(res, uid, details.params.client_id, 'Wrong login or password.');
  }
  const result = { login: { accountId: account.claims.sub } };
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const match = new URL(req.url, issuer).pathname.match(/^\/interaction\/([\w-]+)(?:\/(login|abort))?$/);
  if (!match) return handle(req, res);
  return interaction(req, res, match[1], match[2]).catch((error) => {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${error.name}: ${error.message}\n`);
  });
});
server.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
