// Requests per second the simulator core serves with zero latency over real HTTPS, with the stub router and
// with the real resources on a generated tenant. Prints one JSON object per scenario.
import { Agent, fetch } from 'undici';
import { generateTenant } from '../src/simulator/generate.ts';
import type { CreateGraphRouter } from '../src/simulator/http-types.ts';
import { createGraphRouter } from '../src/simulator/resources/index.ts';
import { startSimulator } from '../src/simulator/server.ts';

const CONCURRENCY = 32;
const REQUESTS = 4000;

const stubRouter: CreateGraphRouter = () => () => ({ status: 200, body: { value: [] } });

async function scenario(
  name: string,
  router: CreateGraphRouter,
  pathFor: (i: number, users: string[]) => string,
) {
  const tenant = generateTenant({ users: 200, days: 1, seed: 1 });
  const app = tenant.apps[0]!;
  const sim = await startSimulator({
    tenants: [tenant],
    router,
    latency: 'zero',
    limits: { mailboxConcurrency: 1000 },
  });
  const agent = new Agent({ connect: { ca: sim.caCertPem }, connections: CONCURRENCY });
  const token = sim.mintAccessToken(tenant.tenantId, app.clientId);
  const users = tenant.users.filter((u) => u.mailbox === 'exchangeOnline').map((u) => u.id);
  let next = 0;
  const worker = async () => {
    while (next < REQUESTS) {
      const i = next++;
      const res = await fetch(`${sim.url}/v1.0${pathFor(i, users)}`, {
        headers: { authorization: `Bearer ${token}` },
        dispatcher: agent,
      });
      await res.arrayBuffer();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  const statuses = sim.stats.byStatus;
  await agent.close();
  await sim.close();
  console.log(
    JSON.stringify({
      scenario: name,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      seconds: +seconds.toFixed(2),
      requestsPerSecond: Math.round(REQUESTS / seconds),
      statuses,
    }),
  );
}

await scenario(
  'stub router, mailbox path',
  stubRouter,
  (i, users) => `/users/${users[i % users.length]}/messages`,
);
await scenario(
  'real resources, message search by internetMessageId',
  createGraphRouter,
  (i, users) =>
    `/users/${users[i % users.length]}/messages?$filter=internetMessageId%20eq%20%27%3Cnone%40example.com%3E%27&$select=id`,
);
await scenario('real resources, users page', createGraphRouter, () => '/users?$top=100');
