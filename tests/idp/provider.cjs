// The OpenID Connect provider that Muster's tests sign in with: the npm
// package `oidc-provider` on loopback, with one static client (Muster) and a
// few people whose groups the tests map to roles. It prints its issuer on
// the first line of its output, then serves until it is killed.
//
//   node tests/idp/provider.cjs <muster-base-url>
//
// People (any password): alice (group muster-admins), vera (staff),
// sam (sales: no role in Muster), olga (Entra-style group overage:
// `_claim_names` instead of `groups`).
//
// SIGUSR2 rotates its signing key: from then on it signs with a new key
// (and publishes only that one), as a provider does when it rotates.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');
const { Provider } = require('oidc-provider');

const muster = process.argv[2];
if (!muster) {
  console.error('usage: provider.cjs <muster-base-url>');
  process.exit(2);
}

const people = {
  alice: { email: 'alice@example.test', email_verified: true, name: 'Alice Admin', groups: ['muster-admins', 'staff'] },
  vera: { email: 'vera@example.test', email_verified: true, name: 'Vera Viewer', groups: ['staff'] },
  sam: { email: 'sam@example.test', email_verified: true, name: 'Sam Sales', groups: ['sales'] },
  olga: {
    email: 'olga@example.test',
    email_verified: true,
    name: 'Olga Overage',
    _claim_names: { groups: 'src1' },
    _claim_sources: { src1: { endpoint: 'http://127.0.0.1:9/v1.0/users/olga/getMemberObjects' } },
  },
};

/** A fresh RSA signing key, as a JWK with its own key id. */
function signingKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };
}

/** A provider at `issuer` that signs with `key`. */
function provider(issuer, key) {
  return new Provider(issuer, {
    jwks: { keys: [key] },
    clients: [{
      client_id: 'muster',
      client_secret: 'muster-test-secret',
      redirect_uris: [`${muster}/api/v1/session/oidc/callback`],
      post_logout_redirect_uris: [`${muster}/`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    // Groups in the ID token, as Entra and Okta put them.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ['muster-test-idp-cookie-key'] },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(ctx, id) {
      const person = people[id];
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...person }) };
    },
    // A first-party client: no consent screen.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
  });
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  let handler = provider(issuer, signingKey()).callback();
  server.on('request', (req, res) => handler(req, res));
  process.on('SIGUSR2', () => {
    handler = provider(issuer, signingKey()).callback();
    console.log('rotated');
  });
  console.log(`issuer ${issuer}`);
});
