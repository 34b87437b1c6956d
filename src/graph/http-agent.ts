// The one HTTP stack shared by Graph requests and msal's token requests, so that a CA bundle (TLS-inspecting
// proxy, the simulator's self-signed CA) and HTTPS_PROXY/NO_PROXY apply to both. Uses undici's own fetch: Node's
// built-in fetch bundles a different undici whose dispatchers are not interchangeable with ours.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';

export interface HttpAgentOptions {
  /** Path to a PEM bundle of extra trusted CAs. */
  caFile?: string | undefined;
  /** PEM text of extra trusted CAs. */
  caPem?: string | undefined;
  /** Proxy settings source; defaults to process.env (HTTPS_PROXY, https_proxy, HTTP_PROXY, NO_PROXY, ...). */
  env?: Record<string, string | undefined>;
}

export interface HttpAgent {
  dispatcher: Dispatcher;
  /** undici's fetch bound to this dispatcher. */
  fetch: (url: string, init: HttpInit) => Promise<HttpResponse>;
  /** Whether requests go through a proxy (for diagnostics; the proxy URL may hold credentials and is not exposed). */
  proxied: boolean;
  close(): Promise<void>;
}

export interface HttpInit {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** 'manual': a 3xx comes back as it is instead of being followed. */
  redirect?: 'follow' | 'manual';
}

/** The subset of a fetch Response the client uses (undici's and the global Response both satisfy it). */
export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null; forEach(cb: (value: string, key: string) => void): void };
  text(): Promise<string>;
  /** The (decompressed) body as a stream, for reading it with a size cap. */
  body?: ReadableStream<Uint8Array> | null;
}

export class CaBundleError extends Error {
  override readonly name = 'CaBundleError';
}

export function createHttpAgent(options: HttpAgentOptions = {}): HttpAgent {
  const ca = loadCa(options);
  const env = options.env ?? process.env;
  const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy ?? '';
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy ?? '';
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
  // Extra CAs are added to Node's bundled roots rather than replacing them, so Microsoft hosts stay trusted.
  const tls = ca === undefined ? undefined : { ca: [...rootCertificates, ...ca] };
  const proxied = httpsProxy !== '' || httpProxy !== '';
  const dispatcher: Dispatcher = proxied
    ? new EnvHttpProxyAgent({
        httpProxy,
        httpsProxy,
        noProxy,
        // connect: direct (NO_PROXY) connections; requestTls: the TLS to the origin inside the CONNECT tunnel.
        ...(tls ? { connect: tls, requestTls: tls } : {}),
      })
    : new Agent(tls ? { connect: tls } : {});
  return {
    dispatcher,
    proxied,
    fetch: (url, init) => undiciFetch(url, { ...init, dispatcher }) as Promise<HttpResponse>,
    close: () => dispatcher.close(),
  };
}

/** The configured CA certificates, split into PEM blocks; undefined when none is configured. */
export function loadCa(options: Pick<HttpAgentOptions, 'caFile' | 'caPem'>): string[] | undefined {
  let pem = '';
  if (options.caFile) {
    try {
      pem += readFileSync(options.caFile, 'utf8');
    } catch (cause) {
      throw new CaBundleError(`Cannot read the CA bundle ${options.caFile}: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  if (options.caPem) pem += `\n${options.caPem}`;
  if (pem.trim() === '') return undefined;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (!blocks) {
    throw new CaBundleError(
      `The CA bundle${options.caFile ? ` ${options.caFile}` : ''} holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks).`,
    );
  }
  return blocks;
}
