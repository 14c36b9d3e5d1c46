import { expect, test } from './fixtures';

test('[SECURITY]: pages carry a fresh-nonce Content-Security-Policy that the dashboard runs under, and every answer the security headers', async ({ page, request }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy|Refused to (execute|load|apply)/i.test(message.text())) violations.push(message.text());
  });
  const first = await page.goto('/');
  const headers = first?.headers() ?? {};
  const policy = headers['content-security-policy'] ?? '';
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  for (const directive of ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"]) expect(policy).toContain(directive);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-powered-by']).toBeUndefined();
  // Hydrated under the policy: the client's query filled the settings form.
  await expect(page.getByRole('heading', { level: 1, name: 'Notion Sync' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Connections' })).toBeVisible();
  const second = await page.goto('/');
  expect(second?.headers()['content-security-policy']).not.toBe(policy);
  expect(violations).toEqual([]);

  const health = await request.get('/api/health');
  expect(health.headers()['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  expect(health.headers()['x-content-type-options']).toBe('nosniff');
  expect(await health.text()).not.toMatch(/\/data\/|file:|notion-sync\.db/);

  for (const id of ['%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%252e%252e%252fetc', '..%2F..%2Fdata', '%00']) {
    const response = await request.get(`/api/exports/${id}/download`);
    expect([400, 404], id).toContain(response.status());
    expect(response.headers()['content-type'] ?? '', id).not.toContain('application/zip');
  }
});
