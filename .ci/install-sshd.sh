#!/usr/bin/env bash
# What the SSH integration tests need on a CI machine: OpenSSH's server,
# ssh-keygen, sudo (for the sudo-step tests), and the test user `rbtest`.
# Idempotent; run as root. tests/sshd.py also creates the user if missing.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v sudo >/dev/null || need+=(sudo)
command -v pgrep >/dev/null || need+=(procps)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# sshd's privilege-separation folder (normally made by the service unit).
mkdir -p /run/sshd
chmod 0755 /run/sshd

if ! id rbtest >/dev/null 2>&1; then
  useradd -m -s /bin/sh rbtest
fi
# `*`, not `!`: no password login, yet the account is not "locked" for sshd.
usermod -p '*' rbtest
