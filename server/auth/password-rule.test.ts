import { describe, expect, it } from 'vitest';
import { MIN_NEW_PASSWORD_LENGTH } from '@/components/ui/new-password-field';
import { MIN_PASSWORD_LENGTH } from './auth';

describe('the password rule', () => {
  it('is the same in the forms as on the server', () => {
    expect(MIN_NEW_PASSWORD_LENGTH).toBe(MIN_PASSWORD_LENGTH);
  });
});
