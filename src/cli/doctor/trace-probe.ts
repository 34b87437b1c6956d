// Step 4: one real message-trace request. It recognises the 401 that means Microsoft's message-trace service
// principal (app 8bd644d1-…) is missing from the tenant, the most common onboarding wall, and prints the fix.
import type { GraphClient } from '../../graph/client.ts';
import { GraphError } from '../../graph/errors.ts';
import { buildQuery } from '../../graph/odata.ts';
import { type CheckResult, fail, pass, warn } from './check.ts';
import type { DateSampler } from './clock-skew.ts';
import { consentFix, TRACE_ROLE } from './roles.ts';

export const MESSAGE_TRACE_APP_ID = '8bd644d1-64a1-4d4b-ae52-2e0cbf64e373';

export const SERVICE_PRINCIPAL_COMMANDS = [
  "Connect-MgGraph -Scopes 'Application.ReadWrite.All'",
  `New-MgServicePrincipal -AppId ${MESSAGE_TRACE_APP_ID}`,
];

const TITLE = 'message trace probe';
const BUDGET_NOTE = "it used 1 of the tenant's 100 message-trace requests per 5 minutes";
// The service refuses a range that ends after its own "now": keep clear of it even with a few minutes of skew.
const END_MARGIN_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;

function isoSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** The probe's URL: the last hour (ending a few minutes ago), one row. */
export function traceProbeUrl(nowMs: number): string {
  const endMs = nowMs - END_MARGIN_MS;
  const filter = `receivedDateTime ge ${isoSeconds(endMs - HOUR_MS)} and receivedDateTime le ${isoSeconds(endMs)}`;
  return `/admin/exchange/tracing/messageTraces${buildQuery({ $filter: filter, $top: 1 })}`;
}

export function isMissingServicePrincipal(error: unknown): boolean {
  return error instanceof GraphError && error.status === 401 && error.message.includes(MESSAGE_TRACE_APP_ID);
}

export async function probeMessageTrace(
  client: GraphClient,
  dates: DateSampler,
  signal: AbortSignal,
  now: () => number,
): Promise<CheckResult> {
  try {
    const response = await client.send<{ value?: unknown[] }>({
      method: 'GET',
      url: traceProbeUrl(now()),
      quota: { bucket: 'messageTrace', priority: 'high' },
      signal,
    });
    dates.observe(response.headers.get('date'), now());
    const rows = Array.isArray(response.body.value) ? response.body.value.length : 0;
    return pass(
      'messageTrace',
      TITLE,
      `GET messageTraces for the last hour ($top=1) answered 200 with ${rows} row(s); ${BUDGET_NOTE}`,
      { facts: { rows } },
    );
  } catch (error) {
    if (signal.aborted) throw error;
    if (error instanceof GraphError) dates.observe(error.date, now(), 'errorBody');
    return traceFailure(error);
  }
}

export function traceFailure(error: unknown): CheckResult {
  if (isMissingServicePrincipal(error))
    return fail(
      'messageTrace',
      TITLE,
      'permission',
      `Graph answered 401: the tenant has no service principal for Microsoft's message-trace app ` +
        `${MESSAGE_TRACE_APP_ID}, so every message-trace request is refused`,
      'as a tenant administrator, run these PowerShell commands (Microsoft Graph PowerShell SDK); after creation, ' +
        'propagation can take several hours, and until then the 401 persists',
      { commands: SERVICE_PRINCIPAL_COMMANDS, facts: { code: (error as GraphError).code, status: 401 } },
    );
  if (!(error instanceof GraphError))
    return warn(
      'messageTrace',
      TITLE,
      `the probe failed: ${error instanceof Error ? error.message : String(error)}`,
      'rerun `mailtrace doctor`',
    );
  const facts = { status: error.status, code: error.code, requestId: error.requestId ?? null };
  if (error.status === 403)
    return fail(
      'messageTrace',
      TITLE,
      'permission',
      `Graph answered 403 ${error.code}: the app may not read message traces`,
      consentFix([TRACE_ROLE]),
      { facts },
    );
  if (error.status === 401)
    return fail(
      'messageTrace',
      TITLE,
      'auth',
      `Graph answered 401 ${error.code}: ${error.message}`,
      'check that the token is for this cloud (cloud setting) and that the app is enabled',
      { facts },
    );
  if (error.status === 429)
    return warn(
      'messageTrace',
      TITLE,
      "the tenant's message-trace budget (100 requests per 5 minutes, shared by every app) is used up right now",
      'wait a few minutes; if it stays exhausted, another tool in the tenant is polling message trace heavily',
      { facts },
    );
  return warn('messageTrace', TITLE, `the probe failed: ${error.message}`, 'rerun `mailtrace doctor`', {
    facts,
  });
}
