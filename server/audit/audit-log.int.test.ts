import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '@/server/errors';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { type AuditEntry, audited, recordAudit } from './audit-log';
import { AUDIT_PAGE_LIMIT, listAudit } from './audit-query';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
});
afterEach(async () => {
  await ctx.cleanup();
});

const T0 = Date.parse('2026-11-01T10:00:00Z');
const MINUTE = 60_000;

/** Records `entries` one minute apart from T0, in order. */
async function seed(entries: AuditEntry[]) {
  for (const [i, entry] of entries.entries()) await recordAudit(ctx.database.db, entry, new Date(T0 + i * MINUTE));
}

const actionsOf = async (filters: Parameters<typeof listAudit>[1]) => (await listAudit(ctx.database.db, filters)).entries.map((e) => e.action);

describe('listAudit', () => {
  beforeEach(async () => {
    await seed([
      { action: 'sign-in', actor: { id: 'u1', email: 'Ann@example.test' }, address: '192.0.2.1' },
      { action: 'sign-in-failed', outcome: 'refused', actor: { email: 'mallory@example.test' }, detail: { reason: 'wrong-password' } },
      { action: 'export.started', actor: { id: 'u1', email: 'ann@example.test' }, target: { type: 'export', id: 'e1' } },
      { action: 'user.role-changed', actor: { id: 'u2', email: 'root@example.test' }, target: { type: 'user', id: 'u1' }, detail: { to: 'admin' } },
      { action: 'user.removed', outcome: 'refused', actor: { id: 'u2', email: 'root@example.test' }, target: { type: 'user', id: 'u2' } },
      { action: 'export.downloaded', actor: { id: 'u3', email: 'bob_smith@example.test' }, target: { type: 'export', id: 'e1' } },
    ]);
  });

  it('lists newest first, every field as recorded', async () => {
    const { entries, nextCursor } = await listAudit(ctx.database.db);
    expect(entries.map((e) => e.action)).toEqual([
      'export.downloaded',
      'user.removed',
      'user.role-changed',
      'export.started',
      'sign-in-failed',
      'sign-in',
    ]);
    expect(nextCursor).toBeNull();
    expect(entries[3]).toMatchObject({
      at: new Date(T0 + 2 * MINUTE),
      outcome: 'ok',
      actorId: 'u1',
      actorEmail: 'ann@example.test',
      address: null,
      targetType: 'export',
      targetId: 'e1',
      detail: {},
    });
    expect(entries[5]).toMatchObject({ address: '192.0.2.1', targetType: null });
    expect(entries[4]?.detail).toEqual({ reason: 'wrong-password' });
  });

  it('filters by action (one or several), actor email (part of it, any case), outcome and target type', async () => {
    expect(await actionsOf({ action: 'sign-in' })).toEqual(['sign-in']);
    expect(await actionsOf({ action: ['sign-in', 'sign-in-failed'] })).toEqual(['sign-in-failed', 'sign-in']);
    expect(await actionsOf({ actorEmail: 'ANN@' })).toEqual(['export.started', 'sign-in']);
    // `_` is a character, not a wildcard.
    expect(await actionsOf({ actorEmail: 'b_s' })).toEqual(['export.downloaded']);
    expect(await actionsOf({ actorEmail: 'b%s' })).toEqual([]);
    expect(await actionsOf({ outcome: 'refused' })).toEqual(['user.removed', 'sign-in-failed']);
    expect(await actionsOf({ targetType: 'export' })).toEqual(['export.downloaded', 'export.started']);
    expect(await actionsOf({ targetType: 'user', outcome: 'ok' })).toEqual(['user.role-changed']);
  });

  it('filters by time, both ends included, from Dates or ISO strings', async () => {
    expect(await actionsOf({ from: new Date(T0 + 4 * MINUTE) })).toEqual(['export.downloaded', 'user.removed']);
    expect(await actionsOf({ to: new Date(T0 + MINUTE).toISOString() })).toEqual(['sign-in-failed', 'sign-in']);
    expect(await actionsOf({ from: new Date(T0 + 2 * MINUTE).toISOString(), to: new Date(T0 + 3 * MINUTE) })).toEqual([
      'user.role-changed',
      'export.started',
    ]);
    await expect(listAudit(ctx.database.db, { from: 'yesterday' })).rejects.toThrow();
  });

  it('pages by position: each page continues where the last stopped, even when entries are added meanwhile', async () => {
    const first = await listAudit(ctx.database.db, { limit: 4 });
    expect(first.entries.map((e) => e.action)).toEqual(['export.downloaded', 'user.removed', 'user.role-changed', 'export.started']);
    expect(first.nextCursor).toBe(first.entries[3]?.position);
    await recordAudit(ctx.database.db, { action: 'sign-out' });
    const second = await listAudit(ctx.database.db, { limit: 4, cursor: first.nextCursor ?? undefined });
    expect(second.entries.map((e) => e.action)).toEqual(['sign-in-failed', 'sign-in']);
    expect(second.nextCursor).toBeNull();
    // Exactly a page's worth left: the page that holds them is the last.
    const exact = await listAudit(ctx.database.db, { limit: 2, cursor: first.entries[1]?.position });
    expect(exact.entries.map((e) => e.action)).toEqual(['user.role-changed', 'export.started']);
    expect(exact.nextCursor).toBe(exact.entries[1]?.position);
    const filtered = await listAudit(ctx.database.db, { targetType: 'export', limit: 1 });
    expect((await listAudit(ctx.database.db, { targetType: 'export', limit: 1, cursor: filtered.nextCursor ?? undefined })).entries[0]?.action).toBe(
      'export.started',
    );
  });

  it(`gives at most ${AUDIT_PAGE_LIMIT} entries a page and refuses a bigger limit`, async () => {
    await expect(listAudit(ctx.database.db, { limit: AUDIT_PAGE_LIMIT + 1 })).rejects.toThrow();
    await expect(listAudit(ctx.database.db, { limit: 0 })).rejects.toThrow();
    for (let i = 0; i < AUDIT_PAGE_LIMIT; i++) await recordAudit(ctx.database.db, { action: 'sign-in' });
    const page = await listAudit(ctx.database.db, { limit: AUDIT_PAGE_LIMIT });
    expect(page.entries).toHaveLength(AUDIT_PAGE_LIMIT);
    expect(page.nextCursor).not.toBeNull();
  });
});

describe('audited', () => {
  const entry: Omit<AuditEntry, 'outcome'> = { action: 'user.removed', actor: { id: 'u2', email: 'root@example.test' }, address: '192.0.2.7', detail: { email: 'a@example.test' } };

  it('records a change that succeeded as ok, completed with what its result tells', async () => {
    expect(await audited(ctx.database.db, entry, async () => 'u9', (id) => ({ target: { type: 'user', id }, detail: { role: 'viewer' } }))).toBe('u9');
    const [row] = (await listAudit(ctx.database.db)).entries;
    expect(row).toMatchObject({ action: 'user.removed', outcome: 'ok', actorEmail: 'root@example.test', address: '192.0.2.7', targetId: 'u9', detail: { email: 'a@example.test', role: 'viewer' } });
  });

  it('records a refusal with its reason, and rethrows it; an unexpected error is rethrown unrecorded', async () => {
    const refusal = new DomainError('INVALID_STATE', 'Cannot remove the last enabled admin');
    await expect(audited(ctx.database.db, entry, () => Promise.reject(refusal))).rejects.toBe(refusal);
    const bug = new Error('disk I/O error');
    await expect(audited(ctx.database.db, entry, () => Promise.reject(bug))).rejects.toBe(bug);
    const { entries } = await listAudit(ctx.database.db);
    expect(entries.map((e) => [e.outcome, e.detail])).toEqual([['refused', { email: 'a@example.test', reason: 'Cannot remove the last enabled admin' }]]);
  });
});
