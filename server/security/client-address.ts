/**
 * The address a request came from, as the server in front of the app reports it: the last entry
 * of `X-Forwarded-For` (the one the closest proxy, or Next's own server, appended). Undefined when
 * nothing says.
 */
export function clientAddressOf(headers: Headers): string | undefined {
  const forwarded = headers.get('x-forwarded-for');
  const last = forwarded?.split(',').at(-1)?.trim();
  return last || headers.get('x-real-ip')?.trim() || undefined;
}
