/**
 * The audit log's actions in words, and the groups the filter offers. An action not listed here
 * (added later) is shown as recorded.
 */
export const ACTION_GROUPS = [
  {
    id: 'sign-ins',
    label: 'Sign-ins and sessions',
    actions: {
      'sign-in': 'Signed in',
      'sign-in-failed': 'Sign-in failed',
      'sign-out': 'Signed out',
      'password-changed': 'Changed their password',
      'other-sessions-revoked': 'Signed out their other sessions',
    },
  },
  {
    id: 'exports',
    label: 'Exports',
    actions: {
      'export.started': 'Started an export',
      'export.paused': 'Paused an export',
      'export.resumed': 'Resumed an export',
      'export.cancelled': 'Cancelled an export',
      'export.retried': 'Retried failed pages',
      'export.deleted': 'Deleted an export',
      'export.downloaded': 'Downloaded an export',
    },
  },
  {
    id: 'connections',
    label: 'Connections',
    actions: {
      'connection.added': 'Added a connection',
      'connection.tested': 'Tested a connection',
      'connection.renamed': 'Renamed a connection',
      'connection.token-rotated': "Replaced a connection's token",
      'connection.removed': 'Removed a connection',
      'schedule.set': "Set a connection's schedule",
      'schedule.removed': "Removed a connection's schedule",
      'retention.applied': 'Removed snapshots by retention',
    },
  },
  {
    id: 'people',
    label: 'People',
    actions: {
      'user.created': 'Added a user',
      'user.invited': 'Invited someone',
      'invite.revoked': 'Revoked an invite',
      'invite.accepted': 'Accepted an invite',
      'user.role-changed': 'Changed a role',
      'user.disabled': 'Disabled a user',
      'user.enabled': 'Enabled a user',
      'user.removed': 'Removed a user',
    },
  },
  { id: 'settings', label: 'Settings', actions: { 'settings.changed': 'Changed settings', 'settings.flag-changed': 'Turned a feature flag on or off' } },
] as const;

const NAMES: Record<string, string> = Object.assign({}, ...ACTION_GROUPS.map((group) => group.actions));

/** An action in words ("user.role-changed" → "Changed a role"); unknown ones as recorded. */
export function describeAction(action: string): string {
  return NAMES[action] ?? action;
}

/**
 * The filter's choice as the server takes it: "" is every action, `group:<id>` every action of a
 * group, anything else one action.
 */
export function actionFilter(choice: string): string | string[] | undefined {
  if (choice === '') return undefined;
  if (choice.startsWith('group:')) {
    const group = ACTION_GROUPS.find((g) => `group:${g.id}` === choice);
    return group ? Object.keys(group.actions) : undefined;
  }
  return choice;
}

/** A value of an entry's detail in words: text as it is, lists joined, anything else as compact JSON. */
export function describeDetailValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ');
  return JSON.stringify(value);
}

/** A day picked in a date field (`YYYY-MM-DD`, the browser's time zone) as the ISO time it starts, or ends, at. */
export function dayBoundary(day: string, end: 'start' | 'end'): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const date = new Date(`${day}T${end === 'start' ? '00:00:00.000' : '23:59:59.999'}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
