import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { MESSAGE_TRACE_QUOTA, type QuotaPolicy } from '../../src/graph/types.ts';
import { openStore } from '../../src/store/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'mailtrace-quota-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SMALL: QuotaPolicy = { limit: 10, windowMs: 1000, reserve: { high: 0, normal: 2, low: 5 } };

describe('SqliteQuotaLedger', () => {
  it('grants up to the limit within the rolling window, then says when to come back', () => {
    const store = openStore(':memory:');
    const ledger = store.quotaLedger(SMALL);
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(ledger.tryTake('t1', 'messageTrace', 'high', 1000 + i * 10), { granted: true });
    }
    assert.equal(ledger.used('t1', 'messageTrace', 1100), 10);
    // The oldest use (t=1000) leaves the window at 2000.
    assert.deepEqual(ledger.tryTake('t1', 'messageTrace', 'high', 1500), { granted: false, retryAtMs: 2000 });
    assert.deepEqual(ledger.tryTake('t1', 'messageTrace', 'high', 2000), { granted: true });
    // Another tenant has its own budget.
    assert.deepEqual(ledger.tryTake('t2', 'messageTrace', 'high', 1500), { granted: true });
    store.close();
  });

  it('keeps the reserve of each priority for higher ones', () => {
    const store = openStore(':memory:');
    const ledger = store.quotaLedger(SMALL);
    let low = 0;
    while (ledger.tryTake('t1', 'messageTrace', 'low', 0).granted) low++;
    assert.equal(low, 5);
    let normal = 0;
    while (ledger.tryTake('t1', 'messageTrace', 'normal', 0).granted) normal++;
    assert.equal(normal, 3);
    let high = 0;
    while (ledger.tryTake('t1', 'messageTrace', 'high', 0).granted) high++;
    assert.equal(high, 2);
    // A low claim must wait until used drops below 5: the 6th oldest use (t=0) expires at 1000.
    const refused = ledger.tryTake('t1', 'messageTrace', 'low', 10);
    assert.deepEqual(refused, { granted: false, retryAtMs: 1000 });
    store.close();
  });

  it('computes retryAtMs from the use that must expire for a lower priority', () => {
    const store = openStore(':memory:');
    const ledger = store.quotaLedger(SMALL);
    for (let i = 0; i < 8; i++) assert.ok(ledger.tryTake('t1', 'messageTrace', 'high', i * 100).granted);
    // used = 8, low cap = 5: uses at 0, 100, 200, 300 must expire; the 4th (t=300) leaves at 1300.
    assert.deepEqual(ledger.tryTake('t1', 'messageTrace', 'low', 750), { granted: false, retryAtMs: 1300 });
    assert.deepEqual(ledger.tryTake('t1', 'messageTrace', 'low', 1300), { granted: true });
    store.close();
  });

  it('uses the Graph message-trace policy by default (100 per 5 minutes, reserves 30/10/0)', () => {
    const store = openStore(':memory:');
    const ledger = store.quotaLedger();
    let low = 0;
    while (ledger.tryTake('t1', 'messageTrace', 'low', 0).granted) low++;
    assert.equal(low, MESSAGE_TRACE_QUOTA.limit - MESSAGE_TRACE_QUOTA.reserve.low);
    assert.equal(ledger.used('t1', 'messageTrace', 299_999), 70);
    assert.equal(ledger.used('t1', 'messageTrace', 300_000), 0);
    store.close();
  });

  it('never over-grants when several processes take from one store file at once', async () => {
    const path = join(dir, 'shared.db');
    openStore(path).close();
    const storeModule = resolve(import.meta.dirname, '../../src/store/index.ts');
    const script = join(dir, 'taker.ts');
    writeFileSync(
      script,
      `import { openStore } from ${JSON.stringify(storeModule)};
const store = openStore(${JSON.stringify(path)}, { busyTimeoutMs: 10000 });
const ledger = store.quotaLedger({ limit: 50, windowMs: 3_600_000, reserve: { high: 0, normal: 0, low: 0 } });
let granted = 0;
for (let i = 0; i < 40; i++) if (ledger.tryTake('t1', 'messageTrace', 'low', Date.now()).granted) granted++;
store.close();
console.log(granted);
`,
    );
    const runs = Array.from(
      { length: 3 },
      () =>
        new Promise<number>((done, fail) => {
          const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d) => {
            out += d;
          });
          child.on('exit', (code) =>
            code === 0 ? done(Number(out.trim())) : fail(new Error(`taker exited ${code}`)),
          );
        }),
    );
    const granted = await Promise.all(runs);
    assert.equal(
      granted.reduce((a, b) => a + b, 0),
      50,
      `grants per process: ${granted.join(', ')}`,
    );
    const store = openStore(path);
    assert.equal(store.quotaLedger().used('t1', 'messageTrace', Date.now()), 50);
    store.close();
  });
});
