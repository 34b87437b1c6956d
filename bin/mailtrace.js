#!/usr/bin/env node
// Launcher for `npx mailtrace`: the CLI is TypeScript that Node (>= 22.18) runs by type stripping.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
