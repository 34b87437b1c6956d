// `mailtrace doctor`: checks a tenant's setup end to end (config, cloud, token, permissions, message trace,
// mailbox search, clock, sinks) and prints a checklist with the fix for each problem.
import { type Command, OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';
import { TENANT_OPTION_HELP, TENANT_OPTIONS } from '../tenant-flags.ts';

export const doctorCommand: Command = {
  name: 'doctor',
  summary:
    'Check a tenant setup (token, permissions, message trace, mailbox access, clock, sinks) and say how to fix it',
  usage: 'mailtrace doctor [--config FILE] [--tenant NAME|all] [--output table|json|csv|md|html]',
  examples: [
    'mailtrace doctor --config mailtrace.json',
    'mailtrace doctor --config mailtrace.json --tenant contoso --output json',
    'MAILTRACE_TENANT_ID=… MAILTRACE_CLIENT_ID=… MAILTRACE_CLIENT_SECRET_FILE=~/.mailtrace.secret mailtrace doctor',
  ],
  options: { ...TENANT_OPTIONS, ...OUTPUT_OPTIONS },
  optionHelp: [
    ...TENANT_OPTION_HELP,
    ...OUTPUT_OPTION_HELP,
    '',
    'Exit codes: 0 ready (warnings allowed), 6 config or a sink down, 3 token refused, 4 missing permission or tenant setup.',
    'Every sink of the config\'s "sinks" section is checked with one real request (see `mailtrace sinks check`).',
    "The message-trace probe makes one request, which counts against the tenant's 100 per 5 minutes.",
  ],
  async run(args, context) {
    const { runDoctor } = await import('./doctor-run.ts');
    return runDoctor(args, context);
  },
};
