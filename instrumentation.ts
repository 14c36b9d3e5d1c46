export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    // First, so every request carries the address the server saw (the audit log, sign-in limits).
    const [{ recordClientAddresses }, { loadConfig }] = await Promise.all([import('./server/security/client-address'), import('./server/config')]);
    const config = loadConfig();
    recordClientAddresses(config);
    // Then tracing, before anything makes a span: only when an OTLP endpoint is set (server/observability/tracing.ts).
    const { startTracing } = await import('./server/observability/tracing');
    await startTracing(config.tracing);
    const { boot } = await import('./server/boot');
    await boot();
  }
}
