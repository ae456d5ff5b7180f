/**
 * Who may do what in the console and the API. `viewer` reads (never a secret: passwords are never
 * returned to anyone); `operator` also runs instances, edits them and the mappings and works the
 * quarantine; `admin` also manages console users. Every route declares the least role it needs
 * (`x-k2s-role` in the OpenAPI document), and auth.ts enforces it.
 */
export const roles = ['viewer', 'operator', 'admin'] as const
export type Role = (typeof roles)[number]

/** A user stored before roles existed has none: the one admin of that time. */
export const roleOf = (stored: string | null): Role => ((roles as readonly string[]).includes(stored ?? '') ? (stored as Role) : 'admin')

export const allows = (held: Role, needed: Role) => roles.indexOf(held) >= roles.indexOf(needed)
