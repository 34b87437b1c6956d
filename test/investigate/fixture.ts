// A generated tenant served by the real simulator over HTTPS, and a real Graph client for it: the investigation
// tests run the product code end to end against it. Expected answers come from the tenant data (the oracle).
import { createGraphClient, type GraphClient } from '../../src/graph/client.ts';
import type { MailboxRef } from '../../src/investigate/model.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import { type SimUser, type Tenant, WELL_KNOWN_FOLDERS } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';

export interface Fixture {
  sim: Simulator;
  tenants: Tenant[];
  clients: GraphClient[];
  close(): Promise<void>;
}

export interface FixtureTenant {
  users: number;
  seed: number;
  tenantName?: string;
  /** Edits the generated tenant before the simulator indexes it. */
  edit?: (tenant: Tenant) => void;
}

export async function startFixture(...options: FixtureTenant[]): Promise<Fixture> {
  const tenants = options.map(({ edit, ...o }) => {
    const tenant = generateTenant({ days: 1, messagesPerUserPerDay: 1, ...o });
    edit?.(tenant);
    return tenant;
  });
  const sim = await startSimulator({ tenants, router: createGraphRouter, latency: 'zero' });
  const clients = tenants.map((tenant) => {
    const app = tenant.apps.find((a) => a.roles.includes('Mail.ReadBasic.All'))!;
    return createGraphClient({
      tenantId: tenant.tenantId,
      clientId: app.clientId,
      credential: { clientSecret: app.secrets[0]!.value },
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      caPem: sim.caCertPem,
      env: {},
    });
  });
  return {
    sim,
    tenants,
    clients,
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
      await sim.close();
    },
  };
}

export function refOf(user: SimUser): MailboxRef {
  return {
    id: user.id,
    address: user.mail ?? user.userPrincipalName,
    displayName: user.displayName,
    kind: user.userType === 'Guest' ? 'guest' : 'member',
  };
}

/** The folder's display name as the tenant defines it (well-known or custom). */
export function folderDisplayName(tenant: Tenant, folder: string): string {
  const known = WELL_KNOWN_FOLDERS[folder];
  if (known) return known.displayName;
  const custom = tenant.customFolders.find((f) => f.id === folder);
  if (!custom) throw new Error(`tenant has no folder ${folder}`);
  return custom.displayName;
}

/** What searching this user's mailbox must say, from the tenant data: the reason it cannot be searched, if any. */
export function expectedBlock(user: SimUser): string | undefined {
  if (user.userType === 'Guest') return 'noMailbox';
  if (user.unresolvable) return 'mailboxNotFound';
  if (user.mailbox !== 'exchangeOnline') return 'noMailbox';
  if (user.excludedByAccessPolicy) return 'accessDenied';
  return undefined;
}
