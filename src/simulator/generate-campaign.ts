// The seeded phishing campaign: one message whose recipients cover every situation an investigation must
// report (every folder, trace-only statuses, purged copies, unsearchable mailboxes, a copy trace never saw).
import type { Directory, UserCategory } from './generate-directory.ts';
import { isoSeconds, type Random } from './generate-random.ts';
import { ipFor, newGraphId } from './generate-shapes.ts';
import type {
  SimCampaign,
  SimMailboxCopy,
  SimRecipient,
  SimTraceRow,
  SimUser,
  TraceStatus,
} from './model.ts';

export const CAMPAIGN_SUBJECT = 'Action required: password expires today';
/** Recipients whose role is fixed (one per required case) plus the distribution group. */
export const MIN_CAMPAIGN_RECIPIENTS = 15;

/** What happened to the campaign at one recipient. */
interface Fate {
  status: TraceStatus;
  /** Copies left in the mailbox (when it is a searchable mailbox at all). */
  copies: { folder: string; isRead: boolean }[];
}

export interface CampaignTraffic {
  campaign: SimCampaign;
  traces: SimTraceRow[];
  copies: SimMailboxCopy[];
}

export class CampaignDoesNotFitError extends Error {
  override name = 'CampaignDoesNotFitError';
}

const inbox = (isRead: boolean): Fate => ({ status: 'delivered', copies: [{ folder: 'inbox', isRead }] });

export function generateCampaign(
  random: Random,
  directory: Directory,
  options: { anchorMs: number; tenantName: string; recipients: number },
): CampaignTraffic {
  const { users, categories } = directory;
  const used = new Set<SimUser>();
  const group = [...directory.groups].sort((a, b) => a.memberIds.length - b.memberIds.length)[0];
  if (!group)
    throw new CampaignDoesNotFitError('the tenant has no distribution group to send the campaign to');
  const groupMembers = new Set(group.memberIds);
  const ofCategory = (category: UserCategory): SimUser[] =>
    random.shuffle(users.filter((_, index) => categories[index] === category));
  // Direct recipients preferably outside the group, so each case gets its own trace row.
  const regulars = ofCategory('regular').sort(
    (a, b) => Number(groupMembers.has(a.id)) - Number(groupMembers.has(b.id)),
  );
  const take = (candidates: readonly SimUser[], what: string): SimUser => {
    const user = candidates.find((candidate) => !used.has(candidate));
    if (!user) throw new CampaignDoesNotFitError(`no user left to be the campaign's ${what}; add users`);
    used.add(user);
    return user;
  };

  const bcc = take(
    regulars.filter((user) => !groupMembers.has(user.id)),
    'forwarded copy (outside the trace)',
  );
  const folderOwner = take(
    regulars.filter((user) => directory.foldersByUser.has(user.id)),
    'custom-folder recipient',
  );
  const customFolder = directory.foldersByUser.get(folderOwner.id)![0]!;
  const direct: [SimUser, Fate][] = [
    [take(regulars, 'inbox (read) recipient'), inbox(true)],
    // Coverage of the `recalled` status (a real outside sender could not recall; the investigation must still
    // explain it). The two-copies recipient keeps an unread Inbox copy in the campaign.
    [take(regulars, 'recalled recipient'), { status: 'recalled', copies: [] }],
    [
      take(regulars, 'junk recipient'),
      { status: 'filteredAsSpam', copies: [{ folder: 'junkemail', isRead: false }] },
    ],
    [
      take(regulars, 'deleted-items recipient'),
      { status: 'delivered', copies: [{ folder: 'deleteditems', isRead: true }] },
    ],
    [
      take(regulars, 'recoverable-items recipient'),
      { status: 'delivered', copies: [{ folder: 'recoverableitemsdeletions', isRead: true }] },
    ],
    [folderOwner, { status: 'delivered', copies: [{ folder: customFolder, isRead: true }] }],
    [take(regulars, 'quarantined recipient'), { status: 'quarantined', copies: [] }],
    [take(regulars, 'second quarantined recipient'), { status: 'quarantined', copies: [] }],
    [take(regulars, 'failed recipient'), { status: 'failed', copies: [] }],
    [
      take(regulars, 'two-copies recipient'),
      {
        status: 'delivered',
        copies: [
          { folder: 'inbox', isRead: false },
          { folder: 'deleteditems', isRead: true },
        ],
      },
    ],
    [take(regulars, 'purged recipient'), { status: 'delivered', copies: [] }],
    [take(ofCategory('shared'), 'shared mailbox recipient'), inbox(false)],
    [take(ofCategory('excluded'), 'access-policy-excluded recipient'), inbox(true)],
    [
      take([...ofCategory('mailOnly'), ...ofCategory('onPremises')], 'recipient without a mailbox'),
      inbox(false),
    ],
  ];
  // Fill up with a few more awkward directory cases first, then ordinary people.
  const fillers = [
    ...ofCategory('disabled').slice(0, 1),
    ...ofCategory('unresolvable').slice(0, 1),
    ...ofCategory('onPremises').slice(0, 1),
    ...ofCategory('room').slice(0, 1),
    ...regulars,
  ];
  const fillerCount = options.recipients - 1 - direct.length;
  for (let i = 0; i < fillerCount; i++)
    direct.push([take(fillers, 'additional recipient'), inbox(random.chance(0.5))]);

  const helpdeskDomain = `${options.tenantName}-helpdesk.com`;
  const sender: SimRecipient = { name: 'IT Support', address: `it-support@${helpdeskDomain}` };
  const receivedMs = options.anchorMs - 26 * 3_600_000 - random.int(0, 900) * 1000;
  const received = isoSeconds(receivedMs);
  const visibleFrom = isoSeconds(receivedMs + random.int(90, 400) * 1000);
  // '+' and '=' in the id: a client that does not percent-encode the $filter value silently matches nothing.
  const messageId = `<PH0PR${random.int(10, 19)}MB${random.int(1000, 9999)}+${random.hex(10)}=@${helpdeskDomain}>`;
  const traceId = random.guid();
  const fromIP = ipFor(random, 'generic');
  const size = random.int(38_000, 64_000);
  const groupRecipient: SimRecipient = { name: group.displayName, address: group.mail };
  const recipientOf = (user: SimUser): SimRecipient => ({ name: user.displayName, address: user.mail! });

  const to: SimRecipient[] = direct.map(([user]) => recipientOf(user));
  to.splice(random.int(0, to.length), 0, groupRecipient);

  const traces: SimTraceRow[] = [];
  const copies: SimMailboxCopy[] = [];
  const row = (recipientAddress: string, status: TraceStatus): void => {
    traces.push({
      id: traceId,
      messageId,
      senderAddress: sender.address,
      recipientAddress,
      receivedDateTime: received,
      subject: CAMPAIGN_SUBJECT,
      size,
      fromIP,
      toIP: '',
      visibleFrom,
      statusTimeline: [{ status, from: received }],
      direction: 'inbound',
    });
  };
  const copy = (user: SimUser, folder: string, isRead: boolean): void => {
    copies.push({
      mailboxUserId: user.id,
      graphId: newGraphId(random),
      internetMessageId: messageId,
      folder,
      subject: CAMPAIGN_SUBJECT,
      from: sender,
      sender,
      toRecipients: to,
      receivedDateTime: received,
      isRead,
      hasAttachments: false,
    });
  };
  const holdsCopies = (user: SimUser): boolean =>
    user.mailbox === 'exchangeOnline' && user.unresolvable !== true;

  const addressed = new Set(direct.map(([user]) => user.id));
  for (const recipient of to) {
    if (recipient === groupRecipient) {
      row(group.mail, 'expanded');
      for (const memberId of group.memberIds) {
        if (addressed.has(memberId)) continue; // Exchange delivers once per recipient
        addressed.add(memberId);
        const member = users.find((user) => user.id === memberId)!;
        row(member.mail!, 'delivered');
        if (holdsCopies(member)) copy(member, 'inbox', random.chance(0.5));
      }
      continue;
    }
    const [user, fate] = direct.find(([candidate]) => candidate.mail === recipient.address)!;
    row(user.mail!, fate.status);
    if (holdsCopies(user)) for (const c of fate.copies) copy(user, c.folder, c.isRead);
  }
  copy(bcc, 'inbox', false);

  return {
    campaign: {
      internetMessageId: messageId,
      subject: CAMPAIGN_SUBJECT,
      senderAddress: sender.address,
      receivedDateTime: received,
      recipientAddresses: traces.map((r) => r.recipientAddress),
    },
    traces,
    copies,
  };
}
