export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    // First, so every request carries the address the server saw (the audit log, sign-in limits).
    const [{ recordClientAddresses }, { loadConfig }] = await Promise.all([import('./server/security/client-address'), import('./server/config')]);
    recordClientAddresses(loadConfig());
    const { boot } = await import('./server/boot');
    await boot();
  }
}
