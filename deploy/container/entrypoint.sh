#!/bin/sh
# The image's entry point. One image, three ways to run it:
#   dashboard (the default)  the Next.js standalone server, with its runner unless RUNNER_ENABLED=false
#   worker                   a standalone runner on the same database (dist/worker.cjs)
#   cli <command> [options]  the command-line tool (dist/cli.cjs), e.g. `cli exports`, `cli users add …`
#   backup [<copy.db>]       a consistent copy of the embedded database (deploy/container/backup.mjs)
# Anything else runs as given (`sh`, `node -e …`). Each is started with exec, so the process gets
# SIGTERM from Docker or Kubernetes itself and gives its exports back before it exits.
set -eu

# The application's folder: this script lives in <app>/deploy/container/.
cd "$(dirname "$0")/../.."

# The worker's and the CLI's memory settings, as `npm run worker` and `npm run notion-sync` use them
# (package.json; deploy/container.test.ts keeps the two the same): the code caches in dist/ are made
# for these flags, and V8 takes a cache only with the flags it was made for.
NODE_FLAGS="--max-semi-space-size=1 --max-old-space-size=256 --v8-pool-size=1"

command="${1:-dashboard}"
[ "$#" -gt 0 ] && shift

case "$command" in
  dashboard)
    # Docker and Kubernetes set HOSTNAME to the container's name, and Next's standalone server
    # listens on HOSTNAME: listen on every interface instead. NEXT_MANUAL_SIG_HANDLE leaves
    # SIGTERM to the app, so the runner releases its exports (as scripts/start.mjs does).
    export HOSTNAME=0.0.0.0 NEXT_MANUAL_SIG_HANDLE=1
    exec node server.js "$@"
    ;;
  worker)
    # shellcheck disable=SC2086 # the flags are words
    exec node $NODE_FLAGS dist/worker.cjs "$@"
    ;;
  cli)
    # shellcheck disable=SC2086
    exec node $NODE_FLAGS dist/cli.cjs "$@"
    ;;
  backup)
    exec node deploy/container/backup.mjs "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac
