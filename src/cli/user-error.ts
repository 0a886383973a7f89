/** A mistake the user can fix (bad flag, missing file): shown as one line, exit code 1. */
export class UserError extends Error {
  override name = 'UserError';
}
