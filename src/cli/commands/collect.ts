// `mailtrace collect`: continuous message-trace collection into the store and the sinks (a daemon by default;
// --once for one cycle, e.g. from cron). Ctrl-C aborts the context signal: the page being ingested is stored
// and acknowledged, the request in flight is abandoned, and its window is read again by the next run.
import { type Command, OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';
import { DEFAULT_STORE_PATH } from '../store-path.ts';
import { TENANT_OPTION_HELP, TENANT_OPTIONS } from '../tenant-flags.ts';

export const collectCommand: Command = {
  name: 'collect',
  summary: 'Collect message traces continuously into the local store and the configured sinks',
  usage:
    'mailtrace collect [--once] [--since 30d] [--config FILE] [--tenant NAME|all] [--store FILE] [--ndjson FILE|-]',
  examples: [
    'mailtrace collect --config mailtrace.json',
    'mailtrace collect --once --since 30d --ndjson traces.ndjson',
    'mailtrace collect --once --ndjson - | jq .email.message_id',
  ],
  options: {
    ...TENANT_OPTIONS,
    ...OUTPUT_OPTIONS,
    once: { type: 'boolean' },
    since: { type: 'string' },
    store: { type: 'string' },
    ndjson: { type: 'string' },
  },
  optionHelp: [
    ...TENANT_OPTION_HELP,
    '    --once            run one cycle and exit (default: run until Ctrl-C)',
    '    --since AGE|DATE  backfill from there on the first run (e.g. 30d; at most 90d: Graph keeps 90 days)',
    `    --store FILE      SQLite store (default: config "store", else ${DEFAULT_STORE_PATH})`,
    '    --ndjson FILE|-   also write ECS documents as NDJSON to FILE, or stdout with -',
    ...OUTPUT_OPTION_HELP,
  ],
  async run(args, context) {
    const { runCollect } = await import('./collect-run.ts');
    return runCollect(args, context);
  },
};
