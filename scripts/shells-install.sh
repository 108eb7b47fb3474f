#!/usr/bin/env bash
# zsh and fish, which test/e2e/completion.test.ts drives the completion scripts in (bash is on
# every machine already). Idempotent: when both are there it only checks.
set -euo pipefail
if ! command -v zsh >/dev/null 2>&1 || ! command -v fish >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  # NEEDRESTART_SUSPEND: a library upgrade pulled in must not restart services (the engines).
  NEEDRESTART_SUSPEND=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zsh fish >/dev/null
fi
zsh --version
fish --version
