// What `mailtrace doctor` does once it runs (doctor.ts holds its help). It renders its own output (through the
// one output layer) because it must print the checklist AND exit non-zero when something blocks.
import type { CommandContext, ParsedArgs } from '../command.ts';
import { checkConfigError } from '../doctor/config-checks.ts';
import { doctorOutput } from '../doctor/report.ts';
import { diagnoseTenant, type TenantReport } from '../doctor/run.ts';
import { configuredSinkHealthchecks } from '../doctor/sinks.ts';
import { CliError, EXIT } from '../errors.ts';
import { emit, parseOutputFormat } from '../output.ts';
import { resolveTenants } from '../tenant-options.ts';

function configFailureReport(error: CliError, source: string | undefined): TenantReport {
  return {
    name: source ?? 'config',
    tenantId: '-',
    cloud: '-',
    ok: false,
    checks: [checkConfigError(error)],
  };
}

export async function runDoctor(args: ParsedArgs, context: CommandContext): Promise<undefined> {
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
}
