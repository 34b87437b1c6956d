import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { ControllableClock } from '../../src/simulator/clock.ts';
import { signJwt } from '../../src/simulator/jwt.ts';
import { MESSAGE_TRACE_SP_APP_ID } from '../../src/simulator/model.ts';
import { startSimulator } from '../../src/simulator/server.ts';
import { ANCHOR, CLIENT_ID, startTestSimulator, TENANT_ID, tinyTenant, USER_ID } from './core-fixtures.ts';

const GRAPH_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

type GraphErrorBody = {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string };
  };
};

describe('ControllableClock', () => {
  it('starts at the given instant, advances, sets and scales without going backwards', () => {
    let real = 1000;
    const clock = new ControllableClock(ANCHOR, 1, () => real);
    const start = Date.parse(ANCHOR);
    assert.equal(clock.nowMs(), start);
    real += 500;
    assert.equal(clock.nowMs(), start + 500);
    clock.setScale(60);
    real += 1000;
    assert.equal(clock.nowMs(), start + 500 + 60_000);
    clock.advance(10_000);
    assert.equal(clock.nowMs(), start + 70_500);
    clock.setScale(0);
    real += 1_000_000;
    assert.equal(clock.now().getTime(), start + 70_500);
    clock.set('2030-01-01T00:00:00Z');
    assert.equal(clock.now().toISOString(), '2030-01-01T00:00:00.000Z');
    assert.throws(() => clock.setScale(-1), RangeError);
    assert.throws(() => clock.advance(-5), RangeError);
    assert.equal(clock.realMsUntil(clock.nowMs() + 1), Number.POSITIVE_INFINITY);
  });

  it('runs scaled against real time', () => {
    // The real-time source is injected: 50 real ms are 50 simulated seconds at ×1000, whatever the machine does.
    let realMs = 1_000;
    const clock = new ControllableClock(ANCHOR, 1000, () => realMs);
    realMs += 50;
    assert.equal(clock.nowMs() - Date.parse(ANCHOR), 50_000);
    clock.setScale(2);
    realMs += 10;
    assert.equal(clock.nowMs() - Date.parse(ANCHOR), 50_020, 'a new scale applies from the moment it is set');
  });

  it('is the default clock of the server, starting at the first tenant anchor', async () => {
    const t = await startTestSimulator();
    try {
      const drift = t.sim.clock.nowMs() - Date.parse(ANCHOR);
      assert.ok(drift >= 0 && drift < 5_000, `drift ${drift}`);
    } finally {
      await t.close();
    }
  });
});

describe('Graph authentication', () => {
  it('401 "Access token is empty." without a bearer token, with Graph headers and error shape', async () => {
    const t = await startTestSimulator();
    try {
      const res = await t.request('/v1.0/users', {
        token: null,
        headers: { 'client-request-id': 'abc-123' },
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('content-type'), GRAPH_CONTENT_TYPE);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
      const body = (await res.json()) as GraphErrorBody;
      assert.equal(body.error.code, 'InvalidAuthenticationToken');
      assert.equal(body.error.message, 'Access token is empty.');
      assert.equal(body.error.innerError['client-request-id'], 'abc-123');
      assert.equal(body.error.innerError['request-id'], res.headers.get('request-id'));
      assert.match(body.error.innerError.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    } finally {
      await t.close();
    }
  });

  it('401 for a token signed by a foreign key, for garbage, and for an expired token (sim clock)', async () => {
    const t = await startTestSimulator();
    try {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const now = Math.floor(t.sim.clock.nowMs() / 1000);
      const forged = signJwt(
        { alg: 'RS256', typ: 'JWT' },
        {
          aud: t.sim.url,
          tid: TENANT_ID,
          appid: CLIENT_ID,
          roles: ['User.Read.All'],
          iat: now,
          exp: now + 3600,
        },
        privateKey,
      );
      for (const token of [forged, 'garbage']) {
        const res = await t.request('/v1.0/users', { token });
        assert.equal(res.status, 401);
        assert.equal(((await res.json()) as GraphErrorBody).error.code, 'InvalidAuthenticationToken');
      }
      const valid = await t.token();
      assert.equal((await t.request('/v1.0/users', { token: valid })).status, 200);
      t.sim.clock.advance(91 * 60_000);
      const expired = await t.request('/v1.0/users', { token: valid });
      assert.equal(expired.status, 401);
      assert.equal(
        ((await expired.json()) as GraphErrorBody).error.message,
        'Lifetime validation failed, the token is expired.',
      );
    } finally {
      await t.close();
    }
  });

  it('selects the tenant by the token tid (several tenants in one server)', async () => {
    const second = tinyTenant({ tenantId: randomUUID(), domains: ['fabrikam.com'] });
    const t = await startTestSimulator({ tenants: [tinyTenant(), second] });
    try {
      const token = t.sim.mintAccessToken(second.tenantId, CLIENT_ID);
      const res = await t.request('/v1.0/users', { token });
      assert.equal(res.status, 200);
      // a secret of tenant 1's app does not exist under the same client id in tenant 2 unless registered
      const tokenRes = await fetch(`${t.sim.url}/fabrikam.com/oauth2/v2.0/token`, {
        method: 'POST',
        dispatcher: t.agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: CLIENT_ID,
          client_secret: 'sim-secret-value-~1',
          scope: `${t.sim.url}/.default`,
        }).toString(),
      });
      const body = (await tokenRes.json()) as { access_token: string };
      const tid = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()).tid;
      assert.equal(tid, second.tenantId);
    } finally {
      await t.close();
    }
  });
});

describe('Graph permissions', () => {
  it('403 per endpoint class when no granting role is in the token: the directory code, or Outlook code', async () => {
    const t = await startTestSimulator();
    try {
      const app = t.sim.tenants[0]!.apps[0]!;
      const cases: [string[], string, number][] = [
        [['Mail.ReadBasic.All'], '/v1.0/users', 403],
        [['Directory.Read.All'], '/v1.0/users', 200],
        [['User.ReadBasic.All'], `/v1.0/users/${USER_ID}`, 200],
        [['User.Read.All'], `/v1.0/users/${USER_ID}/messages`, 403],
        [['Mail.Read'], `/v1.0/users/${USER_ID}/messages`, 200],
        [['User.Read.All'], `/v1.0/users/${USER_ID}/mailFolders/inbox`, 403],
        [['Mail.ReadBasic'], `/v1.0/users/${USER_ID}/mailFolders/inbox`, 200],
        [['Mail.ReadBasic.All'], '/v1.0/admin/exchange/tracing/messageTraces', 403],
        [['ExchangeMessageTrace.Read.All'], '/beta/admin/exchange/tracing/messageTraces', 200],
      ];
      for (const [roles, path, status] of cases) {
        app.roles = roles;
        const res = await t.request(path, { token: t.sim.mintAccessToken(TENANT_ID, CLIENT_ID) });
        assert.equal(res.status, status, `${roles} ${path}`);
        if (status === 403) {
          const body = (await res.json()) as GraphErrorBody;
          if (/\/(messages|mailFolders)/.test(path)) {
            // Outlook's own refusal: the same code as an access-policy exclusion (graph-reference.md §7).
            assert.equal(body.error.code, 'ErrorAccessDenied', path);
            assert.equal(body.error.message, 'Access is denied. Check credentials and try again.');
          } else {
            assert.equal(body.error.code, 'Authorization_RequestDenied', path);
            assert.equal(body.error.message, 'Insufficient privileges to complete the operation.');
          }
        } else {
          await res.arrayBuffer();
        }
      }
    } finally {
      await t.close();
    }
  });

  it('401 naming Microsoft message-trace app when its service principal is missing; 400 for /me', async () => {
    const t = await startTestSimulator({ tenants: [tinyTenant({ messageTraceServicePrincipal: false })] });
    try {
      const res = await t.request('/v1.0/admin/exchange/tracing/messageTraces');
      assert.equal(res.status, 401);
      const body = (await res.json()) as GraphErrorBody;
      assert.equal(body.error.code, 'Unauthorized');
      assert.ok(body.error.message.includes(MESSAGE_TRACE_SP_APP_ID));
      assert.match(body.error.message, /service principal .* was not found/);
      const me = await t.request('/v1.0/me/messages');
      assert.equal(me.status, 400);
    } finally {
      await t.close();
    }
  });
});

describe('Graph responses', () => {
  it('carry request-id, client-request-id (echoed or generated), Date and the OData JSON content type', async () => {
    const t = await startTestSimulator();
    try {
      const echoed = await t.request('/v1.0/users', { headers: { 'client-request-id': 'my-id-1' } });
      assert.equal(echoed.headers.get('client-request-id'), 'my-id-1');
      assert.match(echoed.headers.get('request-id') ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(echoed.headers.get('date') ?? '')));
      assert.equal(echoed.headers.get('content-type'), GRAPH_CONTENT_TYPE);
      await echoed.arrayBuffer();
      const generated = await t.request('/v1.0/users');
      assert.match(generated.headers.get('client-request-id') ?? '', /^[0-9a-f-]{36}$/);
      await generated.arrayBuffer();
      assert.equal(t.sim.stats.log.at(-1)?.clientRequestId, generated.headers.get('client-request-id'));
      assert.equal(t.sim.stats.byEndpoint.users, 2);
      assert.equal(t.sim.stats.byStatus['200'], 3, 'the token request and two Graph calls');
      t.sim.stats.reset();
      assert.equal(t.sim.stats.totalRequests, 0);
      assert.deepEqual(t.sim.stats.log, []);
      assert.equal(t.sim.stats.violations.retryAfterIgnored, 0);
    } finally {
      await t.close();
    }
  });

  it('answers 400 "Resource not found for the segment" for unknown paths, and for everything without a router', async () => {
    const t = await startTestSimulator();
    const bare = await startSimulator({ tenants: [tinyTenant()], latency: 'zero' });
    const agent = new Agent({ connect: { ca: bare.caCertPem } });
    try {
      const res = await t.request('/v1.0/nothingHere/x');
      assert.equal(res.status, 400);
      assert.equal(
        ((await res.json()) as GraphErrorBody).error.message,
        "Resource not found for the segment 'nothingHere'.",
      );
      const token = bare.mintAccessToken(TENANT_ID, CLIENT_ID);
      const noRouter = await fetch(`${bare.url}/v1.0/users`, {
        headers: { authorization: `Bearer ${token}` },
        dispatcher: agent,
      });
      assert.equal(noRouter.status, 400);
      assert.equal(((await noRouter.json()) as GraphErrorBody).error.code, 'BadRequest');
    } finally {
      await agent.close();
      await bare.close();
      await t.close();
    }
  });

  it('hands resources the request with sim time, version, raw query, roles and a nextLink base', async () => {
    let seen:
      | Parameters<ReturnType<NonNullable<Parameters<typeof startSimulator>[0]['router']>>>[0]
      | undefined;
    const t = await startTestSimulator({
      router: () => (req) => {
        seen = req;
        return { status: 200, body: {} };
      },
    });
    try {
      t.sim.clock.setScale(0);
      t.sim.clock.set('2026-03-02T00:00:00Z');
      await (await t.request('/beta/users?$filter=mail%20eq%20%27a+b%27&$top=5')).arrayBuffer();
      assert.ok(seen);
      assert.equal(seen.version, 'beta');
      assert.equal(seen.path, '/users');
      assert.equal(
        seen.rawQuery,
        '$filter=mail%20eq%20%27a+b%27&$top=5',
        'the query reaches resources as sent',
      );
      assert.equal(seen.now.toISOString(), '2026-03-02T00:00:00.000Z');
      assert.equal(seen.baseUrl, `${t.sim.url}/beta`);
      assert.ok(seen.roles.has('User.Read.All'));
      assert.equal(typeof seen.random(), 'number');
    } finally {
      await t.close();
    }
  });
});

describe('fault injection', () => {
  async function statusSequence(seed: number): Promise<number[]> {
    const t = await startTestSimulator({
      faults: {
        seed,
        throttle429: 0.2,
        throttle429NoRetryAfter: 0.1,
        unavailable503: 0.1,
        gatewayTimeout504: 0.1,
      },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        // distinct mailbox refs so that an injected Retry-After never makes the next call "too early"
        const res = await t.request(`/v1.0/users/user${i}@contoso.com/messages`);
        statuses.push(res.status);
        if (res.status === 429 || res.status === 503) {
          const retryAfter = res.headers.get('retry-after');
          if (retryAfter !== null) assert.ok(['1', '2', '3'].includes(retryAfter));
        }
        await res.arrayBuffer();
      }
      assert.equal(t.sim.stats.totalViolations(), 0, 'injected faults are not client violations');
      assert.equal(t.sim.stats.totalFaults(), statuses.filter((s) => s !== 200).length);
      return statuses;
    } finally {
      await t.close();
    }
  }

  it('is deterministic for a seed and differs between seeds', async () => {
    const a = await statusSequence(42);
    const b = await statusSequence(42);
    const c = await statusSequence(7);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(a.some((s) => s !== 200) && a.some((s) => s === 200));
    assert.ok(new Set(a).size >= 3, `statuses ${a}`);
  });

  it('resets the connection without answering; setFaults turns it off; the token endpoint is never faulted', async () => {
    const t = await startTestSimulator({ faults: { seed: 3, connectionReset: 1 } });
    try {
      await assert.rejects(t.request('/v1.0/users'));
      assert.equal(t.sim.stats.faults.connectionReset, 1);
      t.sim.setFaults({ seed: 3 });
      assert.equal((await t.request('/v1.0/users')).status, 200);
      t.sim.setFaults({ seed: 3, unavailable503: 1, exempt: /^\/users$/ });
      assert.equal((await t.request('/v1.0/users')).status, 200);
      const faulted = await t.request(`/v1.0/users/${USER_ID}`);
      assert.equal(faulted.status, 503);
      assert.equal(((await faulted.json()) as GraphErrorBody).error.code, 'ServiceUnavailable');
    } finally {
      await t.close();
    }
  });
});
