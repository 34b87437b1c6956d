// A hostile Graph on 127.0.0.1: an HTTPS proxy in front of the simulator that forwards every request unchanged
// except those a test's rule answers itself, with the malformed or malicious shapes of issue #21 (a 200 without
// its collection, an error body sent with 200, redirects, a decompression bomb, a nextLink to itself, hostile
// text in a row). Sign-in still goes to the simulator's Entra, so the client under test is the real one, with
// real tokens, end to end.
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Simulator } from '../../src/simulator/server.ts';
import { testTls } from '../sinks/servers/tls.ts';

export interface HostileAnswer {
  status?: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** Decides, per request, whether to answer it with a hostile shape (undefined: forward to the simulator). */
export type HostileRule = (request: { method: string; path: string; body: string }) => HostileAnswer | undefined;

export interface HostileGraph {
  url: string;
  /** A PEM bundle trusting both the proxy's and the simulator's CA: the tenant config's `caFile`. */
  caFile: string;
  rule: HostileRule;
  /** Requests the rule answered. */
  hostileAnswers: number;
  close(): Promise<void>;
}

export async function startHostileGraph(sim: Simulator, dir: string): Promise<HostileGraph> {
  const tls = testTls();
  const caFile = join(dir, 'hostile-ca-bundle.pem');
  writeFileSync(caFile, `${sim.caCertPem.trim()}\n${readFileSync(tls.caFile, 'utf8')}`);
  const upstream = new URL(sim.url);
  const hostile: HostileGraph = {
    url: '',
    caFile,
    rule: () => undefined,
    hostileAnswers: 0,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server: Server = createServer(tls.server, (req, res) => {
    void readBody(req).then((body) => {
      const answer = hostile.rule({ method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8') });
      if (answer) {
        hostile.hostileAnswers++;
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body);
        return;
      }
      const forward = httpsRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
          ca: sim.caCertPem,
        },
        (answerFromSim) => {
          res.writeHead(answerFromSim.statusCode ?? 502, answerFromSim.headers);
          answerFromSim.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  hostile.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hostile;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
