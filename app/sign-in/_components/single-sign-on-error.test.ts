import { describe, expect, it } from 'vitest';
import { singleSignOnErrorMessage } from './single-sign-on-error';

describe('why single sign-on sent someone back', () => {
  it('says it in words for the codes better-auth and the role gate send, and one sentence for any other', () => {
    expect(singleSignOnErrorMessage(undefined, 'Keycloak')).toBeUndefined();
    expect(singleSignOnErrorMessage('sso_no_role', 'Keycloak')).toBe(
      'Your Keycloak account has no role here: ask an admin to add you to a group that gives one.',
    );
    expect(singleSignOnErrorMessage('account_not_linked', 'Keycloak')).toMatch(/signs in with a password/);
    expect(singleSignOnErrorMessage('access_denied', 'Keycloak')).toBe('Signing in with Keycloak was cancelled.');
    expect(singleSignOnErrorMessage('BANNED_USER', 'Keycloak')).toBe('This account is disabled: ask an admin.');
    expect(singleSignOnErrorMessage('email_not_found', 'Keycloak')).toMatch(/^Keycloak gave no email address/);
    // Anything else, however it is spelt, gets the same words: nothing of the link is echoed.
    expect(singleSignOnErrorMessage('<b>call 555-0100</b>', 'Keycloak')).toBe('Signing in with Keycloak did not complete: try again, or ask an admin.');
  });
});
