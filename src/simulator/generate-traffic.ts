// Background mail traffic: message-trace rows (one per message and recipient) and the mailbox copies they left.
// Written for volume: a 50,000-user week is ~600,000 rows, so strings are shared per message and the hot loop
// allocates only the objects it emits.
import type { Directory, UserCategory } from './generate-directory.ts';
import { isoSeconds, type Random } from './generate-random.ts';
import {
  externalParties,
  fillSubject,
  hourWeight,
  ipFor,
  messageIdFor,
  messageSize,
  newGraphId,
  statusTimeline,
  visibilityDelayMs,
} from './generate-shapes.ts';
import type { SimMailboxCopy, SimRecipient, SimTraceRow, SimUser, TraceStatus } from './model.ts';
import { INBOUND_SUBJECTS, INTERNAL_SUBJECTS, OUTBOUND_SUBJECTS } from './names.ts';

const HOUR_MS = 3_600_000;

export interface TrafficOptions {
  startMs: number;
  endMs: number;
  anchorMs: number;
  /** Trace rows per mailbox per day, on average over the window. */
  rowsPerMailboxPerDay: number;
  domain: string;
}

export interface Traffic {
  traces: SimTraceRow[];
  copies: SimMailboxCopy[];
}

/** Mail-side view of one directory user, computed once. */
interface Mailbox {
  user: SimUser;
  recipient: SimRecipient;
  /** Whether delivered mail leaves a searchable copy (an Exchange Online mailbox that resolves). */
  holdsCopies: boolean;
  folders: readonly string[] | undefined;
}

/** One message as sent, before it fans out into per-recipient rows. */
interface Message {
  traceId: string;
  messageId: string;
  sender: SimRecipient;
  subject: string;
  size: number;
  fromIP: string;
  receivedMs: number;
  received: string;
  visibleFrom: string;
  toRecipients: SimRecipient[];
  hasAttachments: boolean;
}

const INTERNAL_RECIPIENT_CATEGORIES = new Set<UserCategory>([
  'regular',
  'disabled',
  'excluded',
  'shared',
  'room',
  'equipment',
  'onPremises',
  'unresolvable',
]);

export function generateTraffic(random: Random, directory: Directory, options: TrafficOptions): Traffic {
  const mailboxes: Mailbox[] = directory.users.map((user) => ({
    user,
    recipient: { name: user.displayName, address: user.mail ?? user.userPrincipalName },
    holdsCopies: user.mailbox === 'exchangeOnline' && user.unresolvable !== true,
    folders: directory.foldersByUser.get(user.id),
  }));
  const recipients: Mailbox[] = [];
  const senders: Mailbox[] = [];
  directory.categories.forEach((category, index) => {
    const mailbox = mailboxes[index]!;
    if (INTERNAL_RECIPIENT_CATEGORIES.has(category)) recipients.push(mailbox);
    if (category === 'regular' || category === 'excluded') senders.push(mailbox);
  });
  const sharedSenders = mailboxes.filter((m) => m.user.mailboxKind === 'shared');
  const byId = new Map(mailboxes.map((m) => [m.user.id, m]));
  const groups = directory.groups.map((group) => ({
    recipient: { name: group.displayName, address: group.mail },
    members: group.memberIds.map((id) => byId.get(id)!),
  }));
  const externals = externalParties(random, 200 + Math.floor(directory.users.length / 50));
  const egress = [ipFor(random, 'generic'), ipFor(random, 'generic'), ipFor(random, 'generic')];

  const traces: SimTraceRow[] = [];
  const copies: SimMailboxCopy[] = [];
  const { anchorMs, domain } = options;

  const pushRow = (
    message: Message,
    recipientAddress: string,
    toIP: string,
    direction: SimTraceRow['direction'],
    status: TraceStatus,
    stuck: boolean,
    bucket: SimTraceRow[],
  ): void => {
    bucket.push({
      id: message.traceId,
      messageId: message.messageId,
      senderAddress: message.sender.address,
      recipientAddress,
      receivedDateTime: message.received,
      subject: message.subject,
      size: message.size,
      fromIP: message.fromIP,
      toIP,
      visibleFrom: message.visibleFrom,
      statusTimeline: statusTimeline(random, status, stuck, message.receivedMs, message.received, anchorMs),
      direction,
    });
  };

  const deliver = (message: Message, mailbox: Mailbox, status: TraceStatus): void => {
    if (!mailbox.holdsCopies || (status !== 'delivered' && status !== 'filteredAsSpam')) return;
    let folder = 'inbox';
    let isRead = random.chance(0.6);
    const r = random.next();
    if (status === 'filteredAsSpam') {
      folder = r < 0.9 ? 'junkemail' : 'deleteditems';
      isRead = random.chance(0.1);
    } else if (r < 0.02) {
      return; // deleted and purged since: trace says delivered, the mailbox has nothing
    } else if (r < 0.08) {
      folder = 'deleteditems';
      isRead = random.chance(0.85);
    } else if (r < 0.09) {
      folder = 'recoverableitemsdeletions';
    } else if (r < 0.1) {
      folder = 'archive';
    } else if (r < 0.13 && mailbox.folders) {
      folder = random.pick(mailbox.folders);
    }
    copies.push({
      mailboxUserId: mailbox.user.id,
      graphId: newGraphId(random),
      internetMessageId: message.messageId,
      folder,
      subject: message.subject,
      from: message.sender,
      sender: message.sender,
      toRecipients: message.toRecipients,
      receivedDateTime: message.received,
      isRead,
      hasAttachments: message.hasAttachments,
    });
  };

  const newMessage = (
    receivedMs: number,
    sender: SimRecipient,
    messageId: string,
    subject: string,
    fromIP: string,
  ): Message => {
    const size = messageSize(random);
    return {
      traceId: random.guid(),
      messageId,
      sender,
      subject,
      size,
      fromIP,
      receivedMs,
      received: isoSeconds(receivedMs),
      visibleFrom: isoSeconds(receivedMs + visibilityDelayMs(random)),
      toRecipients: [],
      hasAttachments: size > 150_000 ? random.chance(0.85) : random.chance(0.05),
    };
  };

  const distinctRecipients = (count: number, exclude: Mailbox | undefined): Mailbox[] => {
    const chosen: Mailbox[] = [];
    for (let attempts = 0; chosen.length < count && attempts < count * 4; attempts++) {
      const candidate = random.pick(recipients);
      if (candidate !== exclude && !chosen.includes(candidate)) chosen.push(candidate);
    }
    return chosen;
  };

  const recipientCount = (): number => {
    const r = random.next();
    return r < 0.75 ? 1 : r < 0.95 ? random.int(2, 3) : random.int(4, 8);
  };

  const internalSender = (): Mailbox =>
    sharedSenders.length > 0 && random.chance(0.02) ? random.pick(sharedSenders) : random.pick(senders);

  /** Emits one message into `bucket`; returns how many rows it produced. */
  const emitMessage = (receivedMs: number, bucket: SimTraceRow[]): number => {
    const kind = random.next();
    if (kind < 0.5) {
      const party = random.pickSkewed(externals);
      const message = newMessage(
        receivedMs,
        party.recipient,
        messageIdFor(random, party.domain.idStyle, party.domain.domain),
        fillSubject(random.pick(INBOUND_SUBJECTS), random),
        ipFor(random, party.domain.ipRange),
      );
      const verdict = random.next();
      const messageStatus: TraceStatus =
        verdict < 0.05 ? 'filteredAsSpam' : verdict < 0.075 ? 'quarantined' : 'delivered';
      const to = distinctRecipients(recipientCount(), undefined);
      for (const mailbox of to) message.toRecipients.push(mailbox.recipient);
      for (const mailbox of to) {
        const roll = random.next();
        const status = roll < 0.01 ? 'failed' : messageStatus;
        pushRow(message, mailbox.recipient.address, '', 'inbound', status, roll > 0.998, bucket);
        deliver(message, mailbox, status);
      }
      return to.length;
    }
    if (kind < 0.8) {
      const from = internalSender();
      const message = newMessage(
        receivedMs,
        from.recipient,
        random.chance(0.7) ? messageIdFor(random, 'exchangeOnline', domain) : `<${random.guid()}@${domain}>`,
        fillSubject(random.pick(INTERNAL_SUBJECTS), random),
        random.pick(egress),
      );
      const to = distinctRecipients(random.int(1, 4), from);
      for (const mailbox of to) message.toRecipients.push(mailbox.recipient);
      for (const mailbox of to) {
        // A recall succeeds only inside the organization, and removes the copy (deliver() leaves none).
        const roll = random.next();
        const status = roll < 0.005 ? 'failed' : roll < 0.01 ? 'recalled' : 'delivered';
        pushRow(message, mailbox.recipient.address, '', 'internal', status, false, bucket);
        deliver(message, mailbox, status);
      }
      return to.length;
    }
    if (kind < 0.985) {
      const from = internalSender();
      const message = newMessage(
        receivedMs,
        from.recipient,
        messageIdFor(random, 'exchangeOnline', domain),
        fillSubject(random.pick(OUTBOUND_SUBJECTS), random),
        random.pick(egress),
      );
      const count = random.chance(0.8) ? 1 : random.int(2, 3);
      for (let i = 0; i < count; i++) {
        const party = random.pick(externals);
        if (message.toRecipients.includes(party.recipient)) continue;
        message.toRecipients.push(party.recipient);
        const roll = random.next();
        const status = roll < 0.025 ? 'failed' : 'delivered';
        pushRow(
          message,
          party.recipient.address,
          ipFor(random, party.domain.ipRange),
          'outbound',
          status,
          roll > 0.995,
          bucket,
        );
      }
      return message.toRecipients.length;
    }
    if (groups.length === 0) return 0;
    const group = random.pick(groups);
    const external = random.chance(0.3) ? random.pickSkewed(externals) : undefined;
    const from = external?.recipient ?? internalSender().recipient;
    const message = newMessage(
      receivedMs,
      from,
      external
        ? messageIdFor(random, external.domain.idStyle, external.domain.domain)
        : messageIdFor(random, 'exchangeOnline', domain),
      fillSubject(random.pick(external ? INBOUND_SUBJECTS : INTERNAL_SUBJECTS), random),
      external ? ipFor(random, external.domain.ipRange) : random.pick(egress),
    );
    message.toRecipients.push(group.recipient);
    const direction = external ? 'inbound' : 'internal';
    pushRow(message, group.recipient.address, '', direction, 'expanded', false, bucket);
    let rows = 1;
    for (const member of group.members) {
      if (member.recipient.address === from.address) continue;
      pushRow(message, member.recipient.address, '', direction, 'delivered', false, bucket);
      deliver(message, member, 'delivered');
      rows++;
    }
    return rows;
  };

  const mailboxCount = mailboxes.filter((m) => m.holdsCopies).length;
  let totalWeight = 0;
  for (let t = options.startMs; t < options.endMs; t += HOUR_MS) {
    totalWeight += hourWeight(t) * (Math.min(HOUR_MS, options.endMs - t) / HOUR_MS);
  }
  const totalRows =
    (mailboxCount * options.rowsPerMailboxPerDay * (options.endMs - options.startMs)) / (24 * HOUR_MS);
  const rowsPerWeight = totalWeight > 0 ? totalRows / totalWeight : 0;

  const bucket: SimTraceRow[] = [];
  let owed = 0;
  for (let t = options.startMs; t < options.endMs; t += HOUR_MS) {
    const sliceMs = Math.min(HOUR_MS, options.endMs - t);
    owed += rowsPerWeight * hourWeight(t) * (sliceMs / HOUR_MS);
    bucket.length = 0;
    while (owed >= 1) owed -= Math.max(1, emitMessage(t + random.int(0, sliceMs / 1000 - 1) * 1000, bucket));
    // Rows of one message share one receivedDateTime string and stay together (sort is stable).
    bucket.sort((a, b) =>
      a.receivedDateTime < b.receivedDateTime ? -1 : a.receivedDateTime > b.receivedDateTime ? 1 : 0,
    );
    for (const row of bucket) traces.push(row);
  }
  return { traces, copies };
}
