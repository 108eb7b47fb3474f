#!/usr/bin/env bash
# A second Docker Engine "on another machine" for test/e2e/remote.test.ts: a dockerd in a
# network namespace of its own (tugrm, 10.214.0.2 on bridge tugrm0, 10.214.0.1 on this side),
# listening on TCP with TLS (certificates made here: a CA, a server certificate for
# 10.214.0.2, a client certificate, and wrong ones) and reachable over SSH through an sshd in
# the same namespace (port 2222, host key, client key and known_hosts made here).
#
#   remote-engine.sh up     tears down whatever a killed run left, then sets everything up
#   remote-engine.sh down   removes the engine, its data, sshd, the namespace and the bridge
#
# Everything stays on this machine: the only addresses used are 10.214.0.1 and 10.214.0.2.
# Files: /run/tugrm (certificates, keys, ssh configs, sockets, pid files), /var/lib/tugrm-docker.
# Needs engine-up.sh's engine (for the busybox image) and root.
set -euo pipefail
NS=tugrm BR=tugrm0 VETH=tugrm-h HOST_IP=10.214.0.1 NS_IP=10.214.0.2 SSH_PORT=2222
STATE=/run/tugrm DATA=/var/lib/tugrm-docker
SOCK=unix://$STATE/docker.sock
HERE="$(cd "$(dirname "$0")" && pwd)"

alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }

# Stops the process in pid file $1 (TERM, then KILL after $2 seconds).
stop_pidfile() {
  local f=$1 secs=$2 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq $((secs * 4))); do alive "$pid" || break; sleep 0.25; done
    alive "$pid" && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

down() {
  stop_pidfile "$STATE/sshd.pid" 5
  if [ -S "$STATE/docker.sock" ] && timeout 10 docker -H "$SOCK" info >/dev/null 2>&1; then
    timeout 30 docker -H "$SOCK" ps -aq | xargs -r timeout 30 docker -H "$SOCK" rm -f >/dev/null 2>&1 || true
  fi
  stop_pidfile "$STATE/docker.pid" 30
  grep -E " ($DATA|$STATE)[/ ]" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  [ -e /var/run/netns/$NS ] && ip netns del $NS 2>/dev/null || true
  ip link show $VETH >/dev/null 2>&1 && ip link del $VETH 2>/dev/null || true
  ip link show $BR >/dev/null 2>&1 && ip link del $BR 2>/dev/null || true
  rm -rf "$DATA" "$STATE"
}

certs() {
  cd "$STATE"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  # $1 name, $2 CN, $3 CA prefix, $4 extensions
  sign() {
    openssl req "${ec[@]}" -keyout "$1-key.pem" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
    printf '%b' "$4" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial -out "$1-cert.pem" -days 2 -extfile "$1.ext" 2>/dev/null
  }
  openssl req -x509 "${ec[@]}" -keyout ca-key.pem -out ca.pem -days 2 -subj "/CN=tugrm test CA" 2>/dev/null
  openssl req -x509 "${ec[@]}" -keyout foreign-ca-key.pem -out foreign-ca.pem -days 2 -subj "/CN=some other CA" 2>/dev/null
  sign server tugrm ca "subjectAltName=IP:$NS_IP\nextendedKeyUsage=serverAuth\n"
  sign client tug-e2e ca "extendedKeyUsage=clientAuth\n"
  sign foreign-client tug-e2e foreign-ca "extendedKeyUsage=clientAuth\n"
  # DOCKER_CERT_PATH directories: the right one, one whose CA is not the engine's, one whose
  # client certificate the engine's CA did not sign.
  mkdir -p tls wrong-ca wrong-client
  cp ca.pem tls/ca.pem; cp client-cert.pem tls/cert.pem; cp client-key.pem tls/key.pem
  cp foreign-ca.pem wrong-ca/ca.pem; cp client-cert.pem wrong-ca/cert.pem; cp client-key.pem wrong-ca/key.pem
  cp ca.pem wrong-client/ca.pem; cp foreign-client-cert.pem wrong-client/cert.pem; cp foreign-client-key.pem wrong-client/key.pem
  chmod 600 ./*key.pem ./*/key.pem
  cd - >/dev/null
}

ssh_files() {
  cd "$STATE"
  ssh-keygen -q -t ed25519 -N '' -C tugrm-host -f ssh_host_ed25519_key
  ssh-keygen -q -t ed25519 -N '' -C tug-e2e -f id_ed25519
  cp id_ed25519.pub authorized_keys
  echo "[$NS_IP]:$SSH_PORT $(cut -d' ' -f1,2 ssh_host_ed25519_key.pub)" >known_hosts
  : >known_hosts_empty
  cat >sshd_config <<EOF
Port $SSH_PORT
ListenAddress $NS_IP
HostKey $STATE/ssh_host_ed25519_key
PidFile $STATE/sshd.pid
AuthorizedKeysFile $STATE/authorized_keys
PermitRootLogin prohibit-password
AllowUsers root
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
# The remote side's "docker system dial-stdio" finds the docker CLI and talks to this namespace's engine.
SetEnv DOCKER_HOST=$SOCK PATH=$(dirname "$(command -v docker)"):/usr/local/bin:/usr/bin:/bin
EOF
  # The client side: ssh reads ~ from the password database, not $HOME, so the tests put a
  # wrapper named ssh first in PATH that adds -F with one of these configs. Host keys are
  # checked as ssh's defaults say (StrictHostKeyChecking ask: without a terminal, unknown fails).
  for kind in known unknown; do
    kh=$STATE/known_hosts; [ $kind = unknown ] && kh=$STATE/known_hosts_empty
    cat >ssh_config_$kind <<EOF
Host *
  UserKnownHostsFile $kh
  GlobalKnownHostsFile /dev/null
  IdentityFile $STATE/id_ed25519
  IdentitiesOnly yes
  IdentityAgent none
  ControlMaster no
EOF
    mkdir -p bin-$kind
    printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$STATE/ssh_config_$kind" >bin-$kind/ssh
    chmod 755 bin-$kind/ssh
  done
  cd - >/dev/null
}

up() {
  down
  bash "$HERE/../../scripts/sshd-install.sh" >/dev/null
  mkdir -p "$STATE" "$DATA"; chmod 700 "$STATE"
  certs
  ssh_files
  ip link add $BR type bridge; ip addr add $HOST_IP/24 dev $BR; ip link set $BR up
  ip netns add $NS
  ip link add $VETH type veth peer name eth0 netns $NS
  ip link set $VETH master $BR up
  ip -n $NS addr add $NS_IP/24 dev eth0
  ip -n $NS link set eth0 up; ip -n $NS link set lo up
  ip -n $NS route add default via $HOST_IP
  # nsenter --net, not ip netns exec (which remounts /sys and hides the cgroups from dockerd).
  nohup nsenter --net=/var/run/netns/$NS dockerd --data-root "$DATA" --exec-root "$STATE/x" --pidfile "$STATE/docker.pid" \
    -H "$SOCK" -H "tcp://$NS_IP:2376" --tlsverify --tlscacert "$STATE/ca.pem" --tlscert "$STATE/server-cert.pem" --tlskey "$STATE/server-key.pem" \
    >"$STATE/dockerd.log" 2>&1 &
  mkdir -p /run/sshd; chmod 755 /run/sshd
  nsenter --net=/var/run/netns/$NS /usr/sbin/sshd -f "$STATE/sshd_config" -E "$STATE/sshd.log"
  for _ in $(seq 120); do docker -H "$SOCK" info >/dev/null 2>&1 && break; sleep 0.5; done
  if ! docker -H "$SOCK" info >/dev/null 2>&1; then
    echo "remote-engine: dockerd did not come up; last lines of $STATE/dockerd.log:" >&2
    tail -n 5 "$STATE/dockerd.log" >&2
    exit 1
  fi
  docker save busybox:latest | docker -H "$SOCK" load -q >/dev/null
  for _ in $(seq 20); do [ -f "$STATE/sshd.pid" ] && break; sleep 0.25; done
  docker -H "$SOCK" version --format "remote engine {{.Server.Version}} (API {{.Server.APIVersion}}) on tcp://$NS_IP:2376 and ssh://root@$NS_IP:$SSH_PORT"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
