import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@/server/config';

describe('RUNNER_MAX_EXPORTS', () => {
  it('is 3 unless set, a whole number from 1 to 16', () => {
    expect(loadConfig({}).runnerMaxExports).toBe(3);
    expect(loadConfig({ RUNNER_MAX_EXPORTS: '' }).runnerMaxExports).toBe(3);
    expect(loadConfig({ RUNNER_MAX_EXPORTS: '5' }).runnerMaxExports).toBe(5);
    for (const bad of ['0', '17', '2.5', 'many']) {
      expect(() => loadConfig({ RUNNER_MAX_EXPORTS: bad }), bad).toThrow(ConfigError);
    }
  });
});
