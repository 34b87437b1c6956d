#!/usr/bin/env node
// Thin launcher so `npx mailtrace` works; the CLI itself is TypeScript run by Node's type stripping (Node >= 22.18).
import '../src/cli/main.ts';
