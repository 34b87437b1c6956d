import type { Command } from '../command.ts';
import { simulateCommand } from './simulate.ts';

/** Every command, in the order `mailtrace --help` lists them. */
export const COMMANDS: readonly Command[] = [simulateCommand];
