#!/usr/bin/env bash
# The kernel part of scripts/device.sh: build, kernel tests under compute-sanitizer, the kernel
# benchmark against cudaMemcpy and the PyTorch comparison (reports/kernels.md).
#   scripts/gpu-kernels.sh [outdir]
BB_STEPS="build sanitize kernels" exec "$(dirname "$0")/device.sh" "$@"
