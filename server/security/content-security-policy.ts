/**
 * The Content-Security-Policy of the dashboard's pages (set by proxy.ts with a fresh nonce for
 * every page view; next.config.js sets the other security headers and the API's policy).
 *
 * Next.js puts inline scripts in every page (the React Server Components payload, the bootstrap).
 * Its documented way to allow them without 'unsafe-inline' is a nonce: the proxy puts it in the
 * request's Content-Security-Policy header, Next reads it there and adds it to each of its script
 * and style tags. That needs every page rendered per request (app/layout.tsx awaits
 * `connection()`), which costs nothing here: the dashboard reads live data anyway.
 */
export function contentSecurityPolicy(nonce: string, development = false): string {
  const directives = [
    "default-src 'self'",
    // 'strict-dynamic': scripts the nonced ones load (Next's chunks) run too; nothing else does.
    // React reads stack traces with eval in development only.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ''}`,
    // Next's dev server injects styles without a nonce.
    `style-src 'self' ${development ? "'unsafe-inline'" : `'nonce-${nonce}'`}`,
    // style="…" attributes (a progress bar's width): they cannot run or load anything.
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  return directives.join('; ');
}

/** A fresh nonce: 128 random bits, base64. */
export function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}
