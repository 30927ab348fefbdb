// A real OpenID provider (panva/oidc-provider) on loopback, for the sign-in tests.
//
// Started by tests/fixtures/idp.py with one argument, the path of a JSON file:
//   {"port": 0, "issuer": "http://127.0.0.1:PORT", "jwks": {"keys": [private JWKs]},
//    "clients": [{client_id, client_secret, redirect_uris}], "accounts": {login: claims},
//    "id_token_ttl": 600}
// Any password signs an account in (the provider's development login form); the claims
// come from "accounts". The fixture makes the signing keys and rotates them by restarting
// the provider with a new set on the same port. Prints "listening PORT" once it serves.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const settings = JSON.parse(readFileSync(process.argv[2], "utf8"));

const provider = new Provider(settings.issuer, {
  clients: settings.clients.map((client) => ({
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    ...client,
  })),
  jwks: settings.jwks,
  cookies: { keys: [settings.cookie_key] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "given_name", "family_name"],
    groups: ["groups"],
    tenant: ["tid"],
  },
  // Scope claims go in the ID token itself (not only /userinfo): what quickassist reads.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  ttl: { IdToken: settings.id_token_ttl ?? 600 },
  async findAccount(_ctx, id) {
    const claims = settings.accounts[id] ?? { email: `${id}@example.invalid`, name: id };
    return {
      accountId: id,
      async claims() {
        return { sub: id, email_verified: true, ...claims };
      },
    };
  },
});
provider.proxy = false;

const server = provider.listen(settings.port, "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
