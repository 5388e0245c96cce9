// A real OpenID Connect provider for Stoa's black-box SSO tests, on loopback only.
//
// - `/`: the `oidc-provider` package (a certified OpenID Provider) with its development
//   login and consent pages (`devInteractions`) and open dynamic client registration, so each
//   test registers its own client with its own server's redirect URI (`POST /reg`). The login
//   typed into the login form is the account: `sub~email~verified~group,group~phone`
//   (e.g. `u1~ann@acme.test~1~staff`; verified is 1 or 0; later fields optional).
// - `/rogue/<mode>`: a small provider of its own (discovery, authorize, token, JWKS) that issues
//   ID tokens signed with a real RSA key but wrong on purpose, one way per mode, for the
//   negative suite: ok, wrong_nonce, no_nonce, wrong_issuer, wrong_audience, expired,
//   bad_signature, rotate (the token is signed with a key the JWKS only publishes from the
//   first token on: a key rotation). It checks PKCE like a real provider.
//
// Prints `oidc provider listening on http://127.0.0.1:<port>` once it accepts connections.
// PORT=0 (the default) takes a free port.

import http from "node:http";
import crypto from "node:crypto";
import Provider from "oidc-provider";
import * as jose from "jose";

const server = http.createServer();
server.listen(Number(process.env.PORT || 0), "127.0.0.1", async () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(base, {
    clients: [],
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
    },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
      phone: ["phone_number", "phone_number_verified"],
      groups: ["groups"],
    },
    // Claims in the ID token itself (not only from userinfo), as Keycloak and Entra ID do.
    conformIdTokenClaims: false,
    cookies: { keys: [crypto.randomBytes(32).toString("hex")] },
    jwks: { keys: [await privateJwk("provider-key")] },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => claimsOf(id),
    }),
  });
  const rogue = await rogueProvider(base);
  const main = provider.callback();
  server.on("request", (req, res) => {
    if (req.url.startsWith("/rogue/")) {
      rogue(req, res).catch((e) => {
        res.writeHead(500).end(String(e));
      });
    } else {
      main(req, res);
    }
  });
  console.log(`oidc provider listening on ${base}`);
});

function claimsOf(id) {
  const [sub, email, verified, groups, phone] = id.split("~");
  const c = { sub };
  if (email) {
    c.email = email;
    c.email_verified = verified === "1";
    c.name = email.split("@")[0].replace(/\./g, " ");
  }
  if (groups) c.groups = groups.split(",").filter(Boolean);
  if (phone) {
    c.phone_number = phone;
    c.phone_number_verified = true;
  }
  return c;
}

async function privateJwk(kid) {
  const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
}

async function rogueProvider(base) {
  const published = await jose.generateKeyPair("RS256", { extractable: true });
  const impostor = await jose.generateKeyPair("RS256", { extractable: true });
  const rotated = await jose.generateKeyPair("RS256", { extractable: true });
  const publicJwk = async (key, kid) => ({
    ...(await jose.exportJWK(key)),
    kid,
    alg: "RS256",
    use: "sig",
  });
  const codes = new Map();
  let rotatedPublished = false;

  const json = (res, status, body) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  };
  const body = (req) =>
    new Promise((resolve) => {
      let data = "";
      req.on("data", (c) => (data += c));
      req.on("end", () => resolve(new URLSearchParams(data)));
    });

  return async (req, res) => {
    const url = new URL(req.url, base);
    const [, , mode, ...rest] = url.pathname.split("/");
    const issuer = `${base}/rogue/${mode}`;
    const route = rest.join("/");
    if (route === ".well-known/openid-configuration") {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      });
    }
    if (route === "jwks") {
      const keys = [await publicJwk(published.publicKey, "rogue-key")];
      if (rotatedPublished) keys.push(await publicJwk(rotated.publicKey, "rogue-key-2"));
      return json(res, 200, { keys });
    }
    if (route === "auth") {
      const p = url.searchParams;
      if (p.get("code_challenge_method") !== "S256" || !p.get("code_challenge")) {
        return json(res, 400, { error: "invalid_request", error_description: "PKCE required" });
      }
      const code = crypto.randomBytes(24).toString("base64url");
      codes.set(code, {
        clientId: p.get("client_id"),
        redirectUri: p.get("redirect_uri"),
        nonce: p.get("nonce"),
        challenge: p.get("code_challenge"),
      });
      const back = new URL(p.get("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", p.get("state"));
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (route === "token" && req.method === "POST") {
      const form = await body(req);
      const grant = codes.get(form.get("code"));
      codes.delete(form.get("code"));
      if (!grant || grant.redirectUri !== form.get("redirect_uri")) {
        return json(res, 400, { error: "invalid_grant" });
      }
      const verifier = form.get("code_verifier") || "";
      const digest = crypto.createHash("sha256").update(verifier).digest("base64url");
      if (digest !== grant.challenge) {
        return json(res, 400, { error: "invalid_grant", error_description: "PKCE" });
      }
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: issuer,
        sub: `rogue-${mode}`,
        aud: grant.clientId,
        iat: now,
        exp: now + 300,
        nonce: grant.nonce,
        email: `rogue.${mode}@acme.test`,
        email_verified: true,
        name: `Rogue ${mode}`,
      };
      let key = published.privateKey;
      let kid = "rogue-key";
      switch (mode) {
        case "wrong_nonce":
          claims.nonce = "not-the-nonce-of-this-sign-in";
          break;
        case "no_nonce":
          delete claims.nonce;
          break;
        case "wrong_issuer":
          claims.iss = `${base}/rogue/somebody-else`;
          break;
        case "wrong_audience":
          claims.aud = "another-client";
          break;
        case "expired":
          claims.iat = now - 3600;
          claims.exp = now - 1800;
          break;
        case "bad_signature":
          key = impostor.privateKey;
          break;
        case "rotate":
          rotatedPublished = true;
          key = rotated.privateKey;
          kid = "rogue-key-2";
          break;
        default:
          break;
      }
      const idToken = await new jose.SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .sign(key);
      return json(res, 200, {
        access_token: crypto.randomBytes(16).toString("hex"),
        token_type: "Bearer",
        expires_in: 300,
        id_token: idToken,
      });
    }
    return json(res, 404, { error: "not_found" });
  };
}
