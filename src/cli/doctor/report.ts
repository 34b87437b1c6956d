// Turns tenant reports into the output layer's shape: one checklist table per tenant, fix commands as notes, and
// the reports themselves as the JSON document.
import type { ExitCode } from '../errors.ts';
import type { CommandOutput, Table } from '../output.ts';
import { type CheckResult, exitCodeFor, STATUS_MARK } from './check.ts';
import type { TenantReport } from './run.ts';

export interface DoctorData {
  ok: boolean;
  /** The exit code the command ends with (0 when nothing blocks). */
  exitCode: ExitCode;
  blockers: number;
  warnings: number;
  tenants: TenantReport[];
}

export function doctorData(reports: TenantReport[]): DoctorData {
  const all = reports.flatMap((r) => r.checks);
  const exitCode = exitCodeFor(all);
  return {
    ok: exitCode === 0,
    exitCode,
    blockers: all.filter((c) => c.status === 'fail').length,
    warnings: all.filter((c) => c.status === 'warn').length,
    tenants: reports,
  };
}

// Fixes go on their own line under the check: a fourth column would make every row as wide as the longest fix.
function checklist(report: TenantReport): Table {
  return {
    // A config that did not load has no tenant to name: the report is named after the config source.
    title:
      report.tenantId === '-' ? report.name : `tenant ${report.name} (${report.tenantId}, ${report.cloud})`,
    columns: [
      { key: 'mark', header: '' },
      { key: 'check', header: 'check' },
      { key: 'result', header: 'result' },
    ],
    rows: report.checks.flatMap((c) => [
      { mark: STATUS_MARK[c.status], check: c.title, result: c.detail },
      ...(c.fix ? [{ mark: '', check: '', result: `fix: ${c.fix}` }] : []),
    ]),
  };
}

function commandNotes(report: TenantReport): string[] {
  return report.checks
    .filter((c): c is CheckResult & { commands: string[] } => c.commands !== undefined)
    .map((c) => [`${report.name}: ${c.title}: run`, ...c.commands.map((line) => `  ${line}`)].join('\n'));
}

export function doctorOutput(reports: TenantReport[]): CommandOutput & { data: DoctorData } {
  const data = doctorData(reports);
  const verdict = data.ok
    ? `${STATUS_MARK.pass} ready${data.warnings > 0 ? ` (${data.warnings} warning(s) above)` : ''}`
    : `${STATUS_MARK.fail} ${data.blockers} blocker(s): fix the ${STATUS_MARK.fail} items, then rerun \`mailtrace doctor\``;
  return {
    title: 'mailtrace doctor',
    data,
    tables: reports.map(checklist),
    notes: [...reports.flatMap(commandNotes), verdict],
  };
}
