// Calling a resource router in process, without the HTTP core: builds the SimRequest the core would hand a
// handler after authentication (read roles granted, no faults), with the query encoded as a client sends it.
// Used by the resource tests and by bench/simulator-router.ts.
import { NO_FAULTS } from './faults.ts';
import type { FaultConfig, GraphRouter, SimRequest, SimResponse } from './http-types.ts';
import type { SimApp } from './model.ts';

export { NO_FAULTS };

/** The roles mailtrace needs: directory, mailbox search and message trace reads. */
export const READ_ROLES: readonly string[] = ['User.Read.All', 'Mail.ReadBasic.All', 'ExchangeMessageTrace.Read.All'];

export const DIRECT_ORIGIN = 'https://127.0.0.1:8443';

export interface DirectCall {
  path: string;
  /** Query options, encoded with encodeURIComponent as a careful client does. */
  query?: Record<string, string>;
  /** Or a raw query string exactly as sent. */
  rawQuery?: string;
  headers?: Record<string, string>;
  version?: 'v1.0' | 'beta';
  now: Date;
  method?: string;
  faults?: Partial<FaultConfig>;
  random?: () => number;
  /** Scheme, host and port that nextLinks are built on (default DIRECT_ORIGIN). */
  origin?: string;
  requestId?: string;
  clientRequestId?: string;
}

export function encodeQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
}

let counter = 0;

export function directRequest(call: DirectCall): SimRequest {
  const version = call.version ?? 'v1.0';
  counter++;
  const app: SimApp = { clientId: 'app', displayName: 'mailtrace', roles: [], secrets: [], certificates: [] };
  return {
    method: call.method ?? 'GET',
    version,
    path: call.path,
    rawQuery: call.rawQuery ?? encodeQuery(call.query ?? {}),
    headers: call.headers ?? {},
    body: undefined,
    app,
    roles: new Set(READ_ROLES),
    now: call.now,
    requestId: call.requestId ?? `req-${counter}`,
    clientRequestId: call.clientRequestId ?? `client-${counter}`,
    random: call.random ?? (() => 0.5),
    faults: { ...NO_FAULTS, ...call.faults },
    baseUrl: `${call.origin ?? DIRECT_ORIGIN}/${version}`,
  };
}

/** Calls the router directly; throws when no route matched (the core would answer 400 invalid URL). */
export function directCall(router: GraphRouter, call: DirectCall): SimResponse {
  const response = router(directRequest(call));
  if (!response) throw new Error(`no route for ${call.path}`);
  return response;
}
