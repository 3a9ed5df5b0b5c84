#!/usr/bin/env bash
# Installs the Debian 12 packages shmq builds and tests with (only what is missing).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config python3
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  liburing-dev libxxhash-dev libssl-dev libsodium-dev libcurl4-openssl-dev
  libbenchmark-dev catch2 libcli11-dev libtomlplusplus-dev libfmt-dev libspdlog-dev
  awscli python3-boto3 openssl
  clang libclang-rt-14-dev
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi
