import { describe, expect, it } from 'vitest';
import { ACTION_GROUPS, actionFilter, dayBoundary, describeAction, describeDetailValue } from './audit-actions';

describe('audit actions in words', () => {
  it('names known actions and shows unknown ones as recorded', () => {
    expect(describeAction('user.role-changed')).toBe('Changed a role');
    expect(describeAction('sign-in-failed')).toBe('Sign-in failed');
    expect(describeAction('export.frobnicated')).toBe('export.frobnicated');
  });

  it('turns the filter choice into what audit.list takes: nothing, one action, or a whole group', () => {
    expect(actionFilter('')).toBeUndefined();
    expect(actionFilter('export.started')).toBe('export.started');
    expect(actionFilter('group:sign-ins')).toEqual(['sign-in', 'sign-in-failed', 'sign-out', 'password-changed', 'other-sessions-revoked']);
    expect(actionFilter('group:nothing')).toBeUndefined();
  });

  it('has every action in one group only', () => {
    const all = ACTION_GROUPS.flatMap((group) => Object.keys(group.actions));
    expect(new Set(all).size).toBe(all.length);
  });

  it('writes detail values for people', () => {
    expect(describeDetailValue('ann@example.test')).toBe('ann@example.test');
    expect(describeDetailValue(24)).toBe('24');
    expect(describeDetailValue(['json', 'csv'])).toBe('json, csv');
    expect(describeDetailValue({ requestsPerSecond: 3 })).toBe('{"requestsPerSecond":3}');
    expect(describeDetailValue(null)).toBe('—');
  });

  it('turns a picked day into the first and last moment of it, in local time', () => {
    const start = dayBoundary('2026-11-05', 'start') ?? '';
    const end = dayBoundary('2026-11-05', 'end') ?? '';
    expect(new Date(end).getTime() - new Date(start).getTime()).toBe(24 * 3_600_000 - 1);
    expect(new Date(start).getHours()).toBe(0);
    expect(dayBoundary('', 'start')).toBeUndefined();
    expect(dayBoundary('2026-13-45', 'end')).toBeUndefined();
  });
});
