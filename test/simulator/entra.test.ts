import assert from 'node:assert/strict';
import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConfidentialClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node';
import { fetch } from 'undici';
import { decodeJwt, signJwt, verifyJwtSignature } from '../../src/simulator/jwt.ts';
import { issueCertificate, pemToDer, thumbprintOf } from '../../src/simulator/tls.ts';
import {
  ALL_ROLES,
  CLIENT_ID,
  form,
  SECRET,
  SECRET_ID,
  startTestSimulator,
  TENANT_ID,
  type TestSimulator,
} from './core-fixtures.ts';

let t: TestSimulator;
before(async () => {
  t = await startTestSimulator();
});
after(() => t.close());

const tokenUrl = (tenant = TENANT_ID) => `${t.sim.url}/${tenant}/oauth2/v2.0/token`;

async function postToken(fields: Record<string, string>, tenant = TENANT_ID) {
  const res = await fetch(tokenUrl(tenant), { ...form(fields), dispatcher: t.agent } as never);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function secretForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    client_id: CLIENT_ID,
    client_secret: SECRET,
    scope: `${t.sim.url}/.default`,
    ...overrides,
  };
}

function assertEntraError(
  result: { status: number; body: Record<string, unknown> },
  status: number,
  error: string,
  code: number,
) {
  assert.equal(result.status, status, JSON.stringify(result.body));
  const b = result.body;
  assert.equal(b.error, error);
  assert.deepEqual(b.error_codes, [code]);
  const description = String(b.error_description);
  assert.ok(description.startsWith(`AADSTS${code}: `), description);
  assert.match(
    description,
    /\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
  );
  assert.match(String(b.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.ok(description.includes(`Trace ID: ${b.trace_id}`));
  assert.ok(description.includes(`Correlation ID: ${b.correlation_id}`));
  assert.equal(b.error_uri, `https://login.microsoftonline.com/error?code=${code}`);
  assert.ok(!description.includes(SECRET), 'the secret never appears in an error');
}

describe('token endpoint: client secret', () => {
  it('issues an RS256 Graph token with the app roles, sim-clock times and a 60-90 minute lifetime', async () => {
    const { status, body } = await postToken(secretForm());
    assert.equal(status, 200);
    assert.equal(body.token_type, 'Bearer');
    const expiresIn = body.expires_in as number;
    assert.ok(expiresIn >= 3600 && expiresIn <= 5400, `expires_in ${expiresIn}`);
    assert.equal(body.ext_expires_in, expiresIn);
    assert.equal(body.refresh_token, undefined);
    const jwt = decodeJwt(String(body.access_token));
    assert.equal(jwt.header.alg, 'RS256');
    const claims = jwt.payload;
    assert.equal(claims.aud, t.sim.url);
    assert.equal(claims.iss, `https://sts.windows.net/${TENANT_ID}/`);
    assert.equal(claims.tid, TENANT_ID);
    assert.equal(claims.appid, CLIENT_ID);
    assert.match(String(claims.oid), /^[0-9a-f-]{36}$/);
    assert.deepEqual(claims.roles, ALL_ROLES);
    const simNow = t.sim.clock.nowMs() / 1000;
    assert.ok(Math.abs((claims.iat as number) - simNow) < 5, 'iat comes from the sim clock');
    assert.equal((claims.exp as number) - (claims.iat as number), expiresIn);
    // verifiable with the published JWKS
    const jwks = (await (
      await fetch(`${t.sim.url}/${TENANT_ID}/discovery/v2.0/keys`, { dispatcher: t.agent })
    ).json()) as {
      keys: { kid: string; x5c: string[] }[];
    };
    const key = jwks.keys.find((k) => k.kid === jwt.header.kid)!;
    const cert = new X509Certificate(Buffer.from(key.x5c[0]!, 'base64'));
    assert.equal(verifyJwtSignature(jwt, cert.publicKey), true);
  });

  it('accepts a tenant domain (any case) and the public Graph scope', async () => {
    const { status, body } = await postToken(
      secretForm({ scope: 'https://graph.microsoft.com/.default' }),
      'Contoso.COM',
    );
    assert.equal(status, 200);
    assert.equal(decodeJwt(String(body.access_token)).payload.aud, 'https://graph.microsoft.com');
  });

  it('reflects roles at issue time', async () => {
    const app = t.sim.tenants[0]!.apps[0]!;
    const saved = [...app.roles];
    app.roles.splice(0, app.roles.length, 'User.Read.All');
    try {
      const { body } = await postToken(secretForm());
      assert.deepEqual(decodeJwt(String(body.access_token)).payload.roles, ['User.Read.All']);
    } finally {
      app.roles.splice(0, app.roles.length, ...saved);
    }
  });

  it('7000215 for a wrong secret, including the secret id pasted instead of its value', async () => {
    assertEntraError(await postToken(secretForm({ client_secret: 'nope' })), 401, 'invalid_client', 7000215);
    assertEntraError(
      await postToken(secretForm({ client_secret: SECRET_ID })),
      401,
      'invalid_client',
      7000215,
    );
  });

  it('7000222 for an expired secret (sim clock)', async () => {
    assertEntraError(
      await postToken(secretForm({ client_secret: 'expired-secret' })),
      401,
      'invalid_client',
      7000222,
    );
  });

  it('700016 for a client id unknown in the tenant', async () => {
    assertEntraError(
      await postToken(secretForm({ client_id: randomUUID() })),
      400,
      'unauthorized_client',
      700016,
    );
  });

  it('900561 for a GET on the token endpoint', async () => {
    const res = await fetch(tokenUrl(), { dispatcher: t.agent } as never);
    assertEntraError({ status: res.status, body: (await res.json()) as Record<string, unknown> }, 400, 'invalid_request', 900561);
  });

  it('90002 for an unknown tenant', async () => {
    assertEntraError(await postToken(secretForm(), randomUUID()), 400, 'invalid_request', 90002);
    assertEntraError(await postToken(secretForm(), 'fabrikam.com'), 400, 'invalid_request', 90002);
  });

  it('70011 for a scope that is not {graphRoot}/.default', async () => {
    for (const scope of ['User.Read', 'https://outlook.office.com/.default']) {
      assertEntraError(await postToken(secretForm({ scope })), 400, 'invalid_scope', 70011);
    }
  });

  it('1002012 for Graph asked for without /.default: client credentials need the .default scope', async () => {
    for (const scope of [`${t.sim.url}/User.Read.All`, t.sim.url, 'https://graph.microsoft.com']) {
      const result = await postToken(secretForm({ scope }));
      assertEntraError(result, 400, 'invalid_scope', 1002012);
      assert.match(String(result.body.error_description), /\/\.default suffixed/);
    }
  });

  it('accepts client_secret_basic, which the discovery document advertises', async () => {
    const { client_secret: secret, client_id: clientId, ...rest } = secretForm();
    const basic = Buffer.from(`${encodeURIComponent(clientId!)}:${encodeURIComponent(secret!)}`).toString('base64');
    const init = form(rest);
    const res = await fetch(tokenUrl(), {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Basic ${basic}` },
      dispatcher: t.agent,
    } as never);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(decodeJwt(String(body.access_token)).payload.appid, CLIENT_ID);
    const wrong = Buffer.from(`${clientId!}:nope`).toString('base64');
    const refused = await fetch(tokenUrl(), {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Basic ${wrong}` },
      dispatcher: t.agent,
    } as never);
    assert.equal(refused.status, 401);
    assert.deepEqual(((await refused.json()) as { error_codes: number[] }).error_codes, [7000215]);
  });

  it('900144 for each missing parameter, 70003 for another grant, 7000218 without a credential', async () => {
    for (const name of ['grant_type', 'client_id', 'scope']) {
      const fields = secretForm();
      delete fields[name];
      const result = await postToken(fields);
      assertEntraError(result, 400, 'invalid_request', 900144);
      assert.ok(String(result.body.error_description).includes(`'${name}'`));
    }
    assertEntraError(
      await postToken(secretForm({ grant_type: 'password' })),
      400,
      'unsupported_grant_type',
      70003,
    );
    const noCredential = secretForm();
    delete noCredential.client_secret;
    assertEntraError(await postToken(noCredential), 401, 'invalid_client', 7000218);
  });
});

describe('token endpoint: certificate (client assertion)', () => {
  let certificatePem: string;
  let privateKeyPem: string;
  before(() => {
    ({ certificatePem, privateKeyPem } = t.sim.addAppCertificate(TENANT_ID, CLIENT_ID));
  });

  function assertion(
    options: {
      alg?: 'RS256' | 'PS256';
      claims?: Record<string, unknown>;
      keyPem?: string;
      certPem?: string;
    } = {},
  ): string {
    const alg = options.alg ?? 'PS256';
    const thumbs = thumbprintOf({ certificateDer: pemToDer(options.certPem ?? certificatePem) });
    const now = Math.floor(t.sim.clock.nowMs() / 1000);
    return signJwt(
      { alg, typ: 'JWT', ...(alg === 'PS256' ? { 'x5t#S256': thumbs.x5tS256 } : { x5t: thumbs.x5t }) },
      {
        aud: tokenUrl(),
        iss: CLIENT_ID,
        sub: CLIENT_ID,
        jti: randomUUID(),
        nbf: now,
        iat: now,
        exp: now + 600,
        ...options.claims,
      },
      createPrivateKey(options.keyPem ?? privateKeyPem),
    );
  }

  function assertionForm(clientAssertion: string): Record<string, string> {
    return {
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      scope: `${t.sim.url}/.default`,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    };
  }

  it('accepts PS256 with x5t#S256 and RS256 with x5t, and the issuer-form audience', async () => {
    for (const a of [
      assertion(),
      assertion({ alg: 'RS256' }),
      assertion({ claims: { aud: `${t.sim.url}/${TENANT_ID}/v2.0` } }),
    ]) {
      const { status, body } = await postToken(assertionForm(a));
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(decodeJwt(String(body.access_token)).payload.appidacr, '2');
    }
  });

  it('700027 for an unregistered certificate and for a bad signature', async () => {
    const other = issueCertificate({
      commonName: 'stranger',
      profile: { kind: 'client' },
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
    });
    assertEntraError(
      await postToken(
        assertionForm(assertion({ certPem: other.certificatePem, keyPem: other.privateKeyPem })),
      ),
      401,
      'invalid_client',
      700027,
    );
    // registered thumbprint, signed with another key
    assertEntraError(
      await postToken(assertionForm(assertion({ keyPem: other.privateKeyPem }))),
      401,
      'invalid_client',
      700027,
    );
  });

  it('700024 for an assertion out of its time range', async () => {
    const now = Math.floor(t.sim.clock.nowMs() / 1000);
    const realNow = Math.floor(Date.now() / 1000);
    const past = Math.min(now, realNow) - 7200;
    const future = Math.max(now, realNow) + 7200;
    for (const claims of [
      { nbf: past, iat: past, exp: past + 600 }, // expired
      { nbf: future, iat: future, exp: future + 600 }, // not yet valid
      { nbf: now, iat: now, exp: now + 7200 }, // lives far longer than ten minutes
    ]) {
      assertEntraError(await postToken(assertionForm(assertion({ claims }))), 401, 'invalid_client', 700024);
    }
  });

  it('700023 for a wrong audience, 700021 when iss/sub differ from client_id, 50027 when malformed', async () => {
    assertEntraError(
      await postToken(
        assertionForm(
          assertion({ claims: { aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' } }),
        ),
      ),
      401,
      'invalid_client',
      700023,
    );
    assertEntraError(
      await postToken(assertionForm(assertion({ claims: { iss: randomUUID() } }))),
      401,
      'invalid_client',
      700021,
    );
    assertEntraError(await postToken(assertionForm('not-a-jwt')), 400, 'invalid_request', 50027);
  });
});

describe('discovery documents', () => {
  it('serves the OpenID configuration for a tenant id or domain, 90002 for unknown tenants', async () => {
    for (const ref of [TENANT_ID, 'contoso.onmicrosoft.com']) {
      const res = await fetch(`${t.sim.url}/${ref}/v2.0/.well-known/openid-configuration`, {
        dispatcher: t.agent,
      });
      assert.equal(res.status, 200);
      const doc = (await res.json()) as Record<string, string>;
      assert.equal(doc.token_endpoint, `${t.sim.url}/${TENANT_ID}/oauth2/v2.0/token`);
      assert.equal(doc.issuer, `${t.sim.url}/${TENANT_ID}/v2.0`);
      assert.equal(doc.authorization_endpoint, `${t.sim.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
      assert.equal(doc.jwks_uri, `${t.sim.url}/${TENANT_ID}/discovery/v2.0/keys`);
    }
    const res = await fetch(`${t.sim.url}/${randomUUID()}/v2.0/.well-known/openid-configuration`, {
      dispatcher: t.agent,
    });
    assert.equal(res.status, 400);
    const failure = (await res.json()) as { error: string; error_codes: number[] };
    assert.deepEqual(failure.error_codes, [90002]);
    assert.equal(failure.error, 'invalid_tenant', 'discovery says invalid_tenant (the token endpoint invalid_request)');
  });

  it('serves instance discovery pointing back at this server', async () => {
    const authorize = encodeURIComponent(`${t.sim.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    const res = await fetch(
      `${t.sim.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${authorize}`,
      { dispatcher: t.agent },
    );
    const doc = (await res.json()) as {
      tenant_discovery_endpoint: string;
      metadata: { aliases: string[] }[];
    };
    assert.equal(
      doc.tenant_discovery_endpoint,
      `${t.sim.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
    );
    assert.deepEqual(doc.metadata[0]?.aliases, [new URL(t.sim.url).host]);
  });
});

describe('real @azure/msal-node against the simulator', () => {
  /** msal's INetworkModule over undici, trusting only the simulator CA and refusing any other host. */
  function networkClient(): INetworkModule {
    const send = async <T>(
      url: string,
      method: string,
      options?: { headers?: Record<string, string>; body?: string },
    ) => {
      assert.ok(url.startsWith(t.sim.url), `msal tried to reach ${url}`);
      const res = await fetch(url, {
        method,
        headers: options?.headers ?? {},
        ...(options?.body !== undefined ? { body: options.body } : {}),
        dispatcher: t.agent,
      });
      const response: NetworkResponse<T> = {
        status: res.status,
        headers: Object.fromEntries(res.headers),
        body: (await res.json()) as T,
      };
      return response;
    };
    return {
      sendGetRequestAsync: (url, options) => send(url, 'GET', options),
      sendPostRequestAsync: (url, options) => send(url, 'POST', options),
    };
  }

  function msal(credential: object) {
    return new ConfidentialClientApplication({
      auth: {
        clientId: CLIENT_ID,
        authority: `${t.sim.url}/${TENANT_ID}`,
        knownAuthorities: [new URL(t.sim.url).host],
        ...credential,
      },
      system: { networkClient: networkClient() },
    });
  }

  it('acquires a token with a client secret', async () => {
    const result = await msal({ clientSecret: SECRET }).acquireTokenByClientCredential({
      scopes: [`${t.sim.url}/.default`],
    });
    assert.ok(result?.accessToken);
    assert.deepEqual(decodeJwt(result.accessToken).payload.roles, ALL_ROLES);
  });

  it('acquires a token with a certificate (thumbprintSha256, privateKey, x5c)', async () => {
    const { certificatePem, privateKeyPem } = t.sim.addAppCertificate(TENANT_ID, CLIENT_ID);
    const thumbprintSha256 = new X509Certificate(certificatePem).fingerprint256.replaceAll(':', '');
    const result = await msal({
      clientCertificate: { thumbprintSha256, privateKey: privateKeyPem, x5c: certificatePem },
    }).acquireTokenByClientCredential({ scopes: [`${t.sim.url}/.default`] });
    assert.ok(result?.accessToken);
    const claims = decodeJwt(result.accessToken).payload;
    assert.deepEqual(claims.roles, ALL_ROLES);
    assert.equal(claims.appidacr, '2');
  });

  it('surfaces Entra error codes to msal', async () => {
    await assert.rejects(
      msal({ clientSecret: 'wrong' }).acquireTokenByClientCredential({ scopes: [`${t.sim.url}/.default`] }),
      (error: { errorCode?: string; errorMessage?: string }) => {
        assert.match(String(error.errorMessage), /AADSTS7000215/);
        assert.equal(error.errorCode, 'invalid_client');
        return true;
      },
    );
  });
});
