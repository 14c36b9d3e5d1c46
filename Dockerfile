# syntax=docker/dockerfile:1
# Notion Sync: one image for the dashboard (default), the standalone worker (`worker`), the CLI
# (`cli …`) and a copy of the embedded database (`backup`). docs/deploy.md says how to build, run and upgrade it; deploy/dockerfile.test.ts checks
# this file against the code (user, entry point, port, health check, what it copies).
#
# Debian (glibc), not Alpine: libSQL's native binary has failed on musl.

# ---- deps: the packages, from the lockfile exactly (patch-package applies patches/ on install)
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund

# ---- build: Next's standalone server, the worker and CLI bundles, and the packages those load
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# /runtime-modules sits outside /app, so trace-modules.mjs proves libsql loads from it alone.
RUN npm run build \
 && node scripts/build-bundles.mjs \
 && node deploy/container/trace-modules.mjs /runtime-modules dist/worker.cjs dist/worker-program.cjs dist/cli.cjs dist/cli-program.cjs dist/cli-users.cjs dist/katex.cjs

# ---- runtime: what runs, owned by root and read-only to the app's user; /data is the app's
FROM node:20-bookworm-slim AS runtime
# tini as process 1 passes SIGTERM on and reaps children: node as process 1 would ignore SIGTERM
# whenever the app sets no handler of its own (a dashboard with RUNNER_ENABLED=false).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    DATABASE_URL=file:/data/notion-sync.db \
    EXPORTS_DIR=/data/exports
# The database (WAL: a local disk, never NFS), the generated key file when NOTION_SYNC_SECRET is
# not set, and the exports. Owned by the app's user (1000, "node" in this image).
RUN mkdir -p /data/exports && chown -R 1000:1000 /data
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/dist/worker.cjs /app/dist/worker-program.cjs /app/dist/cli.cjs /app/dist/cli-program.cjs /app/dist/cli-users.cjs /app/dist/katex.cjs ./dist/
# The programs' V8 code caches, made by build-bundles.mjs for the node flags of package.json's worker
# and notion-sync scripts, which entrypoint.sh starts them with: started from a cache, the worker and
# the CLI skip parsing their programs and are ~6-10 MB smaller for their whole life. /app/dist is
# read-only to the app's user, so the starter could never write one here. A cache holds only for the
# node that made it (V8's tag is in its name): the build stage's base is this one; with another, the
# starter would find none and compile the source.
COPY --from=build /app/dist/*.code-cache ./dist/
COPY --from=build /runtime-modules/node_modules ./node_modules
COPY --from=build /app/db/migrations ./db/migrations
COPY --chmod=0755 deploy/container/entrypoint.sh ./deploy/container/entrypoint.sh
COPY deploy/container/healthcheck.mjs deploy/container/backup.mjs ./deploy/container/
USER 1000:1000
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "/app/deploy/container/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/deploy/container/entrypoint.sh"]
CMD ["dashboard"]
