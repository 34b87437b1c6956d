// Deterministic tenant generator: the same options (seed and anchor included) always give the same tenant.
import { CampaignDoesNotFitError, generateCampaign, MIN_CAMPAIGN_RECIPIENTS } from './generate-campaign.ts';
import { generateApps, generateDirectory } from './generate-directory.ts';
import { isoSeconds, Random } from './generate-random.ts';
import { generateTraffic } from './generate-traffic.ts';
import { TENANT_SCHEMA_VERSION, type Tenant } from './model.ts';

export interface GenerateOptions {
  /** User objects in the directory (>= 30 so that the campaign fits). */
  users: number;
  /** Days of traffic before the anchor (1..90). */
  days: number;
  seed: number;
  /** Default: now, rounded down to the minute. */
  anchor?: string | Date;
  /** Trace rows per mailbox per day; default 2. */
  messagesPerUserPerDay?: number;
  /** Traffic also generated for this many hours after the anchor (it appears as the sim clock runs); default 2. */
  futureHours?: number;
  /** Addresses the campaign is sent to (one of them a distribution group); default 25. */
  campaignRecipients?: number;
  /** Default 'contoso'. */
  tenantName?: string;
}

export class GenerateOptionsError extends Error {
  override name = 'GenerateOptionsError';
}

const MIN_USERS = 30;
const MAX_USERS = 500_000;
const DAY_MS = 86_400_000;

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new GenerateOptionsError(`${name} must be an integer from ${min} to ${max} (got ${value})`);
  }
}

function anchorMs(anchor: string | Date | undefined): number {
  if (anchor === undefined) return Math.floor(Date.now() / 60_000) * 60_000;
  const ms = anchor instanceof Date ? anchor.getTime() : Date.parse(anchor);
  if (Number.isNaN(ms)) {
    throw new GenerateOptionsError(
      `anchor must be an RFC 3339 instant such as 2026-01-15T09:00:00Z (got ${String(anchor)})`,
    );
  }
  return Math.floor(ms / 1000) * 1000;
}

function campaignOrOptionsError<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof CampaignDoesNotFitError) {
      throw new GenerateOptionsError(`campaignRecipients does not fit this tenant: ${error.message}`);
    }
    throw error;
  }
}

export function generateTenant(options: GenerateOptions): Tenant {
  const tenantName = options.tenantName ?? 'contoso';
  const rate = options.messagesPerUserPerDay ?? 2;
  const futureHours = options.futureHours ?? 2;
  const campaignRecipients = options.campaignRecipients ?? 25;
  requireInteger('users', options.users, MIN_USERS, MAX_USERS);
  requireInteger('days', options.days, 1, 90);
  requireInteger('seed', options.seed, 0, 0xffffffff);
  requireInteger('futureHours', futureHours, 0, 48);
  requireInteger('campaignRecipients', campaignRecipients, MIN_CAMPAIGN_RECIPIENTS, options.users);
  if (!Number.isFinite(rate) || rate < 0 || rate > 200) {
    throw new GenerateOptionsError(`messagesPerUserPerDay must be a number from 0 to 200 (got ${rate})`);
  }
  if (!/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(tenantName)) {
    throw new GenerateOptionsError(
      `tenantName must be lower-case letters, digits and inner hyphens, at most 40 characters (got ${tenantName})`,
    );
  }
  const anchor = anchorMs(options.anchor);

  // Each part draws from its own stream, so changing the traffic never reshuffles the directory.
  const root = new Random(options.seed);
  const directoryRandom = root.fork(1);
  const appsRandom = root.fork(2);
  const campaignRandom = root.fork(3);
  const trafficRandom = root.fork(4);
  const tenantId = root.guid();

  const domains = [`${tenantName}.com`, `${tenantName}.onmicrosoft.com`];
  const directory = generateDirectory(directoryRandom, options.users, domains);
  const campaign = campaignOrOptionsError(() =>
    generateCampaign(campaignRandom, directory, {
      anchorMs: anchor,
      tenantName,
      recipients: campaignRecipients,
    }),
  );
  const traffic = generateTraffic(trafficRandom, directory, {
    startMs: anchor - options.days * DAY_MS,
    endMs: anchor + futureHours * 3_600_000,
    anchorMs: anchor,
    rowsPerMailboxPerDay: rate,
    domain: domains[0]!,
  });

  // Splice the campaign into the time-ordered rows (the traffic window may not even reach back to it).
  const at = campaign.campaign.receivedDateTime;
  const traces = traffic.traces;
  let lo = 0;
  let hi = traces.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (traces[mid]!.receivedDateTime <= at) lo = mid + 1;
    else hi = mid;
  }
  traces.splice(lo, 0, ...campaign.traces);
  for (const copy of campaign.copies) traffic.copies.push(copy);

  return {
    schemaVersion: TENANT_SCHEMA_VERSION,
    seed: options.seed,
    tenantId,
    displayName: tenantName.charAt(0).toUpperCase() + tenantName.slice(1),
    domains,
    anchor: isoSeconds(anchor),
    messageTraceServicePrincipal: true,
    apps: generateApps(appsRandom, anchor),
    users: directory.users,
    groups: directory.groups,
    traces,
    copies: traffic.copies,
    customFolders: directory.customFolders,
    campaign: campaign.campaign,
  };
}
