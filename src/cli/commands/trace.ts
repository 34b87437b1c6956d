// `mailtrace trace`: ad-hoc message-trace search, live from Graph (default) or from the local store (--local).
import { TRACE_STATUSES } from '../../trace/model.ts';
import { type Command, OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';
import { DEFAULT_STORE_PATH } from '../store-path.ts';
import { TENANT_OPTION_HELP, TENANT_OPTIONS } from '../tenant-flags.ts';

/** The search's defaults (applied in trace-run.ts), here because --help states them. */
export const DEFAULT_SINCE = '48h';
export const DEFAULT_LIMIT = 1000;

export const traceCommand: Command = {
  name: 'trace',
  summary: 'Search message traces by message id, sender, recipient, status, subject and time range',
  usage:
    'mailtrace trace [--message-id ID] [--sender A] [--recipient A] [--status S] [--subject TEXT] ' +
    '[--since AGE|DATE] [--until AGE|DATE] [--local] [--limit N] [-o table|json|csv|md|html]',
  examples: [
    "mailtrace trace --message-id '<d9683b4c@fabrikam.com>' --since 10d",
    'mailtrace trace --recipient adele@contoso.com --status failed -o csv',
    'mailtrace trace --local --subject invoice --limit 50 -o json',
  ],
  options: {
    ...TENANT_OPTIONS,
    ...OUTPUT_OPTIONS,
    'message-id': { type: 'string' },
    sender: { type: 'string' },
    recipient: { type: 'string' },
    status: { type: 'string' },
    subject: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    local: { type: 'boolean' },
    limit: { type: 'string' },
    store: { type: 'string' },
  },
  optionHelp: [
    ...TENANT_OPTION_HELP,
    '    --message-id ID   internet message id (angle brackets optional)',
    '    --sender ADDR     sender address (exact)',
    '    --recipient ADDR  recipient address (exact)',
    `    --status S        one of ${TRACE_STATUSES.join(', ')}`,
    '    --subject TEXT    subject contains TEXT',
    `    --since AGE|DATE  from (default ${DEFAULT_SINCE} ago; live at most 90 days)`,
    '    --until AGE|DATE  to (default now)',
    '    --local           search the local store (what `mailtrace collect` gathered) instead of Graph',
    `    --limit N         at most N rows (default ${DEFAULT_LIMIT})`,
    `    --store FILE      store for --local and the shared quota (default: config "store", else ${DEFAULT_STORE_PATH})`,
    ...OUTPUT_OPTION_HELP,
  ],
  async run(args, context) {
    const { runTrace } = await import('./trace-run.ts');
    return runTrace(args, context);
  },
};
