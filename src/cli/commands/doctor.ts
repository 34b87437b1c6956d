// `mailtrace doctor`: checks a tenant's setup end to end (config, cloud, token, permissions, message trace,
// mailbox search, clock, sinks) and prints a checklist with the fix for each problem. It renders its own output
// (through the one output layer) because it must print the checklist AND exit non-zero when something blocks.
import type { Command } from '../command.ts';
import { OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';
import { checkConfigError } from '../doctor/config-checks.ts';
import { doctorOutput } from '../doctor/report.ts';
import { diagnoseTenant, type TenantReport } from '../doctor/run.ts';
import { configuredSinkHealthchecks } from '../doctor/sinks.ts';
import { CliError, EXIT } from '../errors.ts';
import { emit, parseOutputFormat } from '../output.ts';
import { resolveTenants, TENANT_OPTION_HELP, TENANT_OPTIONS } from '../tenant-options.ts';

function configFailureReport(error: CliError, source: string | undefined): TenantReport {
  return {
    name: source ?? 'config',
    tenantId: '-',
    cloud: '-',
    ok: false,
    checks: [checkConfigError(error)],
  };
}

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
    const format = parseOutputFormat(args.values.output as string | undefined);
    const reports: TenantReport[] = [];
    try {
      const { config, tenants } = resolveTenants(args.values, context.env);
      // Built once: each sink is checked once however many tenants share it.
      const sinks = configuredSinkHealthchecks(config.sinks ?? [], { env: context.env });
      for (const tenant of tenants) {
        context.stderr.write(`doctor: checking tenant ${tenant.name}\n`);
        reports.push(await diagnoseTenant(tenant, { signal: context.signal, sinks }));
      }
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== EXIT.config) throw error;
      const source =
        typeof args.values.config === 'string' ? args.values.config : context.env.MAILTRACE_CONFIG;
      reports.push(configFailureReport(error, source));
    }
    const output = doctorOutput(reports);
    emit(output, format, args.values.out as string | undefined);
    const { exitCode, blockers } = output.data;
    if (exitCode !== EXIT.ok)
      throw new CliError(
        `doctor found ${blockers} blocker(s)`,
        exitCode,
        'fix the ✖ items of the checklist, then rerun `mailtrace doctor`',
      );
    return undefined;
  },
};
