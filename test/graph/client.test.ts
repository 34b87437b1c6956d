// The composed client against the simulator: token, roles, plugins and error classification end to end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGraphClient, type GraphClient } from '../../src/graph/client.ts';
import { GraphError, isAccessDeniedByPolicy, isNoMailbox } from '../../src/graph/errors.ts';
import { createLogger } from '../../src/graph/logger.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { captureLines, RecordingClock } from './helpers.ts';
import { CLIENT_ID, SECRET, TENANT_ID, testTenant } from './tenant-fixture.ts';

describe('createGraphClient (against the simulator)', () => {
  let sim: Simulator;
  let client: GraphClient;
  let clock: RecordingClock;
  before(async () => {
    sim = await startSimulator({ tenants: [testTenant()], router: createGraphRouter, latency: 'zero' });
    clock = new RecordingClock(Date.now());
    client = createGraphClient({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      credential: { clientSecret: SECRET },
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      caPem: sim.caCertPem,
      clock,
      env: {},
    });
  });
  after(async () => {
    await client.close();
    await sim.close();
  });

  it('lists users with the granted roles visible before any call', async () => {
    assert.deepEqual([...(await client.grantedRoles())].sort(), [
      'ExchangeMessageTrace.Read.All',
      'Mail.ReadBasic.All',
      'User.Read.All',
    ]);
    assert.equal(client.cloud.name, 'global');
    assert.equal(client.cloud.graphEndpoint, sim.url);
    const response = await client.send<{ value: { userPrincipalName: string }[] }>({
      method: 'GET',
      url: '/users?$select=id,userPrincipalName',
    });
    assert.equal(response.status, 200);
    assert.ok(response.body.value.some((u) => u.userPrincipalName === 'adele@contoso.com'));
  });

  it('classifies mailbox errors from the service', async () => {
    const guest = await client
      .send({ method: 'GET', url: '/users/aaaaaaaa-0000-4000-8000-000000000002/messages?$top=1' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(guest instanceof GraphError, String(guest));
    assert.equal(isNoMailbox(guest), true, `${guest.status} ${guest.code}`);
    const denied = await client.send({ method: 'GET', url: '/users/ceo@contoso.com/messages?$top=1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(isAccessDeniedByPolicy(denied), true, String(denied));
  });

  it('retries injected 429s, sleeping exactly the Retry-After the service sent', async () => {
    sim.setFaults({ seed: 7, throttle429: 1, exempt: /oauth2/ });
    const sleepsBefore = clock.sleeps.length;
    // Heal the service after the second wait: the client must have waited exactly what it was told each time.
    clock.onSleep = () => {
      sim.clock.advance(clock.sleeps.at(-1) ?? 0); // the service's time passes as the client waits
      if (clock.sleeps.length >= sleepsBefore + 2) sim.setFaults({});
    };
    const response = await client.send({ method: 'GET', url: '/users/adele@contoso.com/messages?$top=1' });
    clock.onSleep = undefined;
    assert.equal(response.status, 200);
    const sleeps = clock.sleeps.slice(sleepsBefore);
    assert.ok(sleeps.length >= 2);
    for (const ms of sleeps)
      assert.ok(ms >= 1000 && ms % 1000 === 0, `Retry-After honoured in whole seconds: ${ms}`);
  });

  it('debug logs of a whole session hold neither the secret nor the token', async () => {
    const { lines, write } = captureLines();
    const logged = createGraphClient({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      credential: { clientSecret: SECRET },
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      caPem: sim.caCertPem,
      logger: createLogger({ debug: true, write, env: {} }),
      env: {},
    });
    try {
      const token = await logged.tokens.getToken();
      await logged.send({ method: 'GET', url: '/users?$top=1' });
      await logged.send({ method: 'GET', url: '/users/nobody@contoso.com/messages' }).catch(() => undefined);
      assert.ok(lines.some((l) => l.includes('"token.acquired"')));
      assert.ok(lines.some((l) => l.includes('"graph.response"')));
      for (const line of lines) {
        assert.equal(line.includes(SECRET), false, line);
        assert.equal(line.includes(token.token), false, line);
      }
    } finally {
      await logged.close();
    }
  });
});
