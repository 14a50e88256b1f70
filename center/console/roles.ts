/**
 * Console roles (docs/screens.md): each includes the one before it.
 * viewer reads every view; operator also voids jobs and adds applications;
 * admin also revokes kiosks.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

/** Whether a session with role `have` may use a route that needs `need`. */
export function allows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
