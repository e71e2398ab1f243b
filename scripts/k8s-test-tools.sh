#!/usr/bin/env bash
# Builds (or reuses) what the Kubernetes tests need for a real control plane on loopback, without Docker:
# kube-apiserver, kube-controller-manager and kube-scheduler from the Go module proxy, etcd likewise,
# and kwok + kwokctl (fake nodes and pod status; no container ever runs).
#
# Everything lands outside the repository, in ${CITUS_LAB_TOOLS_DIR:-~/.cache/citus-lab/tools}/k8s-<version>/bin,
# which is printed on the last line. Safe to run again: a binary that already reports the right version is kept.
# A cold build took ~12 minutes on 2 busy cores (and fills ~1.1 GB of Go module cache, ~3.6 GB of build cache);
# builds run under `nice -n 19` so other work keeps its CPU.
# Environment: CITUS_LAB_TOOLS_DIR (where), CITUS_LAB_KUBE_VERSION (which Kubernetes, default below).
#
# Why a wrapper module: k8s.io/kubernetes' go.mod replaces every k8s.io/* staging module with ./staging/...,
# so `go install k8s.io/kubernetes/cmd/...@vX` refuses. A throwaway main module that requires
# k8s.io/kubernetes and replaces each staging module with its published v0.X.Y twin builds the same code.
set -euo pipefail

KUBE_VERSION="${CITUS_LAB_KUBE_VERSION:-v1.36.1}" # kwok v0.8.0's default Kubernetes version
KWOK_VERSION=v0.8.0
ETCD_VERSION=v3.6.10 # what kwok v0.8.0 pairs with Kubernetes 1.36
TOOLS_DIR="${CITUS_LAB_TOOLS_DIR:-$HOME/.cache/citus-lab/tools}"
BIN_DIR="$TOOLS_DIR/k8s-$KUBE_VERSION/bin"

log() { printf 'k8s-test-tools: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

command -v go >/dev/null ||
  die "Go is not installed: install Go 1.26+ (it builds the Kubernetes binaries from the Go module proxy) and run this again."
[[ "$KUBE_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] ||
  die "CITUS_LAB_KUBE_VERSION must look like v1.36.1, got '$KUBE_VERSION'."
kube_minor="${BASH_REMATCH[1]}"
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

repo_root="$(cd "$(dirname "$0")/.." && pwd -P)"
BIN_DIR="$(realpath -m "$BIN_DIR")"
case "$BIN_DIR/" in
  "$repo_root"/*) die "CITUS_LAB_TOOLS_DIR points inside the repository ($BIN_DIR): choose a directory outside $repo_root." ;;
esac
mkdir -p "$BIN_DIR"

# Builds must not slow the tests other people run on the same 2 cores, and must not embed local paths.
export GOFLAGS="-trimpath -buildvcs=false"
export CGO_ENABLED=0
build() { nice -n 19 go "$@"; }

# has_version BINARY PATTERN: the binary exists and its --version output matches PATTERN.
# (Output captured first: `grep -q` closing the pipe early would fail the pipeline under pipefail.)
has_version() {
  [ -x "$BIN_DIR/$1" ] || return 1
  local out
  out="$("$BIN_DIR/$1" --version 2>&1)" || return 1
  grep -Eq "$2" <<<"$out"
}

work="$(mktemp -d "${TMPDIR:-/tmp}/citus-lab-k8s-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$SECONDS

# Installs the binaries built into $work/out/ (all at once, so an interrupted build leaves nothing half-done).
install_built() { for f in "$work"/out/*; do mv -f "$f" "$BIN_DIR/"; done; rmdir "$work/out"; }

# 1. kube-apiserver, kube-controller-manager, kube-scheduler.
kube_bins=(kube-apiserver kube-controller-manager kube-scheduler)
kube_missing=()
for b in "${kube_bins[@]}"; do has_version "$b" "Kubernetes ${KUBE_VERSION//./\\.}\$" || kube_missing+=("$b"); done
if [ ${#kube_missing[@]} -gt 0 ]; then
  log "building ${kube_missing[*]} $KUBE_VERSION from the Go module proxy (cold: ~8 minutes on 2 idle cores, far longer on busy ones)"
  mkdir -p "$work/kube" "$work/out"
  kube_gomod="$(cd "$work/kube" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$kube_gomod" ] ||
    die "could not download k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy: check GOPROXY and the version."
  {
    echo "module citus-lab.invalid/k8s-test-tools"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    # Every staging module k8s.io/kubernetes replaces locally, pinned to its published twin instead.
    sed -n 's|^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*$|\t\1 => \1 '"$staging_version"'|p' "$kube_gomod"
    echo ")"
  } >"$work/kube/go.mod"
  grep -q 'k8s.io/api => k8s.io/api ' "$work/kube/go.mod" ||
    die "no staging replace directives in k8s.io/kubernetes@$KUBE_VERSION's go.mod: this wrapper recipe needs updating."
  # Version stamps as Kubernetes' own build sets them: kwokctl reads `--version` to pick each component's flags.
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
    ldflags+=" -X $pkg.gitTreeState=clean"
  done
  (
    cd "$work/kube"
    pkgs=()
    for b in "${kube_missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
    GOFLAGS="$GOFLAGS -mod=mod" build build -ldflags "$ldflags" -o "$work/out/" "${pkgs[@]}"
  )
  install_built
else
  log "kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION present"
fi

# 2. etcd, built the same way (etcd's server module also carries local replace directives). Not Debian's
#    etcd-server: that is 3.4.23, older than the etcd Kubernetes 1.36 is released with (3.6, as kwok pairs it).
if ! has_version etcd "etcd Version: ${ETCD_VERSION#v}\$"; then
  log "building etcd $ETCD_VERSION from the Go module proxy"
  mkdir -p "$work/etcd" "$work/out"
  printf 'module citus-lab.invalid/etcd-test-tools\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$ETCD_VERSION" >"$work/etcd/go.mod"
  (
    cd "$work/etcd"
    GOFLAGS="$GOFLAGS -mod=mod" build build -ldflags "-s -w" -o "$work/out/etcd" go.etcd.io/etcd/server/v3
  )
  install_built
else
  log "etcd $ETCD_VERSION present"
fi

# 3. kwok and kwokctl: their module has no replace directives, so go install works as is.
for b in kwok kwokctl; do
  if has_version "$b" "${KWOK_VERSION//./\\.}"; then
    log "$b $KWOK_VERSION present"
    continue
  fi
  log "building $b $KWOK_VERSION (go install)"
  mkdir -p "$work/out"
  GOBIN="$work/out" build install "sigs.k8s.io/kwok/cmd/$b@$KWOK_VERSION"
  install_built
done

log "tools ready in $((SECONDS - started)) s"
echo "$BIN_DIR"
