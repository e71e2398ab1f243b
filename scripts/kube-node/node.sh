#!/usr/bin/env bash
# A REAL Kubernetes node for the tests, on this host, joined to a control plane the test started (kwokctl):
# a containerd of its own (own root, state and socket; not Docker's), CNI bridge networking from Debian's
# containernetworking-plugins, a bridge carrying the node IP (kubelet refuses loopback), FORWARD rules for
# the pod bridge (dockerd sets FORWARD to DROP), a pause image built here, kubelet, kube-proxy and CoreDNS
# on the host (pods resolve StatefulSet names through it), and hostPath PersistentVolumes.
#
#   node.sh up DIR KUBECONFIG   everything under DIR (a fresh temp dir), logs in DIR/logs
#   node.sh down DIR            stops it all and removes what `up` created outside DIR (bridges, iptables
#                               rules, network namespaces, mounts); safe to run twice or after a failed up
#   node.sh load DIR IMAGE      copies a Docker image into the node's containerd (docker save | ctr import)
# One such node per machine (fixed bridge names and addresses; `down` removes every KUBE-* iptables chain).
# Root only. Binaries: $CITUS_LAB_KUBE_TOOLS_BIN (default ~/.cache/citus-lab/tools/k8s-v1.36.1/bin), from
# scripts/k8s-test-tools.sh and scripts/k8s-node-tools.sh. Addresses: CITUS_LAB_NODE_NET (default 10.213).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd -P)"
LOG_NAME=kube-node
. "$here/../containers/lib.sh"

BIN="${CITUS_LAB_KUBE_TOOLS_BIN:-$HOME/.cache/citus-lab/tools/k8s-${CITUS_LAB_KUBE_VERSION:-v1.36.1}/bin}"
NET="${CITUS_LAB_NODE_NET:-10.213}"
NODE_BRIDGE=cl-node0
POD_BRIDGE=cl-pods0
NODE_IP="$NET.0.1"
POD_SUBNET="$NET.128.0/24"
NODE_NAME=citus-lab-node
PAUSE_IMAGE=docker.io/citus-lab/pause:1
RULE_TAG=citus-lab-kube-node
# The node's images persist across runs (importing a 600 MB image takes minutes on 2 busy cores); the
# containerd state (containers, mounts, sockets) is per run, under DIR.
CONTAINERD_ROOT="${CITUS_LAB_KUBE_NODE_CACHE:-$HOME/.cache/citus-lab/kube-node}/containerd-root"

ctr_() { ctr --address "$dir/containerd/containerd.sock" --namespace k8s.io "$@"; }

# start NAME CMD...: runs CMD in the background, its log in DIR/logs/NAME.log and its pid in DIR/pids/NAME.
start() {
  local name="$1"
  shift
  setsid "$@" >>"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pids/$name"
}

wait_for() { # wait_for SECONDS WHAT CMD...
  local limit="$1" what="$2" since=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $((SECONDS - since)) -lt "$limit" ] || die "$what did not come up within $limit s (logs in $dir/logs)"
    sleep 0.5
  done
}

pause_image() {
  image_present "$PAUSE_IMAGE" && return 0
  local work
  work="$(mktemp -d)"
  (cd "$work" && cp "$here/pause.go" . && printf 'module citus-lab.invalid/pause\n\ngo 1.26\n' >go.mod &&
    CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o rootfs/pause . >&2)
  tar -C "$work/rootfs" -c pause | docker import --change 'ENTRYPOINT ["/pause"]' - "$PAUSE_IMAGE" >/dev/null
  rm -rf "$work"
}

write_configs() {
  mkdir -p "$CONTAINERD_ROOT" "$dir/containerd" "$dir/cni/net.d" "$dir/kubelet" "$dir/pv" "$dir/logs" "$dir/pids"
  cat >"$dir/containerd/config.toml" <<TOML
version = 2
root = "$CONTAINERD_ROOT"
state = "$dir/containerd/state"
[grpc]
  address = "$dir/containerd/containerd.sock"
[ttrpc]
  address = "$dir/containerd/containerd.sock.ttrpc"
[debug]
  address = "$dir/containerd/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: without this every sandbox fails ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
TOML
  cat >"$dir/cni/net.d/10-citus-lab.conflist" <<JSON
{"cniVersion": "0.4.0", "name": "citus-lab", "plugins": [
  {"type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_SUBNET"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$dir/cni/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}
]}
JSON
  cat >"$dir/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: ${CITUS_LAB_KUBELET_PORT:-26250}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${CITUS_LAB_KUBELET_HEALTHZ_PORT:-26248}
# A test node: the API server's calls (logs, port-forward) come without a client certificate.
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
# cgroups are v1 here.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$dir/containerd/containerd.sock
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
resolvConf: /etc/resolv.conf
evictionHard: {memory.available: 1Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
localStorageCapacityIsolation: false
serializeImagePulls: false
YAML
  cat >"$dir/coredns.conf" <<CORE
.:53 {
  bind $NODE_IP
  errors
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig $kubeconfig
    pods insecure
    ttl 1
    fallthrough in-addr.arpa ip6.arpa
  }
  forward . /etc/resolv.conf
}
CORE
  cat >"$dir/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:${CITUS_LAB_KUBE_PROXY_HEALTHZ_PORT:-26256}
metricsBindAddress: 127.0.0.1:${CITUS_LAB_KUBE_PROXY_METRICS_PORT:-26249}
clusterCIDR: $POD_SUBNET
# NodePorts on the node IP only, not on every address of this shared host.
nodePortAddresses: [$NODE_IP/32]
# No sysctl writes (not allowed here): keep the kernel's conntrack table as it is.
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
}

network_up() {
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || ip link add "$NODE_BRIDGE" type bridge
  ip addr replace "$NODE_IP/24" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  local d
  for d in -i -o; do
    iptables -C FORWARD "$d" "$POD_BRIDGE" -m comment --comment "$RULE_TAG" -j ACCEPT 2>/dev/null ||
      iptables -I FORWARD "$d" "$POD_BRIDGE" -m comment --comment "$RULE_TAG" -j ACCEPT
  done
}

persistent_volumes() {
  local i
  for i in 0 1 2 3; do
    mkdir -p "$dir/pv/pv-$i"
    cat <<YAML
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: citus-lab-test-pv-$i, labels: {citus-lab/test-node: "true"}}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  hostPath: {path: $dir/pv/pv-$i, type: DirectoryOrCreate}
YAML
  done | "$BIN/kubectl" --kubeconfig "$kubeconfig" apply -f - >&2
}

up() {
  [ "$(id -u)" = 0 ] || die "a real node needs root"
  local b
  for b in kubelet kube-proxy kubectl coredns; do [ -x "$BIN/$b" ] || die "no $b in $BIN: run scripts/k8s-node-tools.sh"; done
  [ -x /usr/lib/cni/bridge ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends containernetworking-plugins >&2
  docker_up || die "no Docker engine (the pause and lab images are built with it)"
  pause_image
  write_configs
  network_up
  start containerd containerd --config "$dir/containerd/config.toml"
  wait_for 30 containerd ctr_ version
  load "$PAUSE_IMAGE"
  start coredns "$BIN/coredns" -conf "$dir/coredns.conf"
  start kube-proxy "$BIN/kube-proxy" --config "$dir/kube-proxy.yaml"
  start kubelet "$BIN/kubelet" --config "$dir/kubelet/config.yaml" --kubeconfig "$kubeconfig" \
    --root-dir "$dir/kubelet/root" --cert-dir "$dir/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
  wait_for 120 "node $NODE_NAME Ready" "$BIN/kubectl" --kubeconfig "$kubeconfig" wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
  persistent_volumes
  log "node $NODE_NAME Ready at $NODE_IP"
}

# load IMAGE: imported once per tag (tags carry the image id, see test/support/kubeNode.ts).
load() {
  local ref="$1"
  [[ "$ref" == */*/* ]] || ref="docker.io/$ref"
  if ctr_ images ls -q | grep -qxF "$ref"; then log "$1 already in the node's containerd"; return 0; fi
  docker save "$1" | ctr_ images import - >/dev/null
}

stop_pid() {
  local f="$dir/pids/$1" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

down() {
  # Best effort, every step: a failed one must not keep the next from removing its part.
  set +e +o pipefail
  stop_pid kubelet
  stop_pid kube-proxy
  # kube-proxy's KUBE-* chains outlive it; --cleanup removes exactly those.
  [ -x "$BIN/kube-proxy" ] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  stop_pid coredns
  if [ -S "$dir/containerd/containerd.sock" ] && [ -f "$dir/pids/containerd" ]; then
    # Every container and sandbox of this containerd, so their shims, mounts and network namespaces go too.
    local id
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$id" 2>/dev/null || true; done
    sleep 1
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete --force "$id" >/dev/null 2>&1 || true; done
    for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$id" >/dev/null 2>&1 || true; done
  fi
  stop_pid containerd
  # Leftovers of a node that did not stop cleanly: mounts under DIR, the pods' network namespaces.
  grep -F " $dir/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  if [ -f "$dir/netns-before" ]; then
    comm -13 "$dir/netns-before" <(ls /var/run/netns 2>/dev/null | sort) | grep '^cni-' | xargs -r -n1 ip netns delete 2>/dev/null || true
  fi
  local d
  for d in -i -o; do
    while iptables -D FORWARD "$d" "$POD_BRIDGE" -m comment --comment "$RULE_TAG" -j ACCEPT 2>/dev/null; do :; done
  done
  # The bridge plugin's masquerade chains (one per pod, commented with the network name).
  iptables -t nat -S POSTROUTING 2>/dev/null | grep -F '"name: \"citus-lab\"' | sed 's/^-A /-D /' |
    while read -r rule; do eval "iptables -t nat $rule" 2>/dev/null || true; done
  iptables -t nat -S 2>/dev/null | sed -n 's/^-N \(CNI-[0-9a-f]*\)$/\1/p' | while read -r chain; do
    if iptables -t nat -S "$chain" 2>/dev/null | grep -qF 'citus-lab'; then
      iptables -t nat -F "$chain" 2>/dev/null; iptables -t nat -X "$chain" 2>/dev/null || true
    fi
  done
  # kubelet's own chains (KUBE-FIREWALL, KUBE-KUBELET-CANARY) outlive it as well. Every KUBE-* chain goes:
  # this is the only kubelet or kube-proxy a test machine runs (one real node per machine, see above).
  local cmd t c
  for cmd in iptables ip6tables; do
    for t in filter nat mangle; do
      "$cmd" -t "$t" -S 2>/dev/null | grep -- '-j KUBE-' | grep -v '^-A KUBE-' | sed 's/^-A /-D /' |
        while read -r rule; do eval "$cmd -t $t $rule" 2>/dev/null || true; done
      for c in $("$cmd" -t "$t" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[A-Z0-9-]*\)$/\1/p'); do "$cmd" -t "$t" -F "$c" 2>/dev/null || true; done
      for c in $("$cmd" -t "$t" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[A-Z0-9-]*\)$/\1/p'); do "$cmd" -t "$t" -X "$c" 2>/dev/null || true; done
    done
  done
  for b in "$POD_BRIDGE" "$NODE_BRIDGE"; do ip link delete "$b" 2>/dev/null || true; done
  log "node stopped; $NODE_BRIDGE, $POD_BRIDGE and the $RULE_TAG rules removed"
  return 0
}

cmd="${1:-}"
dir="${2:-}"
[ -n "$dir" ] || die "usage: node.sh up DIR KUBECONFIG | down DIR | load DIR IMAGE"
dir="$(realpath -m "$dir")"
case "$cmd" in
  up)
    kubeconfig="$(realpath "${3:?node.sh up DIR KUBECONFIG}")"
    mkdir -p "$dir"
    ls /var/run/netns 2>/dev/null | sort >"$dir/netns-before" || true
    up ;;
  down) down ;;
  load) load "${3:?node.sh load DIR IMAGE}" ;;
  *) die "usage: node.sh up DIR KUBECONFIG | down DIR | load DIR IMAGE" ;;
esac
