// Expected failures are data with an exit code; anything else that escapes is a bug (exit 4).
import { ExitCode } from './exit-code.js';

/** Bad input or usage: shown to the user as is, exit 2. */
export class InputError extends Error {
  readonly exitCode = ExitCode.InvalidInput;
  override readonly name = 'InputError';
}

/** The environment or infrastructure failed (emulator missing, image build failed, guest did not
 * boot, timeout): exit 3. `hint` says what the user can do about it. */
export class InfrastructureError extends Error {
  readonly exitCode = ExitCode.Infrastructure;
  override readonly name = 'InfrastructureError';
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const assertNever = (value: never, what = 'value'): never => {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
};
