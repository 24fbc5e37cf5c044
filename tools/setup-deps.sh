#!/usr/bin/env bash
# Installs everything attnc needs on a fresh Debian 12 machine. Idempotent:
# packages already present are skipped without touching apt.
set -euo pipefail

PKGS=(cmake ninja-build python3
      llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
      clang-19 lld-19 libclang-rt-19-dev
      libhalide14-0-dev libgtest-dev unzip)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup-deps: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for t in /usr/lib/llvm-19/bin/FileCheck /usr/lib/llvm-19/bin/mlir-tblgen \
         /usr/lib/llvm-19/build/utils/lit/lit.py /usr/bin/clang++-19; do
  [[ -e $t ]] || { echo "setup-deps: $t is missing after install" >&2; exit 1; }
done
echo "setup-deps: all dependencies present"
