// The directory half of a generated tenant: users (with their mailbox situations), distribution groups, custom
// mail folders and the app registrations.

import { isoSeconds, type Random } from './generate-random.ts';
import type { SimApp, SimFolder, SimGroup, SimUser } from './model.ts';
import {
  CITIES,
  EQUIPMENT_NAMES,
  EXTERNAL_DOMAINS,
  FIRST_NAMES,
  GROUP_NAMES,
  LAST_NAMES,
  SERVICE_ACCOUNT_NAMES,
  SHARED_MAILBOX_NAMES,
} from './names.ts';

/** Why a user exists in the generated directory; drives both the user object and how traffic treats it. */
export type UserCategory =
  | 'regular' // member with an Exchange Online user mailbox
  | 'disabled' // regular, but accountEnabled false (the mailbox still exists)
  | 'excluded' // regular, but an application access policy hides the mailbox
  | 'shared'
  | 'room'
  | 'equipment'
  | 'guest'
  | 'onPremises' // mail-enabled hybrid user whose mailbox is on-premises
  | 'mailOnly' // mail-enabled user without any Exchange Online mailbox
  | 'softDeleted'
  | 'unresolvable'
  | 'service'; // service account without a mail attribute

export interface Directory {
  users: SimUser[];
  /** Parallel to `users`. */
  categories: UserCategory[];
  groups: SimGroup[];
  customFolders: SimFolder[];
  /** Custom folder ids per mailbox user id. */
  foldersByUser: Map<string, string[]>;
}

const ENTRA_SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DAY_MS = 86_400_000;

/** Head counts per category: roughly the proportions of a real tenant, with at least one of each rare case. */
export function categoryCounts(users: number): Record<UserCategory, number> {
  const share = (fraction: number, min: number): number => Math.max(min, Math.round(users * fraction));
  const counts: Record<UserCategory, number> = {
    regular: 0,
    disabled: share(0.02, 1),
    excluded: share(0.01, 1),
    shared: share(0.03, 1),
    room: share(0.01, 1),
    equipment: share(0.01, 1),
    guest: share(0.04, 1),
    onPremises: share(0.01, 1),
    mailOnly: share(0.01, 1),
    softDeleted: share(0.01, 1),
    unresolvable: Math.min(5, 1 + Math.floor(users / 10_000)),
    service: share(0.02, 1),
  };
  let others = 0;
  for (const value of Object.values(counts)) others += value;
  counts.regular = users - others;
  return counts;
}

/** Entra-style client secret value: 40 characters with the "8Q~" marker after three characters. */
function secretValue(random: Random): string {
  return random.chars(3, ALNUM) + random.int(0, 9) + 'Q~' + random.chars(34, ENTRA_SECRET_CHARS);
}

export function generateApps(random: Random, anchorMs: number): SimApp[] {
  const inFuture = isoSeconds(anchorMs + 365 * DAY_MS);
  return [
    {
      clientId: random.guid(),
      displayName: 'mailtrace',
      roles: ['ExchangeMessageTrace.Read.All', 'Mail.ReadBasic.All', 'User.Read.All'],
      secrets: [
        { id: random.guid(), value: secretValue(random), expiresAt: inFuture },
        { id: random.guid(), value: secretValue(random), expiresAt: isoSeconds(anchorMs - 30 * DAY_MS) },
      ],
      certificates: [],
    },
    {
      clientId: random.guid(),
      displayName: 'mailtrace-no-trace',
      roles: ['Mail.ReadBasic.All', 'User.Read.All'],
      secrets: [{ id: random.guid(), value: secretValue(random), expiresAt: inFuture }],
      certificates: [],
    },
  ];
}

function asciiLower(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

function capitalize(text: string): string {
  return text
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}

/** Hands out unique local parts: "john.smith", then "john.smith2", … */
class LocalPartAllocator {
  private readonly used = new Map<string, number>();
  take(base: string): string {
    const seen = this.used.get(base);
    if (seen === undefined) {
      this.used.set(base, 1);
      return base;
    }
    let n = seen + 1;
    while (this.used.has(base + n)) n++;
    this.used.set(base, n);
    this.used.set(base + n, 1);
    return base + n;
  }
}

export function generateDirectory(random: Random, users: number, domains: readonly string[]): Directory {
  const defaultDomain = domains[0]!;
  const initialDomain = domains[domains.length - 1]!;
  const counts = categoryCounts(users);
  const categories: UserCategory[] = [];
  for (const [category, count] of Object.entries(counts) as [UserCategory, number][]) {
    for (let i = 0; i < count; i++) categories.push(category);
  }
  random.shuffle(categories);

  const locals = new LocalPartAllocator();
  const guestLocals = new LocalPartAllocator();
  const perName = new Map<string, number>();
  const numbered = (name: string): number => {
    const n = (perName.get(name) ?? 0) + 1;
    perName.set(name, n);
    return n;
  };

  const createUser = (category: UserCategory): SimUser => {
    const id = random.guid();
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const person = `${first} ${last}`;
    const personLocal = asciiLower(`${first}.${last}`);
    const member = (local: string, displayName: string): SimUser => {
      const address = `${local}@${defaultDomain}`;
      return {
        id,
        userPrincipalName: address,
        displayName,
        mail: address,
        userType: 'Member',
        accountEnabled: true,
        mailbox: 'exchangeOnline',
        mailboxKind: 'user',
        excludedByAccessPolicy: false,
      };
    };
    switch (category) {
      case 'regular':
        return member(locals.take(personLocal), person);
      case 'disabled':
        return { ...member(locals.take(personLocal), person), accountEnabled: false };
      case 'excluded':
        return { ...member(locals.take(personLocal), person), excludedByAccessPolicy: true };
      case 'unresolvable':
        return { ...member(locals.take(personLocal), person), unresolvable: true };
      case 'shared': {
        const base = random.pick(SHARED_MAILBOX_NAMES);
        const local = locals.take(perName.has(base) ? `${base}-${random.pick(CITIES)}` : base);
        numbered(base);
        // Entra shows shared and resource mailboxes as disabled accounts: nobody signs in to them.
        return { ...member(local, capitalize(local)), accountEnabled: false, mailboxKind: 'shared' };
      }
      case 'room': {
        const city = random.pick(CITIES);
        const local = locals.take(`room-${city}-${numbered(`room-${city}`)}`);
        return { ...member(local, capitalize(local)), accountEnabled: false, mailboxKind: 'room' };
      }
      case 'equipment': {
        const kind = random.pick(EQUIPMENT_NAMES);
        const city = random.pick(CITIES);
        const local = locals.take(`${kind}-${city}-${numbered(`${kind}-${city}`)}`);
        return { ...member(local, capitalize(local)), accountEnabled: false, mailboxKind: 'equipment' };
      }
      case 'guest': {
        const home = random.pick(EXTERNAL_DOMAINS.filter((d) => d.serviceSenders === undefined)).domain;
        const mail = `${guestLocals.take(personLocal)}@${home}`;
        return {
          id,
          userPrincipalName: `${mail.replace('@', '_')}#EXT#@${initialDomain}`,
          displayName: person,
          mail,
          userType: 'Guest',
          accountEnabled: true,
          mailbox: 'none',
          excludedByAccessPolicy: false,
        };
      }
      case 'onPremises':
      case 'mailOnly':
      case 'softDeleted': {
        const { mailboxKind: _kind, ...rest } = member(locals.take(personLocal), person);
        const mailbox =
          category === 'onPremises' ? 'onPremises' : category === 'mailOnly' ? 'none' : 'softDeleted';
        return { ...rest, mailbox };
      }
      case 'service': {
        const name = random.pick(SERVICE_ACCOUNT_NAMES);
        const local = locals.take(`svc-${name}`);
        return {
          id,
          userPrincipalName: `${local}@${initialDomain}`,
          displayName: `${capitalize(name)} service account`,
          mail: null,
          userType: 'Member',
          accountEnabled: true,
          mailbox: 'none',
          excludedByAccessPolicy: false,
        };
      }
    }
  };
  const list: SimUser[] = categories.map(createUser);
  addAliases(list, categories, locals, defaultDomain);

  const personalMailboxes: number[] = [];
  categories.forEach((category, index) => {
    if (category === 'regular' || category === 'disabled' || category === 'excluded')
      personalMailboxes.push(index);
  });

  const groups = generateGroups(random, list, personalMailboxes, users, defaultDomain);
  const { customFolders, foldersByUser } = generateCustomFolders(random, list, categories);
  return { users: list, categories, groups, customFolders, foldersByUser };
}

/**
 * Secondary SMTP addresses, chosen by position so that the random stream (and every seeded tenant) stays as it
 * was: every shared mailbox answers to a second address, and one regular user in 20 was renamed and keeps the old
 * one (`adele.vance` → `avance`), so lookups by alias (`proxyAddresses/any`) have something to find.
 */
function addAliases(
  users: SimUser[],
  categories: readonly UserCategory[],
  locals: LocalPartAllocator,
  domain: string,
): void {
  let regular = 0;
  users.forEach((user, index) => {
    const local = user.mail?.split('@')[0];
    if (local === undefined) return;
    if (categories[index] === 'shared') user.aliases = [`${locals.take(`${local}-team`)}@${domain}`];
    else if (categories[index] === 'regular' && regular++ % 20 === 7) {
      const [first, ...rest] = local.split('.');
      const renamed = rest.length > 0 ? `${first!.slice(0, 1)}${rest.join('')}` : `${local}-old`;
      user.aliases = [`${locals.take(renamed)}@${domain}`];
    }
  });
}

function generateGroups(
  random: Random,
  users: readonly SimUser[],
  personalMailboxes: readonly number[],
  userCount: number,
  domain: string,
): SimGroup[] {
  const groups: SimGroup[] = [];
  const cityGroups = Math.min(CITIES.length, 2 + Math.floor(userCount / 10_000));
  const teamGroups = Math.min(GROUP_NAMES.length, 4 + Math.floor(userCount / 5_000));
  const names = [
    ...random
      .shuffle([...CITIES])
      .slice(0, cityGroups)
      .map((city) => `all-staff-${city}`),
    ...random.shuffle([...GROUP_NAMES]).slice(0, teamGroups),
  ];
  // Small tenants get small groups, so that the campaign's group leaves people outside it.
  const maxMembers = Math.min(40, Math.floor(personalMailboxes.length / 2));
  for (const name of names) {
    const size = random.int(Math.min(5, maxMembers), maxMembers);
    const members = new Set<string>();
    while (members.size < size) members.add(users[random.pick(personalMailboxes)]!.id);
    groups.push({
      id: random.guid(),
      displayName: capitalize(name),
      mail: `${name}@${domain}`,
      memberIds: [...members],
    });
  }
  return groups;
}

const FOLDER_NAMES = ['Projects', 'Receipts', 'Newsletters', 'Clients', 'Archive 2025', 'Travel', 'Board'];

function folderId(random: Random): string {
  return `AAMkAG${random.base64url(33)}AAA=`;
}

function generateCustomFolders(
  random: Random,
  users: readonly SimUser[],
  categories: readonly UserCategory[],
): { customFolders: SimFolder[]; foldersByUser: Map<string, string[]> } {
  const customFolders: SimFolder[] = [];
  const foldersByUser = new Map<string, string[]>();
  const owners = categories.flatMap((category, index) => (category === 'regular' ? [index] : []));
  const ownerCount = Math.max(3, Math.round(owners.length * 0.02));
  for (const index of random.shuffle([...owners]).slice(0, ownerCount)) {
    const user = users[index]!;
    const ids: string[] = [];
    const names = random.shuffle([...FOLDER_NAMES]).slice(0, random.int(1, 3));
    for (const displayName of names) {
      const nested = ids.length > 0 && random.chance(0.3);
      const id = folderId(random);
      customFolders.push({
        mailboxUserId: user.id,
        id,
        displayName,
        parentFolder: nested ? ids[0]! : random.chance(0.6) ? 'inbox' : 'msgfolderroot',
      });
      ids.push(id);
    }
    foldersByUser.set(user.id, ids);
  }
  return { customFolders, foldersByUser };
}
