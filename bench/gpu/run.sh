#!/usr/bin/env bash
# Everything a GPU session needs in one call (bench/gpu/pack.sh builds the bundle): on an NVIDIA GPU through
# Dawn's Vulkan backend, (1) every kernel variant checked against its float64 reference, with and without
# subgroups; (2) every kernel variant timed at the real shapes; (3) the full-size InternVL2-1B benchmark with the
# `gpu` profile and with the `cpu` profile; (4) the PyTorch CUDA reference (bf16, SDPA;
# bench/gpu/torch_cuda_bench.py) on the same workloads; one summary table at the end (summary.md), plus the
# gpu profile's table with PyTorch ratios (table.md); last, (5) bf16 against q8 and q4 weights (bench/quant.ts, one
# rep, no quality run: quant.md). A failed kernel check is reported, and the timings still run.
#
# Needs: this working tree + the bundle from `bash bench/gpu/pack.sh` (out/gpu-bundle: node, dawn.node, the
# bundled bench, the Vulkan loader), a Linux x86-64 machine with an NVIDIA GPU and driver (Vulkan ICD), and a
# python3 with a CUDA PyTorch. No network. Sized for ≤ 8 minutes on an H100/H200 (--quick, the default there,
# trims the model workloads; --full runs them all).
#
#   bash bench/gpu/run.sh [--quick | --full] [--model DIR] [-- extra bench/model.ts flags]
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
FLAGS=(--tiles 1,13 --prompt-tokens 512 --new-tokens 64 --reps 3)
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) FLAGS=(--tiles 1,13 --prompt-tokens 512 --new-tokens 64 --reps 3) ;;
    --full) FLAGS=(--full) ;;
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

# 6. Kernel correctness on this card, with subgroups and without (the fallback paths).
APP() { (cd "$WORK/app" && "$NODE" "$@"); }
say "kernel check: every variant vs its float64 reference"
APP check_kernels.mjs --json > "$RESULTS/check_subgroups.json" || say "kernel check FAILED with subgroups (see summary)"
APP check_kernels.mjs --json --no-subgroups > "$RESULTS/check_no_subgroups.json" || say "kernel check FAILED without subgroups (see summary)"

# 7. Every kernel variant at the real shapes (forced variants run the same under both profiles).
say "kernel timings"
INTERNVL_PROFILE=gpu APP kernels.mjs --json --reps 5 > "$RESULTS/kernels.jsonl" || say "kernel bench failed"

# 8. The model with each profile, then PyTorch CUDA on the very same workload.
for P in gpu cpu; do
  say "model, profile $P: bench/model.ts ${FLAGS[*]} ${EXTRA[*]:-}"
  INTERNVL_PROFILE=$P APP bench.mjs --model "$MODEL" "${FLAGS[@]}" "${EXTRA[@]}" --no-torch --no-write --json --workload-out "$WORK/workload.json" > "$RESULTS/ours_$P.jsonl" || say "model bench ($P profile) failed"
done
say "PyTorch CUDA bf16 (SDPA)"
PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/bench/gpu/torch_cuda_bench.py" --model "$MODEL" --workload "$WORK/workload.json" --dtypes bf16 > "$RESULTS/torch_cuda.json" || say "the PyTorch CUDA benchmark failed"
APP bench.mjs --combine "$RESULTS/ours_gpu.jsonl" --torch-report "$RESULTS/torch_cuda.json" --out-dir "$RESULTS" > "$RESULTS/table.md"
APP summary.mjs --check "$RESULTS/check_subgroups.json" "$RESULTS/check_no_subgroups.json" --kernels "$RESULTS/kernels.jsonl" \
  --model-gpu "$RESULTS/ours_gpu.jsonl" --model-cpu "$RESULTS/ours_cpu.jsonl" --torch "$RESULTS/torch_cuda.json" | tee "$RESULTS/summary.md"
cat "$RESULTS/table.md"

# 9. Quantized weights on this card: load, memory, decode and prefill of q8 / q4 against bf16 (last: the run above
# is complete without it).
say "quantized weights: bench/quant.ts --reps 1 --no-quality"
APP quant.mjs --model "$MODEL" --reps 1 --no-quality --prompt-tokens 512 --new-tokens 64 > "$RESULTS/quant.md" && cat "$RESULTS/quant.md" || say "the quantized-weights bench failed"
say "done in $(( $(date +%s) - T0 )) s; results (summary.md, table.md, quant.md, results.jsonl, RESULTS.md, ratios.svg) in $RESULTS"
