import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseFailpoints } from '../../src/core/failpoints.ts';
import { SteeredChild } from '../support/child.ts';

const FAILPOINTS = new URL('../../src/core/failpoints.ts', import.meta.url).href;

describe('failpoints', () => {
  it('reads name, qualifier, hit and action', () => {
    assert.deepEqual(parseFailpoints('collector.page-stored@3=kill, collector.sink-acked:ndjson=stop,a=notify'), [
      { point: 'collector.page-stored', hit: 3, action: 'kill' },
      { point: 'collector.sink-acked:ndjson', hit: 1, action: 'stop' },
      { point: 'a', hit: 1, action: 'notify' },
    ]);
    assert.deepEqual(parseFailpoints(''), []);
  });

  it('refuses a rule it cannot read instead of leaving the point off', () => {
    for (const bad of ['x=explode', 'x@0=kill', 'x', 'X=kill'])
      assert.throws(() => parseFailpoints(bad), /MAILTRACE_FAILPOINTS: cannot read/);
  });

  // A real child: the point kills it at the armed hit, so the line after it never runs.
  it('kills the process at the armed hit of a qualified point, and only there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrace-failpoints-'));
    const script = join(dir, 'child.ts');
    writeFileSync(
      script,
      `import { failpoint } from ${JSON.stringify(FAILPOINTS)};\n` +
        `for (let i = 1; i <= 5; i++) {\n` +
        `  failpoint('step', i % 2 === 0 ? 'even' : 'odd');\n` +
        `  process.stdout.write(i + '\\n');\n` +
        `}\n`,
    );
    const child = new SteeredChild(script, [], { failpoints: 'step:even@2=kill,step@1=notify' });
    const run = await child.done;
    assert.equal(run.signal, 'SIGKILL');
    assert.equal(run.stdout, '1\n2\n3\n');
    assert.deepEqual(run.failpoints, ['step:odd notify', 'step:even kill']);
  });

  it('stops the process until the parent resumes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailtrace-failpoints-'));
    const script = join(dir, 'child.ts');
    writeFileSync(
      script,
      `import { failpoint } from ${JSON.stringify(FAILPOINTS)};\n` +
        `failpoint('pause');\nprocess.stdout.write('after\\n');\n`,
    );
    const child = new SteeredChild(script, [], { failpoints: 'pause=stop' });
    await child.waitFor('pause');
    assert.equal(child.reached('pause'), true);
    await child.resume();
    const run = await child.done;
    assert.equal(run.code, 0);
    assert.equal(run.stdout, 'after\n');
  });
});
