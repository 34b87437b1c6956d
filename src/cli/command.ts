// The shape of one CLI command: a typed option schema (util.parseArgs), help text with examples, and a run
// function that returns data for the output layer instead of printing it.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { CommandOutput } from './output.ts';

export interface CommandContext {
  /** Progress and logs; never stdout (stdout belongs to the result). */
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Shown under "Examples:" in --help; every command has at least one. */
  examples: string[];
  options: ParseArgsOptionsConfig;
  /** Extra help lines describing the options. */
  optionHelp: string[];
  allowPositionals?: boolean;
  /** The command parses its own arguments: everything after its name arrives as positionals. */
  passThrough?: boolean;
  /**
   * Returns output for the output layer, or undefined when the command printed what it had to (e.g. a daemon).
   * Every command's metadata is loaded for `mailtrace --help`, so a command file imports only what its help needs
   * and its run loads the rest with a dynamic import (`<name>-run.ts`): the store, msal, undici and the simulator
   * cost a few hundred milliseconds that a help or a typo should not pay.
   */
  run(args: ParsedArgs, context: CommandContext): Promise<CommandOutput | undefined>;
}

/** Options every command that prints a result accepts. */
export const OUTPUT_OPTIONS: ParseArgsOptionsConfig = {
  output: { type: 'string', short: 'o' },
  out: { type: 'string' },
};

export const OUTPUT_OPTION_HELP = [
  '-o, --output FORMAT   table (default), json, csv, md or html',
  '    --out FILE        write the result to FILE instead of stdout',
];
