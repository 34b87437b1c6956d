// The doctor's vocabulary: one checklist item per thing that can stop mailtrace from working, each saying what
// passed or failed and, when something is wrong, what to do. Pure data so that every output format shows the same.
import { redactText } from '../../graph/redact.ts';
import { EXIT, type ExitCode } from '../errors.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export type CheckId =
  | 'config'
  | 'cloud'
  | 'token'
  | 'roles.collect'
  | 'roles.investigate'
  | 'messageTrace'
  | 'mailbox'
  | 'clock'
  | 'sinks';

/** Which exit code a failed check stands for: config problems, then credentials, then grants and tenant setup. */
export type Blocker = 'config' | 'auth' | 'permission';

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** What was found, in one or two sentences. */
  detail: string;
  /** What to do about it (absent when nothing needs doing). */
  fix?: string;
  /** Exact commands to run, one per line, when the fix is a command. */
  commands?: string[];
  /** Set on failures only. */
  blocker?: Blocker;
  /** Machine-readable facts for JSON consumers (AADSTS code, granted roles, skew seconds, …). */
  facts?: Record<string, string | number | boolean | string[] | null>;
}

export const STATUS_MARK: Readonly<Record<CheckStatus, string>> = {
  pass: '✔',
  warn: '!',
  fail: '✖',
  skip: '-',
};

const BLOCKER_EXIT: Readonly<Record<Blocker, ExitCode>> = {
  config: EXIT.config,
  auth: EXIT.auth,
  permission: EXIT.permission,
};

const BLOCKER_ORDER: readonly Blocker[] = ['config', 'auth', 'permission'];

/** The exit code for a set of results: the earliest-stage blocker wins (a bad config hides everything after it). */
export function exitCodeFor(results: readonly CheckResult[]): ExitCode {
  for (const blocker of BLOCKER_ORDER)
    if (results.some((r) => r.status === 'fail' && r.blocker === blocker)) return BLOCKER_EXIT[blocker];
  return EXIT.ok;
}

export function pass(
  id: CheckId,
  title: string,
  detail: string,
  extra: Partial<CheckResult> = {},
): CheckResult {
  return clean({ id, title, status: 'pass', detail, ...extra });
}

export function warn(
  id: CheckId,
  title: string,
  detail: string,
  fix: string | undefined,
  extra: Partial<CheckResult> = {},
): CheckResult {
  return clean({ id, title, status: 'warn', detail, ...(fix ? { fix } : {}), ...extra });
}

export function fail(
  id: CheckId,
  title: string,
  blocker: Blocker,
  detail: string,
  fix: string,
  extra: Partial<CheckResult> = {},
): CheckResult {
  return clean({ id, title, status: 'fail', blocker, detail, fix, ...extra });
}

export function skip(id: CheckId, title: string, detail: string): CheckResult {
  return { id, title, status: 'skip', detail: redactText(detail) };
}

/** Every text that leaves the doctor passes through redaction: errors can quote whatever a server sent back. */
function clean(result: CheckResult): CheckResult {
  return {
    ...result,
    detail: redactText(result.detail),
    ...(result.fix !== undefined ? { fix: redactText(result.fix) } : {}),
  };
}
