#!/usr/bin/env bash
# `npm run build:model`: rebuilds builtin:arith/{train,test} and builtin:tiny-math from nothing.
# Every step is seeded, so the same machine rebuilds the same files. Takes about half an hour
# on two cores; intermediate files go to .cache/tiny-math.
#   TINY_MATH_STEPS   training steps (default 6000)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=.cache/tiny-math
MODEL=trainer/models/tiny-math
PY=/usr/bin/python3
STEPS=${TINY_MATH_STEPS:-6000}
TS="node -r esbuild-register"
start=$(date +%s)
mkdir -p "$BUILD" "$MODEL"

echo "== 1. tasks and training transcripts"
$TS scripts/model/data.ts tasks trainer/tasks/arith
$TS scripts/model/data.ts corpus "$BUILD"
echo "== 2. tokenizer"
$PY scripts/model/train_tokenizer.py "$BUILD/corpus.jsonl" "$MODEL" scripts/model/chat_template.jinja 1024
echo "== 3. token ids and loss masks (trainer/src/model/chat.ts and tokenizer.ts)"
$TS scripts/model/data.ts encode "$BUILD" "$MODEL"
echo "== 4. training"
$PY scripts/model/train.py "$BUILD" "$STEPS"
echo "== 5. ONNX export and parity fixture"
$PY scripts/model/export.py "$BUILD" "$MODEL" test/fixtures/tiny-math/parity.json
npx mocha -r esbuild-register --no-config --extension ts test/unit/model/parity.test.ts
echo "== 6. evaluation on builtin:arith/test"
$TS scripts/model/evaluate.ts "$MODEL" trainer/tasks/arith/test.jsonl "$BUILD/eval.json"
$TS scripts/model/card.ts "$BUILD" "$MODEL" "$(( $(date +%s) - start ))"
echo "== done in $(( $(date +%s) - start ))s"
