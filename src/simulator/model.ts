// The simulated tenant: plain JSON-serialisable data, so a tester can save, edit and reload a tenant by hand.
// Written from ../shared/graph-reference.md; product code never imports anything under src/simulator.

export const TENANT_SCHEMA_VERSION = 1;

/** Microsoft's "Office 365 Exchange Online message trace" app; its service principal must exist in the tenant. */
export const MESSAGE_TRACE_SP_APP_ID = '8bd644d1-64a1-4d4b-ae52-2e0cbf64e373';

export interface Tenant {
  schemaVersion: typeof TENANT_SCHEMA_VERSION;
  seed: number;
  tenantId: string; // GUID
  displayName: string;
  /** Verified/accepted domains; the first is the default (e.g. contoso.com), the last the *.onmicrosoft.com one. */
  domains: string[];
  /** RFC 3339 UTC instant the traffic was generated around; the simulator clock starts here. */
  anchor: string;
  /** Whether the 8bd644d1-… service principal exists (without it message trace answers 401). */
  messageTraceServicePrincipal: boolean;
  apps: SimApp[];
  users: SimUser[];
  groups: SimGroup[];
  traces: SimTraceRow[];
  /** Mailbox items: one per copy of a message in a mailbox (a mailbox can hold two copies of one message). */
  copies: SimMailboxCopy[];
  /** User-created folders; well-known folders exist in every mailbox and need no entry. */
  customFolders: SimFolder[];
  /** The seeded phishing campaign, so the demo and tests can find it. */
  campaign: SimCampaign | null;
}

export interface SimApp {
  clientId: string; // GUID
  displayName: string;
  /** Application permissions granted with admin consent, e.g. 'ExchangeMessageTrace.Read.All'. */
  roles: string[];
  secrets: SimSecret[];
  certificates: SimCertificate[];
}

export interface SimSecret {
  /** The secret's id (what people paste by mistake instead of the value). */
  id: string;
  value: string;
  expiresAt: string; // RFC 3339
}

export interface SimCertificate {
  /** PEM of the app's public certificate, as uploaded to the app registration. */
  certificatePem: string;
  expiresAt: string;
}

export type MailboxState =
  | 'exchangeOnline' // searchable mailbox
  | 'none' // guest, unlicensed, mail-enabled user without EXO mailbox: 404 MailboxNotEnabledForRESTAPI
  | 'onPremises' // hybrid user whose mailbox lives on-premises: 404 MailboxNotEnabledForRESTAPI
  | 'softDeleted'; // 404 MailboxNotEnabledForRESTAPI

export type MailboxKind = 'user' | 'shared' | 'room' | 'equipment';

export interface SimUser {
  id: string; // GUID (directory object id)
  userPrincipalName: string;
  displayName: string;
  mail: string | null;
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
  mailbox: MailboxState;
  /** Present when mailbox === 'exchangeOnline'. */
  mailboxKind?: MailboxKind;
  /** An application access policy / RBAC for Applications scope excludes this mailbox: 403 ErrorAccessDenied. */
  excludedByAccessPolicy: boolean;
  /** Directory entry whose mailbox cannot be resolved: 404 ErrorInvalidUser. */
  unresolvable?: boolean;
  /** Secondary SMTP addresses (a renamed user's old address, a shared mailbox's extra ones): `smtp:` proxies. */
  aliases?: string[];
}

export interface SimGroup {
  id: string;
  displayName: string;
  mail: string;
  memberIds: string[]; // SimUser ids
}

export type TraceStatus =
  | 'gettingStatus'
  | 'pending'
  | 'failed'
  | 'delivered'
  | 'expanded'
  | 'quarantined'
  | 'filteredAsSpam'
  | 'recalled';

export interface SimStatusStep {
  status: TraceStatus;
  /** From this instant on (sim clock) the row reports this status. */
  from: string;
}

export interface SimTraceRow {
  /** Message trace id: shared by every recipient row of one message. Rows are keyed by (id, recipientAddress). */
  id: string;
  messageId: string; // with angle brackets
  senderAddress: string;
  recipientAddress: string;
  receivedDateTime: string; // RFC 3339 UTC, whole seconds
  subject: string;
  size: number;
  fromIP: string;
  toIP: string; // '' for mail coming into Exchange Online
  /** Instant the row first becomes visible to the API (rows appear minutes to hours late). */
  visibleFrom: string;
  /** Status over time; at least one step; transient steps (gettingStatus, pending) come first. */
  statusTimeline: SimStatusStep[];
  direction: 'inbound' | 'outbound' | 'internal';
}

export interface SimRecipient {
  name: string;
  address: string;
}

export interface SimMailboxCopy {
  mailboxUserId: string;
  /** Opaque, per mailbox Graph message id. */
  graphId: string;
  internetMessageId: string; // with angle brackets
  /**
   * Well-known folder name ('inbox', 'junkemail', 'deleteditems', 'recoverableitemsdeletions', …) or a custom
   * folder id.
   */
  folder: string;
  subject: string;
  from: SimRecipient;
  sender: SimRecipient;
  toRecipients: SimRecipient[];
  receivedDateTime: string;
  isRead: boolean;
  hasAttachments: boolean;
}

export interface SimFolder {
  mailboxUserId: string;
  id: string;
  displayName: string;
  /** Well-known name or folder id of the parent. */
  parentFolder: string;
}

export interface SimCampaign {
  internetMessageId: string;
  subject: string;
  senderAddress: string;
  receivedDateTime: string;
  /** Trace recipients (including group expansions). */
  recipientAddresses: string[];
}

/** Well-known folders every Exchange Online mailbox has, with their display names. */
export const WELL_KNOWN_FOLDERS: Readonly<Record<string, { displayName: string; parent: string | null }>> = {
  msgfolderroot: { displayName: 'Top of Information Store', parent: null },
  inbox: { displayName: 'Inbox', parent: 'msgfolderroot' },
  junkemail: { displayName: 'Junk Email', parent: 'msgfolderroot' },
  deleteditems: { displayName: 'Deleted Items', parent: 'msgfolderroot' },
  sentitems: { displayName: 'Sent Items', parent: 'msgfolderroot' },
  drafts: { displayName: 'Drafts', parent: 'msgfolderroot' },
  outbox: { displayName: 'Outbox', parent: 'msgfolderroot' },
  archive: { displayName: 'Archive', parent: 'msgfolderroot' },
  clutter: { displayName: 'Clutter', parent: 'msgfolderroot' },
  conversationhistory: { displayName: 'Conversation History', parent: 'msgfolderroot' },
  recoverableitemsroot: { displayName: 'Recoverable Items', parent: null },
  recoverableitemsdeletions: { displayName: 'Deletions', parent: 'recoverableitemsroot' },
  // The names below are in Graph's well-known folder list (mailFolder resource); their display names and
  // parents are not documented: our assumption, from how Outlook shows them (Sync Issues holds the three
  // failure folders; Search Folders sits outside the IPM subtree like Recoverable Items).
  scheduled: { displayName: 'Scheduled', parent: 'msgfolderroot' },
  syncissues: { displayName: 'Sync Issues', parent: 'msgfolderroot' },
  conflicts: { displayName: 'Conflicts', parent: 'syncissues' },
  localfailures: { displayName: 'Local Failures', parent: 'syncissues' },
  serverfailures: { displayName: 'Server Failures', parent: 'syncissues' },
  searchfolders: { displayName: 'Search Folders', parent: null },
};

/**
 * Graph folder ids are opaque base64 strings, stable for a mailbox. Derived from (mailbox, well-known name) so
 * that the generator, a hand-written tenant file and the server all agree without storing 18 folders per mailbox.
 */
export function wellKnownFolderId(mailboxUserId: string, wellKnownName: string): string {
  return `AAMk${Buffer.from(`${mailboxUserId}/${wellKnownName}`).toString('base64url')}AAA=`;
}
