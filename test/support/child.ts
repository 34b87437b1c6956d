// A child process a test can steer by failpoints (src/core/failpoints.ts): arm points in its environment, wait
// for the lines it writes when it passes them, then kill, stop or continue it. Nothing here waits on a timer:
// a test moves when the child says where it is.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Failpoints the child reported passing, in order (`name[:qualifier] action`). */
  failpoints: string[];
}

export interface SpawnOptions {
  /** MAILTRACE_FAILPOINTS for the child (src/core/failpoints.ts). */
  failpoints?: string;
  env?: Record<string, string>;
  cwd?: string;
}

export class SteeredChild {
  readonly process: ChildProcess;
  readonly done: Promise<ChildRun>;
  readonly #run: ChildRun = { code: null, signal: null, stdout: '', stderr: '', failpoints: [] };
  readonly #waiters: { point: string; resolve: () => void }[] = [];
  #stderrTail = '';

  constructor(entry: string, args: readonly string[], options: SpawnOptions = {}) {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    // A child killed -9 mid-write would leave a torn coverage file that fails the whole coverage report. Node
    // copies NODE_V8_COVERAGE into a child's environment unless the environment sets it: empty turns it off.
    env.NODE_V8_COVERAGE = '';
    if (options.failpoints === undefined) delete env.MAILTRACE_FAILPOINTS;
    else env.MAILTRACE_FAILPOINTS = options.failpoints;
    this.process = spawn(process.execPath, [entry, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    this.process.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.#run.stdout += d;
    });
    this.process.stderr!.setEncoding('utf8').on('data', (d: string) => this.#onStderr(d));
    this.done = new Promise((resolve, reject) => {
      this.process.on('error', reject);
      this.process.on('close', (code, signal) => {
        this.#run.code = code;
        this.#run.signal = signal;
        for (const waiter of this.#waiters.splice(0)) waiter.resolve();
        resolve(this.#run);
      });
    });
  }

  /**
   * Resolves once the child has reported passing `point` (`name` or `name:qualifier`), or once it has exited
   * (check `reached()` after: a child that finished without passing the point is an answer too).
   */
  waitFor(point: string): Promise<void> {
    if (this.reached(point) || this.#run.code !== null || this.#run.signal !== null) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ point, resolve }));
  }

  /** What the child has written on stderr so far (a diagnostic for a test that gave up on it). */
  stderrSoFar(): string {
    return this.#run.stderr;
  }

  reached(point: string): boolean {
    return this.#run.failpoints.some((line) => matches(line, point));
  }

  kill(): Promise<ChildRun> {
    this.process.kill('SIGKILL');
    return this.done;
  }

  /**
   * Continues a child that stopped itself at a `stop` point. Its line is written just before it stops, so wait
   * until the kernel shows it stopped: a SIGCONT sent earlier would be lost and the child would stop for good.
   */
  async resume(): Promise<void> {
    await this.stopped();
    this.process.kill('SIGCONT');
  }

  /** Resolves once the child is in the stopped state (Linux /proc), e.g. to hold it past a lease expiry. */
  async stopped(): Promise<void> {
    // Polling only decides how soon we notice, never what the test observes.
    while (processState(this.process.pid!) !== 'T' && this.#run.signal === null && this.#run.code === null)
      await sleep(2);
  }

  #onStderr(data: string): void {
    this.#run.stderr += data;
    const lines = (this.#stderrTail + data).split('\n');
    this.#stderrTail = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^failpoint (\S+) (kill|stop|notify)$/.exec(line);
      if (!match) continue;
      this.#run.failpoints.push(`${match[1]} ${match[2]}`);
      for (let i = this.#waiters.length - 1; i >= 0; i--) {
        const waiter = this.#waiters[i]!;
        if (matches(`${match[1]} ${match[2]}`, waiter.point)) {
          this.#waiters.splice(i, 1);
          waiter.resolve();
        }
      }
    }
  }
}

function processState(pid: number): string | undefined {
  try {
    // /proc/PID/stat: "pid (comm) S ...": the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function matches(line: string, point: string): boolean {
  const name = line.slice(0, line.lastIndexOf(' '));
  return name === point || name.startsWith(`${point}:`);
}
