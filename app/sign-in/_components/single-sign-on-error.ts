/**
 * Why single sign-on sent someone back to the sign-in page, in words. better-auth puts a code in
 * the `error` query parameter; only known codes are read, so a crafted link cannot put text of
 * its own on the page (its `error_description` is never shown).
 */
export function singleSignOnErrorMessage(code: string | undefined, displayName: string): string | undefined {
  if (!code) return undefined;
  switch (code) {
    case 'sso_no_role':
      return `Your ${displayName} account has no role here: ask an admin to add you to a group that gives one.`;
    case 'account_not_linked':
      return 'An account with this email exists already and signs in with a password: sign in with your email and password.';
    case 'access_denied':
      return `Signing in with ${displayName} was cancelled.`;
    case 'BANNED_USER':
      return 'This account is disabled: ask an admin.';
    case 'email_not_found':
      return `${displayName} gave no email address for your account: ask its administrator to add one.`;
    default:
      return `Signing in with ${displayName} did not complete: try again, or ask an admin.`;
  }
}
