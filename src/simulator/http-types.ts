// The seam between the simulator's HTTP core (server.ts: TLS, auth, limits, faults, latency, $batch) and the
// Graph resource handlers (resources/*.ts: users, messages, mail folders, message traces).
import type { SimApp, Tenant } from './model.ts';

/** Simulated time. Tests scale or step it; resources read `now()` to decide what is visible. */
export interface SimClock {
  now(): Date;
}

/** Seeded fault injection settings; all rates are probabilities in [0, 1]. */
export interface FaultConfig {
  seed: number;
  /** 429 with Retry-After (seconds). */
  throttle429: number;
  /** 429 without Retry-After. */
  throttle429NoRetryAfter: number;
  /** 503 with Retry-After. */
  unavailable503: number;
  /** 504 without Retry-After. */
  gatewayTimeout504: number;
  /** Destroy the socket without answering. */
  connectionReset: number;
  /** A message-trace page whose nextLink carries a broken skiptoken (following it answers 400). */
  brokenSkiptoken: number;
  /** Apply faults to $batch items individually as well as to whole requests. */
  perBatchItem: boolean;
  /** Paths matching this are never faulted (e.g. the token endpoint in a retry test). */
  exempt?: RegExp;
}

/** One Graph request as a resource handler sees it (the core has already authenticated and rate-limited it). */
export interface SimRequest {
  method: string;
  version: 'v1.0' | 'beta';
  /** Path after the version, still percent-encoded, e.g. "/users/adele%40contoso.com/messages". */
  path: string;
  /** Raw query string without '?', still encoded as sent (so '+' and %XX decoding is the handler's job). */
  rawQuery: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
  app: SimApp;
  roles: ReadonlySet<string>;
  now: Date;
  /** A stable id for the request, echoed in error bodies' innerError and the request-id header. */
  requestId: string;
  clientRequestId: string;
  /** Deterministic pseudo-random source for this request (seeded from the fault seed + request counter). */
  random: () => number;
  faults: FaultConfig;
  /** Absolute base URL of this version root, e.g. "https://127.0.0.1:8443/v1.0", for building nextLinks. */
  baseUrl: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON body; undefined for an empty body. */
  body?: unknown;
}

/** Resource handlers: return undefined when no route matches (the core answers 400 BadRequest/invalid URL). */
export type GraphRouter = (req: SimRequest) => SimResponse | undefined;

/** Builds the resource router for a tenant; may precompute indexes. `clock` is the same one the core uses. */
export type CreateGraphRouter = (tenant: Tenant, clock: SimClock) => GraphRouter;

/** Graph's error body: {"error":{"code","message","innerError":{date, request-id, client-request-id}}}. */
export function graphError(req: Pick<SimRequest, 'now' | 'requestId' | 'clientRequestId'>, status: number,
  code: string, message: string, headers?: Record<string, string>): SimResponse {
  return {
    status,
    ...(headers ? { headers } : {}),
    body: {
      error: {
        code,
        message,
        innerError: {
          date: req.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          'request-id': req.requestId,
          'client-request-id': req.clientRequestId,
        },
      },
    },
  };
}
