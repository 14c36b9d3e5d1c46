import type { RouterInputs, RouterOutputs } from '@/app/_trpc/types';

/** What the retention form's fields hold (text, as typed) and the policy they make. */

export type Policy = RouterInputs['schedules']['previewRetention']['policy'];
type SavedPolicy = NonNullable<RouterOutputs['schedules']['get']['schedule']>['retention'];

/** restic's keep-* counts, in the order restic lists them. */
export const COUNTS = [
  { key: 'keepLast', label: 'Keep last', hint: 'the newest n snapshots' },
  { key: 'keepHourly', label: 'Keep hourly', hint: 'the newest of each of the last n hours' },
  { key: 'keepDaily', label: 'Keep daily', hint: 'the newest of each of the last n days' },
  { key: 'keepWeekly', label: 'Keep weekly', hint: 'the newest of each of the last n ISO weeks' },
  { key: 'keepMonthly', label: 'Keep monthly', hint: 'the newest of each of the last n months' },
  { key: 'keepYearly', label: 'Keep yearly', hint: 'the newest of each of the last n years' },
] as const;
export type CountKey = (typeof COUNTS)[number]['key'];
export type Fields = Record<CountKey | 'keepWithin', string>;
/** Years, months, weeks, days and hours, as the server reads them (1y6m, 2w, 30d, 12h). */
export const DURATION = /^(?:\d+[ymwdh])+$/;

export const fieldsOf = (saved: SavedPolicy | undefined): Fields => ({
  keepLast: saved?.keepLast?.toString() ?? '',
  keepHourly: saved?.keepHourly?.toString() ?? '',
  keepDaily: saved?.keepDaily?.toString() ?? '',
  keepWeekly: saved?.keepWeekly?.toString() ?? '',
  keepMonthly: saved?.keepMonthly?.toString() ?? '',
  keepYearly: saved?.keepYearly?.toString() ?? '',
  keepWithin: saved?.keepWithin ?? '',
});

/** The policy the fields say, or the first field that is not one. */
export function policyOf(fields: Fields): { policy: Policy } | { invalid: keyof Fields } {
  const within = fields.keepWithin.trim();
  if (within && (!DURATION.test(within) || !/[1-9]/.test(within))) return { invalid: 'keepWithin' };
  const policy: Policy = { keepWithin: within || null };
  for (const { key } of COUNTS) {
    const text = fields[key].trim();
    if (text === '') {
      policy[key] = null;
      continue;
    }
    if (!/^-?\d+$/.test(text) || Number(text) < -1) return { invalid: key };
    policy[key] = Number(text);
  }
  return { policy };
}

