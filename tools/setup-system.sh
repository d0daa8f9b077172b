#!/usr/bin/env bash
# System packages internvl-webgpu needs on a Debian machine (root): a WebGPU-capable software Vulkan
# (Mesa lavapipe >= 24 from bookworm-backports; bookworm's own Mesa 22 is refused by Dawn),
# the PyTorch reference (python3-torch, with OpenBLAS so f32 matmul is not the reference BLAS),
# Pillow for preprocessing parity, SentencePiece for tokenizer parity (InternLM2's tokenizer.model),
# ffmpeg/ffprobe for video decoding, and Chromium (/usr/bin/chromium) for the browser tests (test/browser,
# driven by playwright-core, which never downloads a browser of its own). Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DEBIAN_FRONTEND=noninteractive
. /etc/os-release
if [[ "${ID:-}" != debian ]]; then
  echo "setup-system: not Debian ($PRETTY_NAME). Install by hand: Mesa >= 24 with lavapipe (mesa-vulkan-drivers), libvulkan1," >&2
  echo "  python3 with torch, Pillow and sentencepiece, ffmpeg, Chromium (browser tests). On a machine with a real GPU driver only Vulkan is needed." >&2
  exit 1
fi
if [[ $(id -u) != 0 ]]; then echo "setup-system: run as root (apt-get)" >&2; exit 1; fi
bash "$here/setup-lavapipe.sh" python3-torch libopenblas0-pthread python3-pil python3-numpy python3-sentencepiece ffmpeg chromium
