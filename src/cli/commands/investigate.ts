// `mailtrace investigate`: every copy of an internet message id across the tenant(s), trace first, with honest
// coverage.
import { type Command, OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';
import { DEFAULT_STORE_PATH } from '../store-path.ts';
import { TENANT_OPTION_HELP, TENANT_OPTIONS } from '../tenant-flags.ts';

export const investigateCommand: Command = {
  name: 'investigate',
  summary:
    'Find every copy of an internet message id across the mailboxes of a tenant (trace first, or a sweep)',
  usage:
    'mailtrace investigate <message-id...> [--file F] [-] [--since T] [--until T] [--mailbox ADDR ...] ' +
    '[--tenant NAME|all] [--scope auto|trace|sweep] [--sweep] [-o FORMAT] [--out FILE] [--html-report FILE] ' +
    '[--store FILE] [--resume RUN] [--to-sinks]',
  examples: [
    "mailtrace investigate '<PH0PR12MB1234+abc=@contoso-helpdesk.com>'",
    'mailtrace investigate --file ids.txt --scope sweep --progress --html-report report.html',
    'pbpaste | mailtrace investigate - --tenant all --output json > result.json',
    'mailtrace investigate --resume 2f0c…  # finish a run stopped with Ctrl-C',
    "mailtrace investigate '<CAF1a2b3@mail.example.com>' --to-sinks  # ECS events to the config's sinks",
  ],
  options: {
    ...OUTPUT_OPTIONS,
    ...TENANT_OPTIONS,
    file: { type: 'string', short: 'f' },
    since: { type: 'string' },
    until: { type: 'string' },
    mailbox: { type: 'string', short: 'm', multiple: true },
    scope: { type: 'string' },
    sweep: { type: 'boolean' },
    'html-report': { type: 'string' },
    store: { type: 'string' },
    resume: { type: 'string' },
    progress: { type: 'boolean' },
    concurrency: { type: 'string' },
    'to-sinks': { type: 'boolean' },
  },
  optionHelp: [
    "-f, --file FILE       read message ids from FILE (one per line; '# ' starts a comment); `-` reads stdin",
    '    --since T         only mail received at or after T (an age such as 30d, or RFC 3339 such as',
    '                      2026-01-20T00:00:00Z)',
    '    --until T         only mail received at or before T',
    '-m, --mailbox ADDR    search only this mailbox (repeatable)',
    '    --scope S         auto (default: trace first, sweep when trace is unavailable or finds nothing), trace, sweep',
    '    --sweep           add a full sweep of every mailbox to the trace',
    '    --html-report F   also write a self-contained HTML report to F',
    `    --store FILE      record the run in this SQLite store (default: config "store", else ${DEFAULT_STORE_PATH})`,
    '    --resume RUN      search again only the mailboxes run RUN did not finish',
    '    --progress        show sweep progress on stderr even when it is not a terminal',
    '    --concurrency N   $batch requests in flight (default 16, at most 32)',
    "    --to-sinks        also send one ECS event per mailbox outcome and copy to the config's NDJSON and",
    '                      Elasticsearch sinks (Sekoia and Splunk HEC take message traces only: skipped)',
    ...TENANT_OPTION_HELP,
    ...OUTPUT_OPTION_HELP,
  ],
  allowPositionals: true,
  async run(args, context) {
    const { runInvestigate } = await import('./investigate-run.ts');
    return runInvestigate(args, context);
  },
};
