#!/usr/bin/env bash
# OpenSSH's server, which test/e2e/remote.test.ts runs in a network namespace of its own so
# that tug reaches a second engine over ssh:// (the client, ssh, is on every machine already).
# Idempotent: when sshd is there it only checks.
set -euo pipefail
if ! command -v sshd >/dev/null 2>&1 && [ ! -x /usr/sbin/sshd ]; then
  apt-get update -qq >/dev/null
  # The package's own start-up (a host key, the service) is not wanted: the test runs sshd itself.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server openssl >/dev/null
fi
/usr/sbin/sshd -V 2>&1 | head -n 1 || true
