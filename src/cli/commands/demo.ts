// `mailtrace demo`: the whole product on a simulated tenant in under a minute. It narrates on stderr what it
// does, collects message traces into a local SQLite file, investigates the seeded phishing campaign and prints
// the summary; stdout carries only the result, so `--output json` stays machine-readable.
import { type Command, OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary:
    'Run collection and an investigation end to end against a simulated tenant (no Microsoft 365 needed)',
  usage:
    'mailtrace demo [--users N] [--days D] [--seed S] [--dir DIR] [--latency realistic|zero] [-o FORMAT]',
  examples: [
    'mailtrace demo',
    'mailtrace demo --users 10000 --seed 7',
    'mailtrace demo --output json > demo.json',
  ],
  options: {
    ...OUTPUT_OPTIONS,
    users: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    dir: { type: 'string' },
    latency: { type: 'string' },
  },
  optionHelp: [
    '    --users N         users in the simulated tenant (default 2000)',
    '    --days D          days of mail traffic to generate (default 3)',
    '    --seed S          generator seed (default 42)',
    '    --dir DIR         where the history, NDJSON and HTML report go (default .tmp/demo); new, empty or a demo\'s',
    '    --latency MODE    realistic (default: Graph-like response times) or zero',
    ...OUTPUT_OPTION_HELP,
  ],
  async run(args, context) {
    const { runDemo } = await import('./demo-run.ts');
    return runDemo(args, context);
  },
};
