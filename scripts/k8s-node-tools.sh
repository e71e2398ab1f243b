#!/usr/bin/env bash
# Builds (or reuses) what a REAL Kubernetes node needs for the tests, next to the control-plane binaries of
# scripts/k8s-test-tools.sh: kubelet, kube-proxy and kubectl (same wrapper-module recipe: k8s.io/kubernetes'
# go.mod replaces its staging modules with ./staging/..., so a throwaway module pins their published twins),
# and CoreDNS (`go install` works as is). Into ${CITUS_LAB_TOOLS_DIR:-~/.cache/citus-lab/tools}/k8s-<version>/bin,
# printed on the last line; a binary already reporting the right version is kept. Builds run under nice -n 19.
# Cold (warm Go caches from the control-plane build): kubelet + kube-proxy + kubectl ~3.5 min, CoreDNS ~6 min.
set -euo pipefail

KUBE_VERSION="${CITUS_LAB_KUBE_VERSION:-v1.36.1}"
COREDNS_VERSION=v1.15.0
TOOLS_DIR="${CITUS_LAB_TOOLS_DIR:-$HOME/.cache/citus-lab/tools}"
BIN_DIR="$(realpath -m "$TOOLS_DIR/k8s-$KUBE_VERSION/bin")"

log() { printf 'k8s-node-tools: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

command -v go >/dev/null || die "Go is not installed: the node binaries are built from the Go module proxy."
[[ "$KUBE_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "CITUS_LAB_KUBE_VERSION must look like v1.36.1, got '$KUBE_VERSION'."
kube_minor="${BASH_REMATCH[1]}"
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
repo_root="$(cd "$(dirname "$0")/.." && pwd -P)"
case "$BIN_DIR/" in "$repo_root"/*) die "CITUS_LAB_TOOLS_DIR points inside the repository: choose a directory outside it." ;; esac
mkdir -p "$BIN_DIR"

export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0
build() { nice -n 19 go "$@"; }
has_version() {
  [ -x "$BIN_DIR/$1" ] || return 1
  local out
  out="$("$BIN_DIR/$1" "${@:3}" 2>&1)" || return 1
  grep -Eq "$2" <<<"$out"
}
work="$(mktemp -d "${TMPDIR:-/tmp}/citus-lab-k8s-node-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
install_built() { for f in "$work"/out/*; do mv -f "$f" "$BIN_DIR/"; done; rmdir "$work/out"; }

missing=()
has_version kubelet "Kubernetes ${KUBE_VERSION//./\\.}\$" --version || missing+=(kubelet)
has_version kube-proxy "Kubernetes ${KUBE_VERSION//./\\.}\$" --version || missing+=(kube-proxy)
has_version kubectl "${KUBE_VERSION//./\\.}" version --client || missing+=(kubectl)
if [ ${#missing[@]} -gt 0 ]; then
  log "building ${missing[*]} $KUBE_VERSION from the Go module proxy"
  mkdir -p "$work/kube" "$work/out"
  kube_gomod="$(cd "$work/kube" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$kube_gomod" ] || die "could not download k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy."
  {
    printf 'module citus-lab.invalid/k8s-node-tools\n\ngo 1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
    sed -n 's|^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*$|\t\1 => \1 '"$staging_version"'|p' "$kube_gomod"
    echo ")"
  } >"$work/kube/go.mod"
  grep -q 'k8s.io/api => k8s.io/api ' "$work/kube/go.mod" || die "no staging replace directives in k8s.io/kubernetes@$KUBE_VERSION's go.mod."
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor -X $pkg.gitTreeState=clean"
  done
  pkgs=()
  for b in "${missing[@]}"; do
    if [ "$b" = kubectl ]; then pkgs+=(k8s.io/kubernetes/cmd/kubectl); else pkgs+=("k8s.io/kubernetes/cmd/$b"); fi
  done
  (cd "$work/kube" && GOFLAGS="$GOFLAGS -mod=mod" build build -ldflags "$ldflags" -o "$work/out/" "${pkgs[@]}")
  install_built
else
  log "kubelet, kube-proxy, kubectl $KUBE_VERSION present"
fi

if ! has_version coredns "CoreDNS-${COREDNS_VERSION#v}" -version; then
  log "building coredns $COREDNS_VERSION (go install)"
  mkdir -p "$work/out"
  GOBIN="$work/out" build install "github.com/coredns/coredns@$COREDNS_VERSION"
  install_built
else
  log "coredns $COREDNS_VERSION present"
fi

log "node tools ready in $((SECONDS - started)) s"
echo "$BIN_DIR"
