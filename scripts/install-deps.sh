#!/usr/bin/env bash
# Installs the Debian packages netdiag's lab and tests use, only where missing. Needs root
# (the lab builds network namespaces); without root it prints what to install and fails.
set -euo pipefail

declare -A pkg_for=(
  [ip]=iproute2 [bridge]=iproute2 [iptables]=iptables [sshd]=openssh-server [ssh]=openssh-client
  [tcpdump]=tcpdump [ping]=iputils-ping [ethtool]=ethtool [sudo]=sudo [pgrep]=procps
  [dig]=dnsutils [curl]=curl [openssl]=openssl [ansible-playbook]=ansible-core [xargs]=findutils
)
missing=()
for bin in "${!pkg_for[@]}"; do
  if ! command -v "$bin" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$bin" ]; then missing+=("${pkg_for[$bin]}"); fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all Debian packages present"
else
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root, or install: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# sshd's privilege-separation directory is created by the service unit, which never runs here.
mkdir -p /run/sshd
if ! command -v kubectl >/dev/null 2>&1; then
  echo "install-deps: note: kubectl not on PATH (kubectl steps and the kubectl lab tests need it)" >&2
fi
