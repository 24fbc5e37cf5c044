#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install dependencies, build
# attnc, and compile every spec in specs/ through the front end to the attn
# dialect (out/mlir/NAME.mlir). Later stages add kernel libraries and a model
# run to this same command.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
cd "$ROOT"
tools/setup-deps.sh
BUILD_DIR=$ROOT/build tools/build.sh
mkdir -p out/mlir
ok=0
fail=0
printf '%-22s %-8s %s\n' spec status output
for spec in specs/*.attn; do
  name=$(basename "$spec" .attn)
  if build/bin/attnc --emit=mlir "$spec" -o "out/mlir/$name.mlir" 2>"out/mlir/$name.err"; then
    printf '%-22s %-8s %s\n' "$name" ok "out/mlir/$name.mlir ($(grep -c '' "out/mlir/$name.mlir") lines)"
    rm -f "out/mlir/$name.err"
    ok=$((ok + 1))
  else
    printf '%-22s %-8s %s\n' "$name" FAILED "out/mlir/$name.err"
    fail=$((fail + 1))
  fi
done
echo "run.sh: compiled $ok specs to the attn dialect, $fail failed"
[[ $fail -eq 0 ]]
