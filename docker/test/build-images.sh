#!/usr/bin/env bash
# Builds the images docker-compose.test.yml uses in place of registry images, on a machine that
# reaches Debian's packages, Maven Central and the npm registry but no container registry:
#
#   k2s-test/bookworm:12      a Debian bookworm root filesystem from debootstrap (--variant=minbase)
#   node:20-bookworm-slim     that, with this machine's Node 20 binary and npm from the npm registry;
#                             the K2S Dockerfile builds FROM it unchanged. Skipped when a real
#                             node:20-bookworm-slim is already there (pulled from a registry).
#   k2s-test/kafka:4.4.0      Debian's JRE and Kafka's jars from Maven Central (KRaft), configured
#                             from KAFKA_* variables like the apache/kafka image
#   k2s-test/redis:7          Debian's redis-server
#
# The StarRocks emulator and K2S itself are built by `docker-compose build` from this repository.
# Every build runs with --network host: dockerd here runs with --bridge=none, so a build container
# has no other network. Caches (git-ignored): .cache/docker/ (the root filesystem tarball, npm's
# tarball), .cache/kafka/ (the jars, shared with the test suite's broker).
set -euo pipefail
cd "$(dirname "$0")/../.."

cache=.cache/docker
mkdir -p "$cache"
step() { printf '[build-images] %s\n' "$*" >&2; }
# An image's label: "" when the image lacks it (a real, pulled image), "missing" when there is no image.
label_of() {
  if ! docker image inspect "$1" >/dev/null 2>&1; then echo missing; return; fi
  local value
  value="$(docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1")"
  if [ "$value" = "<no value>" ]; then value=""; fi
  echo "$value"
}
# A build's output goes to .cache/docker/<name>.log, shown only when the build fails.
build() {
  local name="$1"
  shift
  if ! docker build --network host "$@" >"$cache/$name.log" 2>&1; then
    echo "docker build of $name failed; the end of $cache/$name.log:" >&2
    tail -30 "$cache/$name.log" >&2
    return 1
  fi
}

# --- Debian bookworm -------------------------------------------------------------------------
rootfs_tar="$cache/bookworm-minbase.tar"
# A fresh clone on a machine that has the image already (CI after a session) skips debootstrap.
if [ ! -s "$rootfs_tar" ] && [ "$(label_of k2s-test/bookworm:12 k2s.rootfs)" = missing ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
  step "debootstrap --variant=minbase bookworm (first run only, about a minute)"
  staging="$(mktemp -d "$PWD/$cache/rootfs.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  debootstrap --variant=minbase bookworm "$staging" >"$cache/debootstrap.log" 2>&1 \
    || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  # The same Debian sources as this machine (its mirror, with security updates), where it says.
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$staging/etc/apt/sources.list.d/debian.sources"
    rm -f "$staging/etc/apt/sources.list"
  fi
  # As Debian's slim images do: no documentation, manual pages or translations in images, no
  # recommended packages; packages' archives and lists go with the layer that fetched them.
  cat >"$staging/etc/dpkg/dpkg.cfg.d/k2s-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$staging/etc/apt/apt.conf.d/k2s-slim"
  find "$staging/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  rm -rf "$staging"/usr/share/man/* "$staging"/usr/share/info/* "$staging"/var/cache/apt/archives/*.deb \
    "$staging"/var/lib/apt/lists/* "$staging"/var/log/* "$staging"/tmp/*
  find "$staging/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  tar -C "$staging" --numeric-owner -cf "$rootfs_tar.partial" .
  mv "$rootfs_tar.partial" "$rootfs_tar"
  rm -rf "$staging"
  trap - EXIT
fi
# Imported again whenever the tarball is not the one the image came from.
if [ -s "$rootfs_tar" ]; then
  tar_sum="$(stat -c %Y-%s "$rootfs_tar")"
  if [ "$(label_of k2s-test/bookworm:12 k2s.rootfs)" != "$tar_sum" ]; then
    step "docker import k2s-test/bookworm:12"
    docker import --change "LABEL k2s.rootfs=$tar_sum" --change 'CMD ["bash"]' "$rootfs_tar" k2s-test/bookworm:12 >/dev/null
  fi
fi

# --- node:20-bookworm-slim, Kafka and Redis, built side by side (mostly downloads) ------------
pids=()
npm_version=10.8.2 # the npm that Node 20's own releases bundle
if [ "$(label_of node:20-bookworm-slim k2s.stand-in)" = "" ]; then
  step "node:20-bookworm-slim: a real image is present, kept"
else
  node_bin="$(readlink -f "$(command -v node)")"
  case "$("$node_bin" --version)" in
    v20.*) ;;
    *) echo "node:20-bookworm-slim needs this machine's node to be Node 20, it is $("$node_bin" --version)" >&2; exit 1 ;;
  esac
  ctx="$cache/node-base"
  mkdir -p "$ctx"
  # Hard links keep the context cheap; docker build sees the same bytes and reuses its cache.
  ln -f "$node_bin" "$ctx/node" 2>/dev/null || cp -p "$node_bin" "$ctx/node"
  # npm in the image must trust what Node trusts here: where the network inspects TLS with a
  # certificate authority of its own, the registry's certificate chains up to that one.
  ca_file="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
  [ -s "$ca_file" ] || { echo "no CA bundle at $ca_file (apt-get install ca-certificates)" >&2; exit 1; }
  cp "$ca_file" "$ctx/ca-certificates.crt"
  if [ ! -s "$ctx/npm-$npm_version.tgz" ]; then
    step "npm pack npm@$npm_version"
    (cd "$ctx" && npm pack --silent "npm@$npm_version" >/dev/null)
  fi
  step "docker build node:20-bookworm-slim (the machine's $("$node_bin" --version), npm $npm_version)"
  build node-base --build-arg "NPM_VERSION=$npm_version" -f docker/test/node-base/Dockerfile -t node:20-bookworm-slim "$ctx" &
  pids+=($!)
fi

classpath="$(node --import tsx --input-type=module -e "const m = await import('./test/harness/kafka-jars.ts'); console.log(await m.kafkaClasspath())")"
ctx="$cache/kafka"
rm -rf "$ctx" && mkdir -p "$ctx"
cp -al "${classpath%/\*}" "$ctx/libs" 2>/dev/null || cp -a "${classpath%/\*}" "$ctx/libs"
cp docker/test/kafka/entrypoint.sh docker/test/kafka/log4j2.properties "$ctx/"
step "docker build k2s-test/kafka:4.4.0"
build kafka -f docker/test/kafka/Dockerfile -t k2s-test/kafka:4.4.0 "$ctx" &
pids+=($!)

step "docker build k2s-test/redis:7"
build redis -t k2s-test/redis:7 docker/test/redis &
pids+=($!)

failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" -eq 0 ] || exit 1
step "done: $(docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(k2s-test/(bookworm|kafka|redis)|node:20-bookworm-slim)' | tr '\n' ' ')"
