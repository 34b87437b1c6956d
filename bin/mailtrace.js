#!/usr/bin/env node
// Launcher for `npx mailtrace`: the CLI is TypeScript that Node (>= 22.18) runs by type stripping.
// Stripping needs Node's TypeScript parser, whose start-up costs more than the rest of `mailtrace --help` put
// together. Node's compile cache keeps each module's stripped and compiled code, so from the second run on the
// parser is not loaded at all. It must be on before the CLI's first module loads, hence the dynamic import.
// NODE_COMPILE_CACHE=dir moves the cache (default: node-compile-cache in the temp directory);
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
