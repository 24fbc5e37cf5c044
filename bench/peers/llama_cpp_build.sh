# Sourced by the llama.cpp peer scripts: builds llama.cpp (CPU, the copy
# vendored in the llama-cpp-python sdist on PyPI) into $PEERS/llama.cpp and
# the targets given as arguments (-j2, the machines have 2 cores). Sets LLAMA.
#   source bench/peers/llama_cpp_build.sh TARGET...
PEERS=${ATTNC_PEERS:-$HOME/.cache/attnc/peers}
LLAMA=$PEERS/llama.cpp
mkdir -p "$PEERS"
if [[ ! -f "$LLAMA/build/build.ninja" ]]; then
  (cd "$PEERS" && pip download -q --no-deps --no-binary :all: llama-cpp-python -d sdist)
  tar -xzf "$PEERS"/sdist/llama_cpp_python-*.tar.gz -C "$PEERS"
  src=$(ls -d "$PEERS"/llama_cpp_python-*/vendor/llama.cpp | head -1)
  rm -rf "$LLAMA" && mv "$src" "$LLAMA" && rm -f "$LLAMA/.git"
  cmake -S "$LLAMA" -B "$LLAMA/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >/dev/null
fi
ninja -C "$LLAMA/build" -j2 "$@" >/dev/null
