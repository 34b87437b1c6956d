// Contract: @azure/identity, unchanged, gets mailtrace's app-only Graph token from the simulated Entra ID, and
// surfaces Entra's failures as it does Microsoft's: AuthenticationRequiredError wrapping MSAL's ServerError, which
// carries the OAuth error, the AADSTS number and the HTTP status (what mailtrace's token-errors.ts classifies).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AuthenticationRequiredError,
  ClientCertificateCredential,
  ClientSecretCredential,
  CredentialUnavailableError,
} from '@azure/identity';
import { type Contract, decodeJwtPayload, GRAPH_SCOPE, newCredential, originsOf, startContract } from './harness.ts';

describe('contract: @azure/identity ClientSecretCredential / ClientCertificateCredential', () => {
  let c: Contract;
  before(async () => {
    c = await startContract();
  });
  after(() => c.close());

  const tokenRequests = () => c.sent.filter((r) => r.path.split('?')[0]!.endsWith('/oauth2/v2.0/token'));

  it('gets an app-only v1 Graph token for https://graph.microsoft.com/.default with the app roles', async () => {
    const token = await c.credential.getToken(GRAPH_SCOPE);
    const claims = decodeJwtPayload(token.token);
    assert.equal(claims.aud, 'https://graph.microsoft.com');
    assert.equal(claims.tid, c.tenant.tenantId);
    assert.equal(claims.appid, c.app.clientId);
    assert.equal(claims.appidacr, '1', 'a client secret');
    assert.equal(claims.iss, `https://sts.windows.net/${c.tenant.tenantId}/`);
    assert.deepEqual([...(claims.roles as string[])].sort(), [...c.app.roles].sort());
    assert.equal(token.tokenType, 'Bearer');
    // Entra's lifetime is 60 to 90 minutes; MSAL turns expires_in into an instant (whole seconds) on this machine's
    // clock, so allow a second either way.
    const lifetimeMs = token.expiresOnTimestamp - Date.now();
    assert.ok(lifetimeMs > 59 * 60_000 && lifetimeMs <= 90 * 60_000 + 1000, `token lifetime ${lifetimeMs} ms`);
    // The discovery document of the tenant, then the token: both on the simulator.
    assert.equal(tokenRequests().length, 1);
    assert.ok(
      c.sent.some((r) => r.path === `/${c.tenant.tenantId}/v2.0/.well-known/openid-configuration`),
      'MSAL read the tenant discovery document from the authority host',
    );
  });

  it('serves the next request for the same scope from its cache', async () => {
    const first = await c.credential.getToken(GRAPH_SCOPE);
    const again = await c.credential.getToken(GRAPH_SCOPE);
    assert.equal(again.token, first.token);
    assert.equal(tokenRequests().length, 1, 'no second trip to the token endpoint');
  });

  /** What identity throws for an Entra error response: the MSAL ServerError it wraps carries Entra's answer. */
  async function entraRefusal(secret: string): Promise<{ errorCode: string; errorNo: number; status: number }> {
    const credential = newCredential(c.sim, c.tenant, c.app.clientId, secret);
    const error = await credential.getToken(GRAPH_SCOPE).then(
      () => assert.fail('this secret must not get a token'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AuthenticationRequiredError, `got ${String(error)}`);
    const cause = error.cause as { name?: string; errorCode: string; errorNo: number; status: number };
    assert.equal(cause.name, 'ServerError');
    return { errorCode: cause.errorCode, errorNo: Number(cause.errorNo), status: cause.status };
  }

  it('a wrong secret: 401 invalid_client AADSTS7000215, read by MSAL into the error identity throws', async () => {
    assert.deepEqual(await entraRefusal('not-the-secret'), { errorCode: 'invalid_client', errorNo: 7000215, status: 401 });
  });

  it('an expired secret: 401 invalid_client AADSTS7000222', async () => {
    const expired = c.app.secrets.find((s) => Date.parse(s.expiresAt) < c.sim.clock.nowMs());
    assert.ok(expired, 'the generated app has an expired secret');
    assert.deepEqual(await entraRefusal(expired.value), { errorCode: 'invalid_client', errorNo: 7000222, status: 401 });
  });

  it('an unknown tenant: discovery fails, which identity reports as CredentialUnavailableError', async () => {
    const tokensBefore = tokenRequests().length;
    const credential = new ClientSecretCredential(
      '00000000-0000-4000-8000-000000000000',
      c.app.clientId,
      c.app.secrets[0]!.value,
      { authorityHost: c.sim.url, disableInstanceDiscovery: true },
    );
    const error = await credential.getToken(GRAPH_SCOPE).then(
      () => assert.fail('an unknown tenant must not give a token'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CredentialUnavailableError, `got ${String(error)}`);
    assert.match(error.message, /endpoints_resolution_error/);
    assert.equal(tokenRequests().length, tokensBefore, 'MSAL stops at the discovery document');
  });

  it('ClientCertificateCredential signs a client assertion the simulator accepts (appidacr 2)', async () => {
    const { certificatePem, privateKeyPem } = c.sim.addAppCertificate(c.tenant.tenantId, c.app.clientId);
    const credential = new ClientCertificateCredential(
      c.tenant.tenantId,
      c.app.clientId,
      { certificate: `${privateKeyPem}\n${certificatePem}` },
      { authorityHost: c.sim.url, disableInstanceDiscovery: true },
    );
    const claims = decodeJwtPayload((await credential.getToken(GRAPH_SCOPE)).token);
    assert.equal(claims.appid, c.app.clientId);
    assert.equal(claims.appidacr, '2', 'a certificate');
    assert.equal(claims.tid, c.tenant.tenantId);
  });

  it('sent every request to the simulator: no instance discovery, no Microsoft host', () => {
    assert.deepEqual([...originsOf(c.sent).keys()], [c.sim.url]);
    assert.ok(!c.sent.some((r) => r.path.includes('/discovery/instance')), 'instance discovery is disabled');
    // Every one went over node:https through identity's pipeline (none through fetch).
    assert.ok(c.sent.every((r) => r.via === 'http'));
  });
});
