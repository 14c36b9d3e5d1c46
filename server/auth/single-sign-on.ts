import type { Config } from '@/server/config';

/** Single sign-on through a generic OpenID Connect provider, when configured (none yet). */
export function singleSignOnPlugins(_config: Config): [] {
  return [];
}
