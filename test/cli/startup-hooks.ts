// Loaded with `node --import` by startup.test.ts: records the URL of every module the process loads (ES modules,
// CommonJS and built-ins alike, as module.registerHooks sees them all) and writes them, one per line, to the file
// named by STARTUP_MODULES_FILE when the process exits. The built-ins this file imports (node:fs, node:module)
// load before the hook and are not listed; it imports none of what the test looks for.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.STARTUP_MODULES_FILE;
if (!file) throw new Error('startup-hooks.ts: set STARTUP_MODULES_FILE to the file the module list goes to');

const loaded = new Set<string>();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => writeFileSync(file, [...loaded].join('\n')));
