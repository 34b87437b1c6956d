// The simulator's resource router at scale, called in process (no HTTP): index build time of createGraphRouter
// on a 50,000-user, 700,000-row tenant, then time per request of a mailbox search by internetMessageId and of
// message-trace pages (the first 1,000 rows, a nextLink page deep in the window, a page filtered by recipient).
// Usage: node bench/simulator-router.ts. Prints a table, merges "simulatorRouter" into bench/results.json and
// rewrites the "## Simulator router (in process)" section of docs/benchmarks.md. Figures only: nothing here
// fails on a slow machine; each figure is printed beside the bound it exists to catch.
import { directCall, type DirectCall } from '../src/simulator/direct-call.ts';
import type { GraphRouter } from '../src/simulator/http-types.ts';
import { createGraphRouter } from '../src/simulator/resources/index.ts';
import { writeDocSection } from './lib/doc-section.ts';
import { table } from './lib/format.ts';
import { CAMPAIGN_ID, largeTenant, NOW } from './lib/large-tenant.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { mergeResults } from './lib/results.ts';
import { median, round } from './lib/timing.ts';

const USERS = 50_000;
const ROWS = 700_000;
const ROUNDS = 5;
/** How many pages in the deep nextLink is: about half of the 700 pages the window holds. */
const DEEP_PAGE = 350;
const TRACES = '/admin/exchange/tracing/messageTraces';
const WINDOW = 'receivedDateTime ge 2026-02-20T12:00:00Z and receivedDateTime le 2026-03-01T12:00:00Z';
const HEADING = '## Simulator router (in process)';

interface Page {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
}

function get(router: GraphRouter, spec: Omit<DirectCall, 'now'>): Page {
  const response = directCall(router, { ...spec, now: NOW });
  if (response.status !== 200) throw new Error(`${spec.path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as Page;
}

/** The nextLink split back into path and raw query, as a client follows it. */
function nextCall(link: string): Omit<DirectCall, 'now'> {
  const url = new URL(link);
  return { path: url.pathname.replace(/^\/v1\.0/, ''), rawQuery: url.search.slice(1) };
}

/** Median over ROUNDS rounds of the mean time per call, in ms, after a warm-up; plus each round's figure. */
function timePerCall(run: (i: number) => void, count: number): { ms: number; rounds: number[] } {
  for (let i = 0; i < Math.min(count, 20); i++) run(i);
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    for (let i = 0; i < count; i++) run(r * count + i);
    rounds.push((performance.now() - started) / count);
  }
  return { ms: median(rounds), rounds };
}

const machine = machineFacts();
let started = performance.now();
const tenant = largeTenant(USERS, ROWS);
const tenantMs = performance.now() - started;
started = performance.now();
const router = createGraphRouter(tenant, { now: () => NOW });
const buildMs = performance.now() - started;

// Mailbox search: a different mailbox each time, every tenth one holding the campaign copy.
const SEARCHES = 2000;
const searchQuery = {
  $filter: `internetMessageId eq '${CAMPAIGN_ID}'`,
  $select: 'id,internetMessageId,parentFolderId,receivedDateTime',
};
let found = 0;
const search = timePerCall((i) => {
  found += get(router, { path: `/users/user${(i * 37) % USERS}@contoso.com/messages`, query: searchQuery }).value
    .length;
}, SEARCHES);
if (found === 0) throw new Error('mailbox search found no copy of the campaign');

// Trace pages: the first page of the 9-day window, its nextLink, a nextLink DEEP_PAGE pages in, by recipient.
const firstCall = { path: TRACES, query: { $filter: WINDOW } };
const first = get(router, firstCall);
if (first.value.length !== 1000 || !first['@odata.nextLink']) throw new Error('first trace page is not 1000 rows');
let deepLink = first['@odata.nextLink'];
for (let page = 2; page < DEEP_PAGE; page++) {
  const next = get(router, nextCall(deepLink))['@odata.nextLink'];
  if (!next) throw new Error(`no nextLink after page ${page}`);
  deepLink = next;
}
const firstPage = timePerCall(() => get(router, firstCall), 50);
const secondPage = timePerCall(() => get(router, nextCall(first['@odata.nextLink']!)), 50);
const deepPage = timePerCall(() => {
  if (get(router, nextCall(deepLink)).value.length !== 1000) throw new Error('deep page is not 1000 rows');
}, 50);
const byRecipient = timePerCall((i) => {
  const page = get(router, {
    path: TRACES,
    query: { $filter: `${WINDOW} and recipientAddress eq 'user${i % USERS}@contoso.com'` },
  });
  if (page.value.length === 0) throw new Error(`no rows for user${i % USERS}`);
}, 200);

interface Figure {
  name: string;
  value: number;
  unit: 'ms' | 'µs';
  boundMs: number;
  catches: string;
}
const figures: Figure[] = [
  {
    name: 'index build (createGraphRouter)',
    value: round(buildMs),
    unit: 'ms',
    boundMs: 30_000,
    catches: 'an index that is quadratic in the rows, or rebuilt per user',
  },
  {
    name: 'mailbox search by internetMessageId, per request',
    value: round(search.ms * 1000, 1),
    unit: 'µs',
    boundMs: 0.5,
    catches: 'a scan of all 100,000 copies per request (milliseconds, not microseconds)',
  },
  {
    name: 'trace page, first 1,000 rows',
    value: round(firstPage.ms, 2),
    unit: 'ms',
    boundMs: 25,
    catches: 'filtering or sorting all 700,000 rows per page',
  },
  {
    name: 'trace page, its nextLink (page 2)',
    value: round(secondPage.ms, 2),
    unit: 'ms',
    boundMs: 25,
    catches: 'a skiptoken resumed by scanning from the top',
  },
  {
    name: `trace page, nextLink ${DEEP_PAGE} pages deep`,
    value: round(deepPage.ms, 2),
    unit: 'ms',
    boundMs: 25,
    catches: 'a skiptoken resumed by scanning from the top (grows with depth)',
  },
  {
    name: 'trace page filtered by recipientAddress',
    value: round(byRecipient.ms, 3),
    unit: 'ms',
    boundMs: 5,
    catches: 'recipient eq answered by a scan instead of the by-recipient index',
  },
];
const within = (f: Figure) => (f.unit === 'µs' ? f.value / 1000 : f.value) < f.boundMs;
const bound = (f: Figure) => (f.boundMs < 1 ? `< ${f.boundMs * 1000} µs` : `< ${f.boundMs.toLocaleString('en-US')} ms`);
const rows = figures.map((f) => [f.name, `${f.value.toLocaleString('en-US')} ${f.unit}`, bound(f), within(f) ? 'yes' : 'NO', f.catches]);
const text = table(['figure', 'value', 'bound', 'within', 'the bound exists to catch'], rows);
console.log(describeMachine(machine));
console.log(
  `tenant: ${USERS.toLocaleString('en-US')} users, ${tenant.copies.length.toLocaleString('en-US')} copies, ` +
    `${ROWS.toLocaleString('en-US')} trace rows (built in ${round(tenantMs)} ms, not timed below)`,
);
console.log(text);
const exceeded = figures.filter((f) => !within(f));
if (exceeded.length > 0) {
  console.log(`\nOutside the bound: ${exceeded.map((f) => f.name).join('; ')}. On an idle machine this is a regression.`);
}

mergeResults('simulatorRouter', {
  machine,
  tenant: { users: USERS, copies: tenant.copies.length, traceRows: ROWS },
  indexBuildMs: round(buildMs),
  mailboxSearch: {
    requestsPerRound: SEARCHES,
    microsecondsPerRequest: round(search.ms * 1000, 1),
    rounds: search.rounds.map((ms) => round(ms * 1000, 1)),
  },
  tracePage: {
    firstMs: round(firstPage.ms, 2),
    secondMs: round(secondPage.ms, 2),
    deepMs: round(deepPage.ms, 2),
    deepPage: DEEP_PAGE,
    byRecipientMs: round(byRecipient.ms, 3),
  },
  bounds: Object.fromEntries(figures.map((f) => [f.name, { boundMs: f.boundMs, within: within(f) }])),
});

const section = [
  HEADING,
  '',
  `\`node bench/simulator-router.ts\` (about 7 s) on ${describeMachine(machine)}. The resource router is called`,
  `in process, without HTTP, on a hand-built tenant of ${USERS.toLocaleString('en-US')} users (two mailbox copies each) and`,
  `${ROWS.toLocaleString('en-US')} trace rows over a 9-day window. Times per request are the median of ${ROUNDS} rounds`,
  `(${SEARCHES.toLocaleString('en-US')} searches, 50 pages or 200 filtered pages per round) after a warm-up.`,
  '',
  '```',
  text,
  '```',
  '',
  'The bounds are not tests (nothing fails on a slow machine); they are loose enough for a busy runner and far',
  'below what an accidental full scan per request costs. A figure outside its bound on an idle machine is a',
  'regression in src/simulator/resources/indexes.ts or the handler that uses it.',
  '',
].join('\n');
writeDocSection(HEADING, section, { after: '## Simulator throughput' });
