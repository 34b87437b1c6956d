// One typed error at the CLI boundary: every failure a user can act on becomes a CliError with an exit code and
// a fix. Anything else is a bug and exits with `internal`.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  auth: 3,
  permission: 4,
  partial: 5,
  config: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCode;
  /** What the user should do about it, in one or two sentences. */
  readonly fix: string | undefined;

  constructor(message: string, exitCode: ExitCode, fix?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
    this.fix = fix;
  }
}

export function usageError(message: string, fix?: string): CliError {
  return new CliError(message, EXIT.usage, fix);
}
