// Runs the checklist for one tenant, in the order a setup is built: config, cloud, token, grants, then the two
// probes and the clock. A step that cannot run because an earlier one failed is skipped with the reason, so
// the first failure is the one to fix.

import type { GraphClient } from '../../graph/client.ts';
import { systemClock } from '../../graph/clock.ts';
import type { Clock } from '../../graph/types.ts';
import type { TenantConfig } from '../config.ts';
import { clientForTenant } from '../tenant-client.ts';
import { type CheckResult, skip } from './check.ts';
import { checkClockSkew, DateSampler } from './clock-skew.ts';
import { checkCloud, checkTenantConfig, cloudOf } from './config-checks.ts';
import { probeMailbox } from './mailbox-probe.ts';
import {
  checkCollectRoles,
  checkInvestigateRoles,
  mailAccessFromExchangeRbac,
  TRACE_ROLE,
  USER_ROLE,
} from './roles.ts';
import { checkSinks, type SinkHealthcheck } from './sinks.ts';
import { checkToken } from './token-check.ts';
import { probeMessageTrace } from './trace-probe.ts';

export interface TenantReport {
  name: string;
  tenantId: string;
  cloud: string;
  /** No check failed (warnings allowed). */
  ok: boolean;
  checks: CheckResult[];
}

export interface DoctorOptions {
  signal: AbortSignal;
  clock?: Clock;
  sinks?: readonly SinkHealthcheck[];
  /** Builds the client (tests may wrap it); default clientForTenant with a short retry policy. */
  createClient?: (tenant: TenantConfig) => GraphClient;
}

// A doctor answers in seconds: one retry for a blip, never minutes behind a Retry-After.
const DOCTOR_RETRY = { maxAttempts: 2, maxRetryAfterMs: 10_000, maxBackoffMs: 2_000 };
const DOCTOR_TIMEOUT_MS = 20_000;

const USER_ROLES = [USER_ROLE, 'Directory.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'];

export async function diagnoseTenant(tenant: TenantConfig, options: DoctorOptions): Promise<TenantReport> {
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const checks: CheckResult[] = [checkTenantConfig(tenant)];
  const report = (): TenantReport => ({
    name: tenant.name,
    tenantId: tenant.tenantId,
    cloud: tenant.cloud,
    ok: !checks.some((c) => c.status === 'fail'),
    checks,
  });

  const cloud = cloudOf(tenant);
  checks.push(checkCloud(cloud));
  const client =
    options.createClient?.(tenant) ??
    clientForTenant(tenant, { clock, retry: DOCTOR_RETRY, timeoutMs: DOCTOR_TIMEOUT_MS });
  try {
    const token = await checkToken(client, options.signal, now());
    checks.push(token.result);
    const dates = new DateSampler();
    const roles = token.roles;
    // What the cloud cannot do is known without a token: say "unsupported" rather than "no token".
    const traceUnsupported = `message trace is unsupported in the ${cloud.name} cloud`;
    if (roles === undefined) {
      const reason = 'skipped: no token';
      checks.push(
        cloud.capabilities.messageTrace
          ? skip('roles.collect', 'permissions for collect/trace', reason)
          : checkCollectRoles([], cloud.capabilities),
        skip('roles.investigate', 'permissions for investigate', reason),
        skip(
          'messageTrace',
          'message trace probe',
          cloud.capabilities.messageTrace ? reason : traceUnsupported,
        ),
        skip('mailbox', 'mailbox search probe', reason),
      );
    } else {
      const investigate = checkInvestigateRoles(roles);
      checks.push(checkCollectRoles(roles, cloud.capabilities), investigate);
      if (!cloud.capabilities.messageTrace)
        checks.push(skip('messageTrace', 'message trace probe', traceUnsupported));
      else if (!roles.includes(TRACE_ROLE))
        checks.push(skip('messageTrace', 'message trace probe', `skipped: ${TRACE_ROLE} is not granted`));
      else checks.push(await probeMessageTrace(client, dates, options.signal, now));
      // Probe even without a mail role in the token: Exchange RBAC for Applications grants it out of band.
      if (roles.some((r) => USER_ROLES.includes(r))) {
        const probe = await probeMailbox(client, dates, options.signal, now);
        checks.push(probe);
        const revised = mailAccessFromExchangeRbac(investigate, probe, roles);
        checks[checks.indexOf(investigate)] = revised;
      } else checks.push(skip('mailbox', 'mailbox search probe', `skipped: ${USER_ROLE} is not granted`));
    }
    checks.push(checkClockSkew(dates.sample));
    checks.push(...(await checkSinks(options.sinks ?? [], options.signal)));
    return report();
  } finally {
    await client.close();
  }
}
