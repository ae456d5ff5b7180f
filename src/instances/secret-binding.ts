import { say, type Said } from '../messages.ts'
import type { InstanceConfig } from './config.ts'

/**
 * A stored password goes only where it was saved for: the StarRocks endpoints and user beside it.
 * The password is sealed with these fields as GCM's additional data (secret-box.ts), so it cannot
 * be opened for other ones, and a change of any of them without the password is refused at the
 * door. A Kafka secret added later joins by listing the fields it is sent with, the same way.
 */
export const passwordBoundFields = ['jdbcUrl', 'feHost', 'feHttpPort', 'userName'] as const

type Bound = Pick<InstanceConfig, (typeof passwordBoundFields)[number]>

/** The sealed password's additional data: the bound fields, in a fixed order. */
export function passwordBinding(config: Bound): string {
  return JSON.stringify(passwordBoundFields.map((field) => config[field]))
}

/** Bound fields whose value differs between the stored config and the one asked for. */
export function rebindingFields(stored: Bound, next: Bound): string[] {
  return passwordBoundFields.filter((field) => String(stored[field]) !== String(next[field]))
}

/** The 400 issue an API answers when the password must be entered again. */
export function passwordAgainIssue(changed: string[]): { path: string } & Said {
  return { path: 'passWord', ...say('instance.password_rebind', { fields: changed.join(', ') }) }
}

/** Thrown by the store when an update changes a bound field without a new password. */
export class PasswordRebindError extends Error {
  constructor(readonly changed: string[]) {
    super(passwordAgainIssue(changed).message)
  }
}
