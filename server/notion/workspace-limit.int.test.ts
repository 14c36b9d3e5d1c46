import { afterEach, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createNotionGateway } from './notion-gateway';
import { RateLimiter } from './rate-limiter';
import { readMetricSnapshot } from '@/server/observability/metric-snapshot';
import { getWorkspaceLimiter, resetWorkspaceLimiters, setWorkspaceBudget, workspaceKey } from './workspace-limiter';

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
  resetWorkspaceLimiters();
});

describe('the gateway under a workspace limit (twin over HTTP)', () => {
  it('counts a workspace-level 429 against the workspace’s shared limiter (which pauses), never the token’s own', async () => {
    // Two requests a second for the whole workspace; each token alone may send far more.
    twin = await startTwin({
      workspace: { pages: 3, databases: 0 },
      tokens: ['secret_ws_a', 'secret_ws_b'],
      workspaceRateLimit: { windowMs: 1000, budget: 2 },
    });
    const workspace = workspaceKey(twin.url, { workspaceId: twin.workspace.workspaceId });
    const gateway = (token: string) =>
      createNotionGateway({ token, baseUrl: twin!.url, workspace, limiter: new RateLimiter({ requestsPerSecond: 100 }), maxAttempts: 2 });
    const a = gateway('secret_ws_a');
    const b = gateway('secret_ws_b');
    expect(a.workspaceLimiter).toBe(getWorkspaceLimiter(workspace!));
    expect(b.workspaceLimiter).toBe(a.workspaceLimiter);
    await a.client.users.me({});
    await b.client.users.me({});
    // The window is spent: A's next request is refused for the workspace, waited out, then answered.
    await a.client.users.me({});
    expect(a.stats()).toMatchObject({ rateLimited: 1, workspaceRateLimited: 1 });
    expect(a.workspaceLimiter?.stats()).toMatchObject({ rateLimited: 1, pauses: 1 });
    expect(a.limiter.stats().rateLimited).toBe(0);
    expect(twin.stats().rateLimited).toBe(1);
  });

  it('shows the System view each connection’s workspace and its workspace 429s', async () => {
    twin = await startTwin({ workspace: { pages: 3, databases: 0 }, tokens: ['secret_ws_d'], workspaceRateLimit: { windowMs: 1000, budget: 1 } });
    const workspace = workspaceKey(twin.url, { workspaceId: twin.workspace.workspaceId });
    setWorkspaceBudget(0.5);
    const gateway = createNotionGateway({ token: 'secret_ws_d', baseUrl: twin.url, workspace, connectionId: 'conn-ws-d', limiter: new RateLimiter({ requestsPerSecond: 100 }), maxAttempts: 2 });
    await gateway.client.users.me({});
    const seen = (await readMetricSnapshot()).connections.find((c) => c.connectionId === 'conn-ws-d');
    expect(seen).toMatchObject({ requests: 1, workspace: { key: workspace, budgetPerSecond: 0.5, sharedBy: 1, sharePerSecond: 0.5, pacedPerSecond: 0.5 } });
  });

  it('has no workspace limiter when the workspace is not known', async () => {
    twin = await startTwin({ workspace: { pages: 1, databases: 0 }, tokens: ['secret_ws_c'] });
    const gateway = createNotionGateway({ token: 'secret_ws_c', baseUrl: twin.url, workspace: workspaceKey(twin.url, {}) });
    expect(gateway.workspaceLimiter).toBeUndefined();
    await gateway.client.users.me({});
    expect(gateway.stats()).toMatchObject({ requests: 1, rateLimited: 0, workspaceRateLimited: 0 });
  });
});
