/**
 * Who may do what. Each role includes the ones before it: a viewer sees exports and their
 * progress and downloads them; an operator also starts, pauses, resumes, cancels, retries and
 * deletes exports; an admin also manages people, connections and settings.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Whether `role` (a stored role, possibly unknown or missing) may do what `needed` may. */
export function roleAllows(role: string | null | undefined, needed: Role): boolean {
  return isRole(role) && ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
