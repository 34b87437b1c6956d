// clientForTenant: the one place a TenantConfig becomes a Graph client, exercised against the simulator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfigFile, type TenantConfig } from '../../src/cli/config.ts';
import { clientForTenant } from '../../src/cli/tenant-client.ts';
import { GraphError } from '../../src/graph/errors.ts';
import { redactText } from '../../src/graph/redact.ts';
import { type SimFixture, startSimFixture } from './sim-fixture.ts';

describe('clientForTenant', () => {
  let fx: SimFixture;
  let tenant: TenantConfig;
  before(async () => {
    fx = await startSimFixture({ seed: 4 });
    const loaded = loadConfigFile(fx.writeConfig()).tenants[0];
    assert.ok(loaded);
    tenant = loaded;
  });
  after(() => fx.close());

  it('authenticates with the configured secret, trusts the configured CA and reads the granted roles', async () => {
    const client = clientForTenant(tenant);
    try {
      assert.deepEqual(
        [...(await client.grantedRoles())].sort(),
        [...(fx.app('mailtrace').roles as string[])].sort(),
      );
      const users = await client.send<{ value: unknown[] }>({ method: 'GET', url: '/users?$top=2' });
      assert.equal(users.body.value.length, 2);
    } finally {
      await client.close();
    }
  });

  it('registers the secret so that redaction scrubs it from any text', () => {
    const client = clientForTenant(tenant);
    const secret = tenant.credential.kind === 'secret' ? tenant.credential.secret : '';
    assert.ok(secret.length > 8);
    assert.ok(!redactText(`the secret is ${secret}`).includes(secret));
    return client.close();
  });

  it('authenticates with a certificate', async () => {
    const pems = fx.sim.addAppCertificate(fx.tenant.tenantId, tenant.clientId);
    const client = clientForTenant({
      ...tenant,
      credential: { kind: 'certificate', source: 'test', ...pems },
    });
    try {
      assert.ok((await client.grantedRoles()).includes('User.Read.All'));
    } finally {
      await client.close();
    }
  });

  it('applies a caller retry policy (one attempt: a 429 comes straight back)', async () => {
    fx.sim.setFaults({ throttle429: 1, exempt: /oauth2/ });
    const client = clientForTenant(tenant, { retry: { maxAttempts: 1 } });
    try {
      await assert.rejects(
        client.send({ method: 'GET', url: '/users?$top=1' }),
        (error: unknown) => error instanceof GraphError && error.status === 429,
      );
    } finally {
      fx.sim.setFaults({});
      await client.close();
    }
  });
});
