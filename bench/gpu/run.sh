#!/usr/bin/env bash
# The full-size InternVL2-1B benchmark on an NVIDIA GPU: our runtime through Dawn's Vulkan backend and the PyTorch
# CUDA reference (bf16, SDPA; bench/gpu/torch_cuda_bench.py) on the same card, one table at the end.
#
# Needs: this working tree + the bundle from `bash bench/gpu/pack.sh` (out/gpu-bundle: node, dawn.node, the
# bundled bench, the Vulkan loader), a Linux x86-64 machine with an NVIDIA GPU and driver (Vulkan ICD), and a
# python3 with a CUDA PyTorch. No network. About 3–6 minutes on an H100 (most of it writing the 1.9 GB
# synthetic checkpoint); --quick trims the workloads.
#
#   bash bench/gpu/run.sh [--quick] [--model DIR] [-- extra bench/model.ts flags]
# Env: BUNDLE (default out/gpu-bundle), WORK (default /tmp/internvl-gpu-bench), OUT (results folder, default
# $WORK/results), PYTHON (default python3).
# Exit codes: 0 ok; 2 no NVIDIA GPU; 3 no CUDA PyTorch; 4 no Vulkan ICD / Dawn finds no NVIDIA adapter; 5 no bundle.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUNDLE=${BUNDLE:-$ROOT/out/gpu-bundle}
WORK=${WORK:-/tmp/internvl-gpu-bench}
RESULTS=${OUT:-$WORK/results}
PYTHON=${PYTHON:-python3}
MODEL=""
FLAGS=(--full)
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) FLAGS=(--tiles 1,13 --prompt-tokens 512 --new-tokens 64 --reps 3) ;;
    --model) MODEL=$2; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "run.sh: unknown argument $1 (see the header of bench/gpu/run.sh)" >&2; exit 64 ;;
  esac
  shift
done
say() { echo "[gpu-bench $(date +%T)] $*" >&2; }
die() { local code=$1; shift; echo "run.sh: $*" >&2; exit "$code"; }
T0=$(date +%s)

# 1. The GPU and its driver.
if ! command -v nvidia-smi >/dev/null 2>&1 && ! ls /dev/nvidia0 >/dev/null 2>&1; then
  die 2 "no NVIDIA GPU: nvidia-smi is not installed and there is no /dev/nvidia0 (this benchmark needs an NVIDIA GPU with its driver)"
fi
if command -v nvidia-smi >/dev/null 2>&1; then
  GPU_NAME=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n1)
  [ -n "$GPU_NAME" ] || die 2 "no NVIDIA GPU: nvidia-smi lists no device ($(nvidia-smi -L 2>&1 | head -n1))"
  say "GPU: $GPU_NAME"
fi

# 2. CUDA PyTorch.
command -v "$PYTHON" >/dev/null 2>&1 || die 3 "no $PYTHON on PATH (set PYTHON=/path/to/python3 with a CUDA PyTorch)"
TORCH=$("$PYTHON" -c 'import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())' 2>&1) || die 3 "PyTorch is not importable by $PYTHON: ${TORCH##*$'\n'}"
case "$TORCH" in
  *" True") say "PyTorch $TORCH" ;;
  *" None "*) die 3 "PyTorch $TORCH is a CPU-only build: CUDA is missing" ;;
  *) die 3 "PyTorch $TORCH: torch.cuda.is_available() is False (driver/CUDA mismatch or no GPU visible)" ;;
esac

# 3. Our bundle: node, dawn.node, the bundled bench.
[ -f "$BUNDLE/node.xz" ] && [ -f "$BUNDLE/app.tar.xz" ] || die 5 "no bundle in $BUNDLE: run 'bash bench/gpu/pack.sh' on the build machine and carry out/gpu-bundle"
mkdir -p "$WORK/bin" "$RESULTS"
if [ ! -x "$WORK/bin/node" ] || [ "$BUNDLE/node.xz" -nt "$WORK/bin/node" ]; then xz -dc "$BUNDLE/node.xz" > "$WORK/bin/node" && chmod +x "$WORK/bin/node"; fi
rm -rf "$WORK/app" && tar -C "$WORK" -xJf "$BUNDLE/app.tar.xz" || die 5 "cannot unpack $BUNDLE/app.tar.xz"
NODE="$WORK/bin/node"
"$NODE" --version >/dev/null || die 5 "the bundled node does not run here"

# 4. Vulkan: the loader (bundled if the system has none) and NVIDIA's ICD.
if ! (ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'); then
  [ -f "$BUNDLE/vulkan/libvulkan.so.1" ] || die 4 "no Vulkan loader (libvulkan.so.1) on this machine or in the bundle"
  export LD_LIBRARY_PATH="$BUNDLE/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "Vulkan loader: bundled ($BUNDLE/vulkan)"
fi
ICD=${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-}}
if [ -z "$ICD" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json /usr/local/share/vulkan/icd.d/nvidia_icd*.json; do
    [ -f "$f" ] && { ICD=$f; break; }
  done
fi
[ -n "$ICD" ] || die 4 "no NVIDIA Vulkan ICD (nvidia_icd.json) in /usr/local/nvidia/share/vulkan/icd.d, /usr/share/vulkan/icd.d or /etc/vulkan/icd.d: install the driver's Vulkan component or set VK_DRIVER_FILES"
export VK_DRIVER_FILES=$ICD VK_ICD_FILENAMES=$ICD
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
say "Vulkan ICD: $ICD"
ADAPTER=$(cd "$WORK/app" && "$NODE" --input-type=module -e "
  import { create, globals } from 'webgpu';
  Object.assign(globalThis, globals);
  const gpu = create([]); globalThis.keep = gpu;
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) { console.log('NONE'); process.exit(0); }
  const i = a.info; console.log([i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' '));
  process.exit(0);" 2>&1 | tail -n1)
case "$ADAPTER" in
  NONE|"") die 4 "Dawn (Vulkan) finds no adapter with ICD $ICD" ;;
  *llvmpipe*|*lavapipe*|*SwiftShader*|*swiftshader*) die 4 "Dawn picked a software adapter ($ADAPTER), not the NVIDIA GPU: check the ICD ($ICD)" ;;
  *) say "WebGPU adapter: $ADAPTER" ;;
esac

# 5. The synthetic full-size checkpoint (InternVL2-1B's 637 tensors, random weights: the real cost).
if [ -z "$MODEL" ]; then
  MODEL="$WORK/internvl2-1b-synthetic-seed1"
  if [ ! -f "$MODEL/model.safetensors" ]; then
    say "writing the full-size synthetic checkpoint to $MODEL"
    rm -rf "$MODEL.partial" && (cd "$WORK/app" && "$NODE" make_checkpoint.mjs --preset full --seed 1 --out "$MODEL.partial") && mv "$MODEL.partial" "$MODEL" || die 1 "checkpoint generation failed"
  fi
fi

# 6. Ours (Dawn/Vulkan), then PyTorch CUDA on the very same workload, then one table.
say "ours: bench/model.ts ${FLAGS[*]} ${EXTRA[*]:-}"
(cd "$WORK/app" && "$NODE" bench.mjs --model "$MODEL" "${FLAGS[@]}" "${EXTRA[@]}" --no-torch --no-write --json --workload-out "$WORK/workload.json") > "$RESULTS/ours.jsonl" || die 1 "our benchmark failed"
say "PyTorch CUDA bf16 (SDPA)"
PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/bench/gpu/torch_cuda_bench.py" --model "$MODEL" --workload "$WORK/workload.json" --dtypes bf16 > "$RESULTS/torch_cuda.json" || die 1 "the PyTorch CUDA benchmark failed"
(cd "$WORK/app" && "$NODE" bench.mjs --combine "$RESULTS/ours.jsonl" --torch-report "$RESULTS/torch_cuda.json" --out-dir "$RESULTS") | tee "$RESULTS/table.md"
say "done in $(( $(date +%s) - T0 )) s; results (results.jsonl, RESULTS.md, ratios.svg, table.md) in $RESULTS"
