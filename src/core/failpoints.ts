// Named points on the paths where a crash matters (the collector's delivery path, the lease), where a test can
// stop or kill the process at an exact moment instead of guessing one with a timer. The idea is etcd's gofail
// and TiKV's fail-rs: the points stay in the product, inert, and the process is told at start which to arm.
//
// MAILTRACE_FAILPOINTS="collector.page-stored@3=kill,collector.sink-acked:ndjson=stop,lease.acquired=notify"
//   name[:qualifier][@hit]=action   (hit: 1-based count of passes through that name, default 1)
//   kill    write "failpoint <name> kill" on stderr, then SIGKILL itself: nothing after the point runs
//   stop    write "failpoint <name> stop", then SIGSTOP itself until the parent sends SIGCONT (or SIGKILL)
//   notify  write "failpoint <name> notify" and go on
// Lines are written with writeSync, so the parent has read them by the time the process is dead or stopped.
// Unset (production), `failpoint()` is one comparison.

import { writeSync } from 'node:fs';

export type FailpointAction = 'kill' | 'stop' | 'notify';

export interface FailpointRule {
  /** `name` or `name:qualifier` (a qualified rule matches only that qualifier; a plain one matches any). */
  point: string;
  hit: number;
  action: FailpointAction;
}

const ACTIONS: readonly FailpointAction[] = ['kill', 'stop', 'notify'];

/** Parses MAILTRACE_FAILPOINTS; an unreadable rule is an error at start, never a point that silently stays off. */
export function parseFailpoints(text: string): FailpointRule[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const match = /^([a-z0-9.-]+(?::[^@=]+)?)(?:@(\d+))?=([a-z]+)$/.exec(part);
      const action = match?.[3] as FailpointAction | undefined;
      if (!match || !action || !ACTIONS.includes(action) || (match[2] !== undefined && Number(match[2]) < 1))
        throw new Error(`MAILTRACE_FAILPOINTS: cannot read "${part}" (expected name[:qualifier][@hit]=kill|stop|notify)`);
      return { point: match[1]!, hit: match[2] === undefined ? 1 : Number(match[2]), action };
    });
}

const rules = parseFailpoints(process.env.MAILTRACE_FAILPOINTS ?? '');
const hits = new Map<string, number>();

/** Passes a named point; does what MAILTRACE_FAILPOINTS arms there, if anything. */
export function failpoint(name: string, qualifier?: string): void {
  if (rules.length === 0) return;
  const qualified = qualifier === undefined ? name : `${name}:${qualifier}`;
  for (const key of qualifier === undefined ? [name] : [name, qualified]) {
    const count = (hits.get(key) ?? 0) + 1;
    hits.set(key, count);
    for (const rule of rules) if (rule.point === key && rule.hit === count) act(qualified, rule.action);
  }
}

function act(point: string, action: FailpointAction): void {
  writeSync(2, `failpoint ${point} ${action}\n`);
  if (action === 'kill') process.kill(process.pid, 'SIGKILL');
  else if (action === 'stop') process.kill(process.pid, 'SIGSTOP');
}
