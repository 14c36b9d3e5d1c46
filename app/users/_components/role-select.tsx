'use client';

import { useId } from 'react';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/**
 * A role picker. `wide`: a form field with its label shown; otherwise a compact control in a row,
 * its label for screen readers only. A stored role none of ours is shown as "no role".
 */
export function RoleSelect({ label, value, onChange, wide = false }: { label: string; value: string | null; onChange(role: Role): void; wide?: boolean }) {
  const id = useId();
  const known = value !== null && isRole(value);
  return (
    <div>
      <label htmlFor={id} className={wide ? 'block text-sm font-medium text-slate-700' : 'sr-only'}>
        {label}
      </label>
      <select
        id={id}
        value={known ? value : ''}
        onChange={(e) => isRole(e.target.value) && onChange(e.target.value)}
        className={
          wide
            ? 'mt-1 block h-10 w-full rounded-lg border-0 bg-white px-3 text-sm text-slate-900 ring-1 ring-slate-300 ring-inset'
            : 'h-8 rounded-lg border-0 bg-white px-2 text-sm text-slate-900 ring-1 ring-slate-300 ring-inset'
        }
      >
        {!known && <option value="">no role</option>}
        {ROLES.map((role) => (
          <option key={role} value={role}>
            {role}
          </option>
        ))}
      </select>
    </div>
  );
}
