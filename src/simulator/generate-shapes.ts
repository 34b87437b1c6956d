// The small realistic details of generated mail: Message-ID shapes, sending IP ranges, sizes, trace timing,
// outside correspondents, subjects and the daily rhythm of traffic.

import { flatten, isoSeconds, type Random } from './generate-random.ts';
import type { SimRecipient, SimStatusStep, TraceStatus } from './model.ts';
import {
  EXTERNAL_DOMAINS,
  type ExternalDomain,
  FIRST_NAMES,
  type IdStyle,
  type IpRange,
  LAST_NAMES,
} from './names.ts';

const MINUTE_MS = 60_000;
/** Rows received this close to the anchor (or later) are still settling when the simulator starts. */
export const SETTLING_WINDOW_MS = 30 * MINUTE_MS;

const GMAIL_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_=-';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Exchange Online server name prefixes: the first four in Europe, the rest in North America. */
const EXO_SERVERS = ['AM0PR', 'DB9PR', 'PA4PR', 'VI1PR', 'BN8PR', 'CH2PR', 'SN6PR', 'MW4PR'];

/** A Message-ID header value, angle brackets included, in the shape the sending platform uses. */
export function messageIdFor(random: Random, style: IdStyle, domain: string): string {
  return flatten(rawMessageId(random, style, domain));
}

function rawMessageId(random: Random, style: IdStyle, domain: string): string {
  switch (style) {
    case 'gmail':
      // Gmail ids carry '+', '=' and '_': a client that does not percent-encode them matches nothing.
      return `<CA${random.chars(1, UPPER)}${random.chars(random.int(40, 56), GMAIL_ID_CHARS)}@mail.gmail.com>`;
    case 'exchangeOnline': {
      const index = random.int(0, EXO_SERVERS.length - 1);
      const server = `${EXO_SERVERS[index]}${String(random.int(1, 10)).padStart(2, '0')}MB${random.int(1000, 9999)}`;
      const region = index < 4 ? 'eurprd10' : 'namprd12';
      return `<${server}${random.hex(32, true)}@${server}.${region}.prod.outlook.com>`;
    }
    case 'amazonSes':
      return (
        `<0100018f${random.hex(8)}-${random.hex(8)}-${random.hex(4)}-${random.hex(4)}-${random.hex(4)}-` +
        `${random.hex(12)}-000000@email.amazonses.com>`
      );
    case 'guid':
      return `<${random.guid()}@${domain}>`;
  }
}

const GENERIC_FIRST_OCTETS = [
  62, 77, 80, 81, 85, 91, 92, 93, 94, 141, 145, 176, 185, 188, 193, 194, 195, 212, 213, 217,
];

/** A public-looking sending address for a platform (IPv4 mostly, IPv6 where the platform uses it). */
export function ipFor(random: Random, range: IpRange): string {
  return flatten(rawIp(random, range));
}

function rawIp(random: Random, range: IpRange): string {
  const v6 = random.chance(0.15);
  switch (range) {
    case 'google':
      return v6
        ? `2a00:1450:4864:20::${random.int(0x100, 0x7ff).toString(16)}`
        : `209.85.${random.int(128, 255)}.${random.int(1, 254)}`;
    case 'microsoft':
      return v6
        ? `2a01:111:f403:${random.hex(4)}::${random.int(0x100, 0x8ff).toString(16)}`
        : `${random.chance(0.5) ? '40.107' : '52.101'}.${random.int(0, 255)}.${random.int(1, 254)}`;
    case 'amazon':
      return `54.240.${random.int(0, 127)}.${random.int(1, 254)}`;
    case 'generic':
      return `${random.pick(GENERIC_FIRST_OCTETS)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`;
  }
}

/** Message size in bytes: log-normal around ~30 KB, from 2 KB up to Exchange's 25 MB limit. */
export function messageSize(random: Random): number {
  const size = Math.round(Math.exp(Math.log(30_000) + 1.4 * random.normal()));
  return Math.min(25 * 1024 * 1024, Math.max(2048, size));
}

/** Rows show up in message trace minutes after receipt, and sometimes hours. */
export function visibilityDelayMs(random: Random): number {
  return random.chance(0.02) ? random.int(60, 360) * MINUTE_MS : random.int(60, 600) * 1000;
}

/**
 * The status history of a row. Settled rows report their final status from the start; rows near or after the
 * anchor first say gettingStatus (and maybe pending). A `stuck` row never leaves pending.
 */
export function statusTimeline(
  random: Random,
  finalStatus: TraceStatus,
  stuck: boolean,
  receivedMs: number,
  received: string,
  anchorMs: number,
): SimStatusStep[] {
  if (receivedMs < anchorMs - SETTLING_WINDOW_MS) {
    return [{ status: stuck ? 'pending' : finalStatus, from: received }];
  }
  const steps: SimStatusStep[] = [{ status: 'gettingStatus', from: received }];
  if (stuck || random.chance(0.3)) {
    steps.push({ status: 'pending', from: isoSeconds(receivedMs + random.int(30, 180) * 1000) });
  }
  if (!stuck)
    steps.push({ status: finalStatus, from: isoSeconds(receivedMs + random.int(200, 1500) * 1000) });
  return steps;
}

export interface ExternalParty {
  recipient: SimRecipient;
  domain: ExternalDomain;
}

export function externalParties(random: Random, count: number): ExternalParty[] {
  const parties: ExternalParty[] = [];
  const seen = new Set<string>();
  while (parties.length < count) {
    const domain = random.pick(EXTERNAL_DOMAINS);
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const service = domain.serviceSenders ? random.pick(domain.serviceSenders) : undefined;
    const label = domain.domain.split('.')[0]!;
    const address = `${service ?? `${first}.${last}`.toLowerCase()}@${domain.domain}`;
    if (seen.has(address)) continue;
    seen.add(address);
    const name = service ? label.charAt(0).toUpperCase() + label.slice(1) : `${first} ${last}`;
    parties.push({ recipient: { name, address }, domain });
  }
  return parties;
}

/** Business hours carry most of the mail; nights and weekends a trickle. */
export function hourWeight(ms: number): number {
  const date = new Date(ms);
  const hour = date.getUTCHours();
  const day = date.getUTCDay();
  const base = hour >= 7 && hour <= 18 ? 1 : hour === 6 || (hour >= 19 && hour <= 21) ? 0.4 : 0.1;
  return day === 0 || day === 6 ? base * 0.3 : base;
}

export function fillSubject(template: string, random: Random): string {
  if (!template.includes('{')) return template;
  return flatten(
    template
      .replace('{n}', String(random.int(10_000, 99_999)))
      .replace('{q}', String(random.int(1, 4)))
      .replace('{y}', String(random.int(2025, 2026)))
      .replace('{f}', String(random.int(2, 9))),
  );
}

export function newGraphId(random: Random): string {
  return flatten(`AAMkAG${random.base64url(42)}=`);
}
