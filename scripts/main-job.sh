#!/usr/bin/env bash
# The README's main job on a machine where Docker Hub is unreachable: start the default machine
# and run nginx published on the host, then show it answering.
#
# Images come from the project's fixture images (busybox from busybox-static, nginx from
# debootstrap; see test/fixtures), served by a local registry on the host's 127.0.0.1:$PORT for
# the length of this script. The default machine uses it as its docker.io mirror: from the guest,
# the host's loopback is 10.0.2.2 (QEMU user networking). Run it after `npm ci` (which builds).
#   TSD_FIXTURE_PORT  the registry's port on 127.0.0.1 (default 5055)
#   TSD_NGINX_PORT    the host port nginx is published on (default 8080)
set -euo pipefail
cd "$(dirname "$0")/.."

registry_port="${TSD_FIXTURE_PORT:-5055}"
nginx_port="${TSD_NGINX_PORT:-8080}"
mirror="10.0.2.2:${registry_port}"
machine_file="${TSD_HOME:-$HOME/.tsd}/machines/default/machine.yaml"
tsd() { node bin/run.js "$@"; }

# 1. The fixture registry, one Node process (it stops its docker-registry child when it ends).
registry_log="$(mktemp)"
node --import tsx/esm test/fixtures/serve-fixture-registry.ts --port "$registry_port" >"$registry_log" 2>&1 &
registry_pid=$!
trap 'kill "$registry_pid" 2>/dev/null || true; rm -f "$registry_log"' EXIT
echo "building the fixture images (the first time: debootstrap of nginx, a few minutes) ..." >&2
until grep -q '^{' "$registry_log"; do
  if ! kill -0 "$registry_pid" 2>/dev/null; then
    cat "$registry_log" >&2
    echo "the fixture registry did not start (is 127.0.0.1:${registry_port} free? set TSD_FIXTURE_PORT)" >&2
    exit 1
  fi
  sleep 1
done

# 2. The default machine, with the registry as its docker.io mirror.
if [[ ! -f "$machine_file" ]]; then
  spec="$(mktemp --suffix=.yaml)"
  printf 'registryMirrors: ["http://%s"]\ninsecureRegistries: ["%s"]\n' "$mirror" "$mirror" >"$spec"
  tsd machine create default -f "$spec"
  rm -f "$spec"
elif ! grep -q "$mirror" "$machine_file"; then
  echo "the machine \"default\" exists without the mirror http://${mirror} in ${machine_file}:" >&2
  echo "add registryMirrors: [\"http://${mirror}\"] and insecureRegistries: [\"${mirror}\"], or \`tsd machine delete default\`" >&2
  exit 1
fi
if [[ "$(tsd machine status default --json | node -e 'process.stdin.on("data", (d) => process.stdout.write(JSON.parse(d).state))')" != running ]]; then
  tsd machine start default
fi

# 3. nginx published on the host, and its answer.
tsd rm -f tsd-nginx >/dev/null 2>&1 || true
tsd run -d --name tsd-nginx -p "${nginx_port}:80" nginx
curl -fsS "http://localhost:${nginx_port}/"
echo "nginx answers on http://localhost:${nginx_port}/ (stop it with: npx tsd rm -f tsd-nginx)" >&2
