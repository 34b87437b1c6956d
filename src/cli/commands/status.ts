// `mailtrace status`: what the collector has gathered and how it is doing, per tenant, from the store alone
// (no Graph call, no credentials): rows, status changes, rows by status, lag, quota used, last run and errors.
import { type Command, OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';
import { DEFAULT_STORE_PATH } from '../store-path.ts';
import { TENANT_OPTION_HELP, TENANT_OPTIONS } from '../tenant-flags.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show what the collector gathered per tenant: rows, status changes, lag, quota used, last run',
  usage: 'mailtrace status [--store FILE] [--config FILE] [--tenant NAME|all] [-o table|json|csv|md|html]',
  examples: ['mailtrace status', 'mailtrace status --store /var/lib/mailtrace/mailtrace.sqlite -o json'],
  options: { ...TENANT_OPTIONS, ...OUTPUT_OPTIONS, store: { type: 'string' } },
  optionHelp: [
    ...TENANT_OPTION_HELP,
    `    --store FILE      the collector's store (default: config "store", else ${DEFAULT_STORE_PATH})`,
    ...OUTPUT_OPTION_HELP,
  ],
  async run(args, context) {
    const { runStatus } = await import('./status-run.ts');
    return runStatus(args, context);
  },
};
