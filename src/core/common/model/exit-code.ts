/** Process exit codes of every nestbed command (spec/cli.md). The one place they are defined. */
export const ExitCode = {
  /** Everything ran and every check passed (warnings allowed). */
  Ok: 0,
  /** It ran, and at least one check failed (rule violated, budget missed, isolation broken, bundle tampered). */
  CheckFailed: 1,
  /** Invalid input or usage: malformed file, schema violation, unknown profile id, unknown option. */
  InvalidInput: 2,
  /** Environment or infrastructure: emulator missing, image build failed, guest did not boot, timeout. */
  Infrastructure: 3,
  /** Internal error (a bug). */
  Internal: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
