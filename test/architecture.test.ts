// The layering invariants of ARCHITECTURE.md, checked on the source so that a stray import fails CI.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const SRC = new URL('../src/', import.meta.url).pathname;
const PRODUCT = ['core', 'graph', 'trace', 'investigate', 'sinks', 'store'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module specifier of a file, resolved to a path under src/. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map(
    (m) => m[1] ?? '',
  );
  return specifiers.map((s) => relative(SRC, join(file, '..', s)));
}

describe('architecture', () => {
  for (const layer of PRODUCT) {
    it(`src/${layer} imports neither the simulator nor the CLI`, () => {
      const offending = sourceFiles(join(SRC, layer)).flatMap((file) =>
        imports(file)
          .filter((target) => target.startsWith('simulator/') || target.startsWith('cli/'))
          .map((target) => `${relative(SRC, file)} -> ${target}`),
      );
      assert.deepEqual(offending, []);
    });
  }

  it('the simulator imports no product code (it must be able to catch the client)', () => {
    const offending = sourceFiles(join(SRC, 'simulator')).flatMap((file) =>
      imports(file)
        .filter(
          (target) => PRODUCT.some((layer) => target.startsWith(`${layer}/`)) || target.startsWith('cli/'),
        )
        .map((target) => `${relative(SRC, file)} -> ${target}`),
    );
    assert.deepEqual(offending, []);
  });

  it('finds imports at all (the check is not vacuous)', () => {
    assert.ok(imports(join(SRC, 'cli', 'main.ts')).includes('cli/output.ts'));
  });
});
