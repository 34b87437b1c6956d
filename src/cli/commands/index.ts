import type { Command } from '../command.ts';
import { collectCommand } from './collect.ts';
import { demoCommand } from './demo.ts';
import { doctorCommand } from './doctor.ts';
import { investigateCommand } from './investigate.ts';
import { simulateCommand } from './simulate.ts';
import { sinksCommand } from './sinks.ts';
import { statusCommand } from './status.ts';
import { traceCommand } from './trace.ts';

/**
 * Every command, in the order `mailtrace --help` lists them: the responder's first, setup and tools after. These
 * modules hold help text only; each command loads its implementation when it runs (see Command.run).
 */
export const COMMANDS: readonly Command[] = [
  investigateCommand,
  traceCommand,
  collectCommand,
  statusCommand,
  doctorCommand,
  sinksCommand,
  demoCommand,
  simulateCommand,
];
