// The Graph client: a Send built from small plugins, outermost first:
//   retry -> throttle wait -> auth -> quota -> concurrency -> mailbox limit -> throttle gate -> transport
// Retry is outermost so every attempt waits for (and pays) quota and permits again. The throttle gate holds every
// request of an endpoint class while one of them is under Retry-After: it waits once above the limiters (a held
// request holds no permit) and again right above the transport, where it also records the Retry-After, so that a
// request that queued for a permit meanwhile still waits. Auth sits above the limiters
// so that its one forced-refresh retry after a 401 also pays quota. Quota waits before permits are taken, so a
// request waiting for the tenant budget holds no concurrency or mailbox permit that others could use.
import { authPlugin } from './auth.ts';
import { systemClock } from './clock.ts';
import { type Cloud, resolveCloud } from './clouds.ts';
import { createHttpAgent, type HttpAgent } from './http-agent.ts';
import {
  concurrencyPlugin,
  createConcurrencyLimiter,
  createMailboxLimiter,
  type Limiter,
  mailboxLimitPlugin,
} from './limiter.ts';
import { silentLogger } from './logger.ts';
import { InMemoryQuotaLedger, quotaPlugin } from './quota.ts';
import { retryPlugin } from './retry.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';
import { ThrottleGate, throttleGatePlugin, throttleWaitPlugin } from './throttle-gate.ts';
import { type Credential, createTokenProvider, type GraphTokenProvider } from './tokens.ts';
import { createTransport, type GraphVersion } from './transport.ts';
import type { Clock, Logger, Plugin, QuotaLedger, Send } from './types.ts';

export interface GraphClientOptions {
  tenantId: string;
  clientId: string;
  credential: Credential;
  /** 'global' (default), 'usgov', 'dod' or 'china'. */
  cloud?: string;
  /** Overrides for the simulator or a reverse proxy; the token audience stays the cloud's Graph root. */
  authorityHost?: string;
  graphEndpoint?: string;
  caFile?: string;
  caPem?: string;
  version?: GraphVersion;
  logger?: Logger;
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
  /** Global cap on requests in flight (default 16). */
  maxConcurrency?: number;
  /** Requests in flight per mailbox (default 4, Outlook's limit). */
  perMailbox?: number;
  quotaLedger?: QuotaLedger;
  timeoutMs?: number;
  /** Proxy settings source (default process.env). */
  env?: Record<string, string | undefined>;
  random?: () => number;
  /** Token audience override (default: the cloud's Graph root). */
  tokenResource?: string;
}

export interface GraphClient {
  send: Send;
  tokens: GraphTokenProvider;
  /** Application permissions in the current token's `roles` claim. */
  grantedRoles(): Promise<readonly string[]>;
  cloud: Cloud;
  tenantId: string;
  /** Shared with $batch so that batch items and direct requests count against the same mailbox limit. */
  mailboxLimiter: Limiter;
  /** The client's time source and retry policy: $batch item retries must wait and give up the same way. */
  clock: Clock;
  retryPolicy: RetryPolicy;
  http: HttpAgent;
  /** Closes the HTTP connections (keep-alive sockets would otherwise hold the process open). */
  close(): Promise<void>;
}

export const DEFAULT_MAX_CONCURRENCY = 16;

export function createGraphClient(options: GraphClientOptions): GraphClient {
  const cloud = resolveCloud(options.cloud ?? 'global', {
    authorityHost: options.authorityHost,
    graphEndpoint: options.graphEndpoint,
  });
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const http = createHttpAgent({
    caFile: options.caFile,
    caPem: options.caPem,
    ...(options.env ? { env: options.env } : {}),
  });
  const tokens = createTokenProvider({
    tenantId: options.tenantId,
    clientId: options.clientId,
    credential: options.credential,
    authorityHost: cloud.authorityHost,
    resource: options.tokenResource ?? cloud.graphResource,
    http,
    clock,
    logger,
  });
  const mailboxLimiter = createMailboxLimiter(
    options.perMailbox === undefined ? {} : { perMailbox: options.perMailbox },
  );
  const transport = createTransport({
    graphEndpoint: cloud.graphEndpoint,
    http,
    clock,
    logger,
    ...(options.version ? { version: options.version } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const throttleGate = new ThrottleGate({ clock, logger, maxWaitMs: policy.maxRetryAfterMs });
  const plugins: Plugin[] = [
    retryPlugin({ policy, clock, logger, ...(options.random ? { random: options.random } : {}) }),
    throttleWaitPlugin(throttleGate),
    authPlugin(tokens),
    quotaPlugin({
      ledger: options.quotaLedger ?? new InMemoryQuotaLedger(),
      tenantId: options.tenantId,
      clock,
    }),
    concurrencyPlugin(createConcurrencyLimiter(options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY)),
    mailboxLimitPlugin(mailboxLimiter),
    throttleGatePlugin(throttleGate),
  ];
  const send = compose(plugins, transport);
  return {
    send,
    tokens,
    grantedRoles: async () => (await tokens.getToken()).roles,
    cloud,
    tenantId: options.tenantId,
    mailboxLimiter,
    clock,
    retryPolicy: policy,
    http,
    close: () => {
      throttleGate.close();
      return http.close();
    },
  };
}

/** Wraps `bottom` in `plugins`, the first being outermost. */
export function compose(plugins: readonly Plugin[], bottom: Send): Send {
  return plugins.reduceRight<Send>((next, plugin) => plugin(next), bottom);
}
