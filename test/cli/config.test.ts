import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, configFromEnv, loadConfigFile, selectTenants } from '../../src/cli/config.ts';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = '66666666-7777-4888-9999-000000000000';

function writeConfig(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-config-'));
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'Abc8Q~very-secret-value\n');
  chmodSync(secret, 0o600);
  const path = join(dir, 'mailtrace.json');
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return path;
}

const good = { name: 'contoso', tenantId: TENANT, clientId: CLIENT, clientSecretFile: 'secret.txt' };

describe('config file', () => {
  it('loads tenants and resolves secret files relative to the config', () => {
    const config = loadConfigFile(writeConfig({ version: 1, tenants: [good] }));
    const tenant = config.tenants[0];
    assert.equal(tenant?.cloud, 'global');
    assert.equal(tenant?.credential.kind, 'secret');
    assert.equal(tenant?.credential.kind === 'secret' && tenant.credential.secret, 'Abc8Q~very-secret-value');
  });

  const cases: [string, unknown, RegExp][] = [
    ['not JSON', '{"version":1,', /is not valid JSON/],
    ['wrong version', { version: 2, tenants: [good] }, /version: expected 1/],
    ['no tenants', { version: 1, tenants: [] }, /tenants: expected a non-empty array/],
    [
      'bad client id',
      { version: 1, tenants: [{ ...good, clientId: 'abc' }] },
      /tenants\[0\]\.clientId: 'abc' is not a GUID/,
    ],
    [
      'unknown cloud',
      { version: 1, tenants: [{ ...good, cloud: 'mars' }] },
      /tenants\[0\]\.cloud: unknown cloud 'mars'/,
    ],
    [
      'unknown key',
      { version: 1, tenants: [{ ...good, tenantID: 'x' }] },
      /tenants\[0\]\.tenantID: unknown key/,
    ],
    ['inline secret', { version: 1, tenants: [{ ...good, clientSecret: 'shh' }] }, /not accepted inline/],
    [
      'two credentials',
      { version: 1, tenants: [{ ...good, clientSecretEnv: 'X' }] },
      /more than one credential/,
    ],
    [
      'missing secret file',
      { version: 1, tenants: [{ ...good, clientSecretFile: 'nope.txt' }] },
      /cannot read secret file/,
    ],
    ['http endpoint', { version: 1, tenants: [{ ...good, graphEndpoint: 'http://x.test' }] }, /is not https/],
    ['duplicate names', { version: 1, tenants: [good, good] }, /duplicate name 'contoso'/],
  ];
  for (const [name, doc, pattern] of cases) {
    it(`rejects ${name} with an error naming the key`, () => {
      assert.throws(
        () => loadConfigFile(writeConfig(doc), {}),
        (error: unknown) => error instanceof ConfigError && pattern.test(error.message) && Boolean(error.fix),
      );
    });
  }

  it('never echoes an inline secret in its error', () => {
    try {
      loadConfigFile(writeConfig({ version: 1, tenants: [{ ...good, clientSecret: 'Zz9~topsecret' }] }));
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(!String((error as Error).message).includes('topsecret'));
      assert.ok(!String((error as ConfigError).fix).includes('topsecret'));
    }
  });

  it('selects a tenant by name, or all', () => {
    const config = loadConfigFile(
      writeConfig({ version: 1, tenants: [good, { ...good, name: 'fabrikam' }] }),
    );
    assert.deepEqual(
      selectTenants(config, 'fabrikam').map((t) => t.name),
      ['fabrikam'],
    );
    assert.equal(selectTenants(config, 'all').length, 2);
    assert.throws(
      () => selectTenants(config, 'nope'),
      (error: unknown) =>
        error instanceof ConfigError && /use one of: contoso, fabrikam/.test(error.fix ?? ''),
    );
  });
});

describe('environment config', () => {
  it('builds one tenant from MAILTRACE_* variables', () => {
    const config = configFromEnv({
      MAILTRACE_TENANT_ID: TENANT,
      MAILTRACE_CLIENT_ID: CLIENT,
      MAILTRACE_CLIENT_SECRET: 'Abc8Q~x',
      MAILTRACE_CLOUD: 'usgov',
    });
    assert.equal(config?.tenants[0]?.cloud, 'usgov');
    assert.equal(config?.tenants[0]?.credential.source, 'env MAILTRACE_CLIENT_SECRET');
  });

  it('is absent without variables and explains a missing secret', () => {
    assert.equal(configFromEnv({}), undefined);
    assert.throws(
      () => configFromEnv({ MAILTRACE_TENANT_ID: TENANT, MAILTRACE_CLIENT_ID: CLIENT }),
      /no credential/,
    );
  });
});

describe('config file input that is not a small regular file', () => {
  it('accepts a config saved with a UTF-8 byte-order mark', () => {
    const config = loadConfigFile(writeConfig(`\uFEFF${JSON.stringify({ version: 1, tenants: [good] })}`));
    assert.equal(config.tenants[0]?.name, 'contoso');
  });

  it('refuses a FIFO, a device and a directory at once instead of hanging or reading forever', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrace-config-'));
    const fifo = join(dir, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    for (const path of [fifo, '/dev/zero', dir])
      assert.throws(
        () => loadConfigFile(path, {}),
        (error: unknown) =>
          error instanceof ConfigError && /is not a regular file/.test(error.message) && /not a directory, device or pipe/.test(error.fix ?? ''),
        path,
      );
  });

  it('refuses a config file larger than any config, naming its size', () => {
    const path = writeConfig(`{"version":1,"tenants":[],"pad":"${'x'.repeat(1024 * 1024)}"}`);
    assert.throws(() => loadConfigFile(path, {}), /bytes, more than 1048576 a config file can be/);
  });
});
