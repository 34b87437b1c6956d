// Token acquisition against the simulator's Entra endpoints: secrets, certificates, roles, and each AADSTS failure
// a user can cause, which must come back as a TokenError that explains itself and never quotes the secret.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TokenError } from '../../src/graph/errors.ts';
import { createHttpAgent, type HttpAgent } from '../../src/graph/http-agent.ts';
import {
  type Credential,
  certificateCredential,
  createTokenProvider,
  rolesOf,
} from '../../src/graph/tokens.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { issueCertificate } from '../../src/simulator/tls.ts';
import { RecordingClock } from './helpers.ts';
import { CLIENT_ID, EXPIRED_SECRET, SECRET, SECRET_ID, TENANT_ID, testTenant } from './tenant-fixture.ts';

const RESOURCE = 'https://graph.microsoft.com';

describe('token provider (against the simulator)', () => {
  let sim: Simulator;
  let http: HttpAgent;
  before(async () => {
    sim = await startSimulator({ tenants: [testTenant()], latency: 'zero' });
    http = createHttpAgent({ caPem: sim.caCertPem, env: {} });
  });
  after(async () => {
    await http.close();
    await sim.close();
  });

  const provider = (credential: Credential, overrides: { tenantId?: string; clientId?: string } = {}) =>
    createTokenProvider({
      tenantId: overrides.tenantId ?? TENANT_ID,
      clientId: overrides.clientId ?? CLIENT_ID,
      credential,
      authorityHost: sim.url,
      resource: RESOURCE,
      http,
    });

  async function tokenError(
    credential: Credential,
    overrides: { tenantId?: string; clientId?: string } = {},
  ) {
    try {
      await provider(credential, overrides).getToken();
    } catch (error) {
      assert.ok(error instanceof TokenError, `expected TokenError, got ${String(error)}`);
      const text = `${error.message} ${error.explanation} ${error.fix} ${JSON.stringify(error)}`;
      for (const secret of [SECRET, EXPIRED_SECRET])
        assert.equal(text.includes(secret), false, 'secret leaked');
      assert.ok(error.explanation.length > 10 && error.fix.length > 10);
      return error;
    }
    assert.fail('expected a TokenError');
  }

  it('gets a token with a client secret and exposes its roles', async () => {
    const tokens = provider({ clientSecret: SECRET });
    const token = await tokens.getToken();
    assert.equal(tokens.scope, 'https://graph.microsoft.com/.default');
    assert.match(token.token, /^eyJ/);
    assert.deepEqual([...token.roles].sort(), [
      'ExchangeMessageTrace.Read.All',
      'Mail.ReadBasic.All',
      'User.Read.All',
    ]);
    const lifetimeMin = (token.expiresOn - Date.now()) / 60_000;
    assert.ok(lifetimeMin > 55 && lifetimeMin <= 91, `lifetime ${lifetimeMin} min`);
    assert.equal((await tokens.getToken()).token, token.token, 'cached');
    assert.notEqual((await tokens.getToken({ forceRefresh: true })).token, token.token, 'forced refresh');
  });

  it('gets a token with a certificate (PS256 assertion with x5t#S256)', async () => {
    const { certificatePem, privateKeyPem } = sim.addAppCertificate(TENANT_ID, CLIENT_ID);
    const token = await provider({ certificatePem, privateKeyPem }).getToken();
    assert.ok(token.roles.includes('Mail.ReadBasic.All'));
  });

  it('explains a wrong secret (7000215), e.g. the secret ID pasted instead of its value', async () => {
    const error = await tokenError({ clientSecret: SECRET_ID });
    assert.equal(error.aadstsCode, 7000215);
    assert.equal(error.error, 'invalid_client');
    assert.match(error.fix, /VALUE, not the secret ID/);
  });

  it('explains an expired secret (7000222)', async () => {
    const error = await tokenError({ clientSecret: EXPIRED_SECRET });
    assert.equal(error.aadstsCode, 7000222);
    assert.match(error.explanation, /expired/);
  });

  it('explains an unknown client id (700016)', async () => {
    const error = await tokenError(
      { clientSecret: SECRET },
      { clientId: '11111111-2222-3333-4444-555555555555' },
    );
    assert.equal(error.aadstsCode, 700016);
    assert.match(error.fix, /cloud/);
  });

  it('explains an unknown tenant (90002)', async () => {
    const error = await tokenError(
      { clientSecret: SECRET },
      { tenantId: '99999999-9999-9999-9999-999999999999' },
    );
    assert.equal(error.aadstsCode, 90002);
    assert.match(error.fix, /cloud/);
  });

  it('explains a certificate the app does not know (700027)', async () => {
    const now = Date.now();
    const stranger = issueCertificate({
      commonName: 'not registered',
      profile: { kind: 'client' },
      notBefore: new Date(now - 86_400_000 * 400),
      notAfter: new Date(now + 86_400_000 * 400),
    });
    const error = await tokenError({
      certificatePem: stranger.certificatePem,
      privateKeyPem: stranger.privateKeyPem,
    });
    assert.ok(error.aadstsCode === 700027 || error.aadstsCode === 50012, `code ${error.aadstsCode}`);
    assert.match(error.explanation, /certificate/);
  });

  it('reports an unreachable authority as network_error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const tokens = createTokenProvider({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      credential: { clientSecret: SECRET },
      authorityHost: `https://127.0.0.1:${port}`,
      resource: RESOURCE,
      http,
    });
    await assert.rejects(tokens.getToken(), (e: unknown) => {
      assert.ok(e instanceof TokenError);
      assert.equal(e.error, 'network_error');
      assert.match(e.message, /ECONNREFUSED/);
      assert.equal(e.message.includes(SECRET), false);
      return true;
    });
  });

  it('refreshes early when less than refreshBeforeMs remains, and shares one request between callers', async () => {
    const clock = new RecordingClock(Date.now());
    const tokens = createTokenProvider({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      credential: { clientSecret: SECRET },
      authorityHost: sim.url,
      resource: RESOURCE,
      http,
      clock,
      refreshBeforeMs: 5 * 60_000,
    });
    const [a, b] = await Promise.all([tokens.getToken(), tokens.getToken()]);
    assert.equal(a.token, b.token);
    clock.nowMs = a.expiresOn - 6 * 60_000;
    assert.equal((await tokens.getToken()).token, a.token, 'still fresh with 6 min left');
    clock.nowMs = a.expiresOn - 4 * 60_000;
    assert.notEqual((await tokens.getToken()).token, a.token, 'refreshed with 4 min left');
  });
});

describe('certificate helpers', () => {
  it('derives the SHA-256 thumbprint and rejects a key that does not match the certificate', () => {
    const now = Date.now();
    const make = () =>
      issueCertificate({
        commonName: 'app',
        profile: { kind: 'client' },
        notBefore: new Date(now),
        notAfter: new Date(now + 86_400_000),
      });
    const one = make();
    const two = make();
    const credential = certificateCredential(one.certificatePem, one.privateKeyPem);
    assert.match(credential.thumbprintSha256, /^[0-9a-f]{64}$/);
    assert.throws(
      () => certificateCredential(one.certificatePem, two.privateKeyPem),
      (e: unknown) =>
        e instanceof TokenError && e.error === 'invalid_credential' && !e.message.includes('PRIVATE KEY'),
    );
    assert.throws(() => certificateCredential('nope', one.privateKeyPem), /not a PEM certificate/);
  });
  it('decodes roles from a JWT payload and tolerates opaque tokens', () => {
    const payload = Buffer.from(JSON.stringify({ roles: ['User.Read.All', 7] })).toString('base64url');
    assert.deepEqual(rolesOf(`eyJhbGciOiJub25lIn0.${payload}.`), ['User.Read.All']);
    assert.deepEqual(rolesOf('opaque'), []);
  });
});
