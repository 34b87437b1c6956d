#!/usr/bin/env node
// Entry point: parse the command line, run one command, render its output, map errors to exit codes.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { redactText } from '../graph/redact.ts';
import type { Command, CommandContext } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { CliError, EXIT, usageError } from './errors.ts';
import { emit, parseOutputFormat } from './output.ts';
import { visibleControls, visibleControlsKeepingLines } from './text-safety.ts';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'mailtrace: Exchange Online message traces and internet-message-id investigations over Microsoft Graph',
    '',
    'Usage: mailtrace <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `mailtrace <command> --help` for its options and examples.',
    'Global: --version, --help',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `${command.summary}`,
    '',
    `Usage: ${command.usage}`,
    '',
    'Options:',
    ...command.optionHelp.map((l) => `  ${l}`),
    '  -h, --help            show this help',
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
  ].join('\n');
}

async function runCommand(command: Command, argv: string[], context: CommandContext): Promise<number> {
  if (command.passThrough) {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(`${commandHelp(command)}\n`);
      return EXIT.ok;
    }
    await command.run({ values: {}, positionals: argv }, context);
    return EXIT.ok;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    throw usageError((error as Error).message, `see \`mailtrace ${command.name} --help\``);
  }
  if (parsed.values.help) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return EXIT.ok;
  }
  const format = parseOutputFormat(parsed.values.output as string | undefined);
  const output = await command.run(parsed as Parameters<Command['run']>[0], context);
  if (output) emit(output, format, parsed.values.out as string | undefined);
  const partial = (output?.data as { complete?: boolean } | undefined)?.complete === false;
  return partial ? EXIT.partial : EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!command)
      throw usageError(`unknown command '${name}'`, 'run `mailtrace --help` for the list of commands');
    return await runCommand(command, rest, {
      stderr: process.stderr,
      env: process.env,
      signal: controller.signal,
    });
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`error: ${visibleControls(redactText(error.message))}\n`);
      if (error.fix) process.stderr.write(`fix: ${visibleControls(redactText(error.fix))}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`internal error (please report it): ${visibleControlsKeepingLines(redactText(message))}\n`);
    return EXIT.internal;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
