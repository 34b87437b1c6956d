// The national clouds: where to get a token and where Graph lives. Tokens of one cloud are not valid in another,
// and message trace exists in the global cloud only (graph-reference.md §1).

export type CloudName = 'global' | 'usgov' | 'dod' | 'china';

export interface CloudCapabilities {
  /** GET /admin/exchange/tracing/messageTraces. */
  messageTrace: boolean;
  /** Mailbox search (users, messages, mail folders). */
  mailSearch: boolean;
}

export interface Cloud {
  name: CloudName;
  description: string;
  /** Entra authority host, no trailing slash. */
  authorityHost: string;
  /** Graph root, no trailing slash; also the resource of the `.default` scope. */
  graphEndpoint: string;
  capabilities: CloudCapabilities;
  /**
   * The cloud's own Graph root, whatever graphEndpoint was overridden to: the token audience, so the scope is
   * `${graphResource}/.default` even when requests go through a proxy or the simulator.
   */
  graphResource: string;
  /** True when the hosts were overridden (simulator, reverse proxy): msal must not ask Microsoft about them. */
  customEndpoints: boolean;
}

const CLOUDS: Readonly<Record<CloudName, Omit<Cloud, 'customEndpoints' | 'graphResource'>>> = {
  global: {
    name: 'global',
    description: 'Microsoft global cloud (also GCC)',
    authorityHost: 'https://login.microsoftonline.com',
    graphEndpoint: 'https://graph.microsoft.com',
    capabilities: { messageTrace: true, mailSearch: true },
  },
  usgov: {
    name: 'usgov',
    description: 'US Government L4 (GCC High)',
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://graph.microsoft.us',
    capabilities: { messageTrace: false, mailSearch: true },
  },
  dod: {
    name: 'dod',
    description: 'US Government L5 (DoD)',
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://dod-graph.microsoft.us',
    capabilities: { messageTrace: false, mailSearch: true },
  },
  china: {
    name: 'china',
    description: 'Microsoft Azure operated by 21Vianet (China)',
    authorityHost: 'https://login.chinacloudapi.cn',
    graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn',
    capabilities: { messageTrace: false, mailSearch: true },
  },
};

export const CLOUD_NAMES: readonly CloudName[] = Object.keys(CLOUDS) as CloudName[];

// Accepted spellings people actually type; each maps to one canonical cloud.
const ALIASES: Readonly<Record<string, CloudName>> = {
  global: 'global',
  public: 'global',
  commercial: 'global',
  gcc: 'global',
  usgov: 'usgov',
  gcchigh: 'usgov',
  'gcc-high': 'usgov',
  dod: 'dod',
  usgovdod: 'dod',
  china: 'china',
  '21vianet': 'china',
};

export class UnknownCloudError extends Error {
  override readonly name = 'UnknownCloudError';
  readonly validNames: readonly CloudName[] = CLOUD_NAMES;
}

/** The cloud called `name` (case-insensitive; a few common aliases accepted), or an error listing the valid names. */
export function cloudFromName(name: string): Cloud {
  const canonical = ALIASES[name.trim().toLowerCase()];
  if (canonical === undefined) {
    const valid = CLOUD_NAMES.map((n) => `${n} (${CLOUDS[n].description})`).join(', ');
    throw new UnknownCloudError(`Unknown cloud "${name}". Valid clouds: ${valid}.`);
  }
  return {
    ...CLOUDS[canonical],
    capabilities: { ...CLOUDS[canonical].capabilities },
    graphResource: CLOUDS[canonical].graphEndpoint,
    customEndpoints: false,
  };
}

export interface CloudOverrides {
  /** E.g. the simulator's https://127.0.0.1:port, or a reverse proxy in front of Entra. */
  authorityHost?: string | undefined;
  /** E.g. the simulator's https://127.0.0.1:port. */
  graphEndpoint?: string | undefined;
}

/** The named cloud with its hosts replaced; capabilities stay those of the named cloud. */
export function resolveCloud(name: string, overrides: CloudOverrides = {}): Cloud {
  const cloud = cloudFromName(name);
  const authorityHost = overrides.authorityHost ? normalizeOrigin(overrides.authorityHost) : undefined;
  const graphEndpoint = overrides.graphEndpoint ? normalizeOrigin(overrides.graphEndpoint) : undefined;
  return {
    ...cloud,
    authorityHost: authorityHost ?? cloud.authorityHost,
    graphEndpoint: graphEndpoint ?? cloud.graphEndpoint,
    customEndpoints:
      (authorityHost !== undefined && authorityHost !== cloud.authorityHost) ||
      (graphEndpoint !== undefined && graphEndpoint !== cloud.graphEndpoint),
  };
}

/** Whether `authorityHost` is one of Microsoft's own login hosts (msal may run instance discovery against it). */
export function isMicrosoftAuthorityHost(authorityHost: string): boolean {
  const host = new URL(authorityHost).host.toLowerCase();
  return CLOUD_NAMES.some((n) => new URL(CLOUDS[n].authorityHost).host === host);
}

function normalizeOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not an absolute URL (expected e.g. https://127.0.0.1:8443).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`"${value}" must be an http(s) URL.`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
