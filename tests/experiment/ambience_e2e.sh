#!/usr/bin/env bash
# A small end-to-end experiment on the real ambience corpus (split fold1, both architectures,
# both feature types, a few steps): the protocol produces its tables. Skips (77) without the
# corpus beside the repository.
set -euo pipefail
ASCNET="$1" DATA="$2" OUT="$3"
if [ ! -f "$DATA/meta.csv" ]; then echo "no ambience corpus at $DATA: skipped"; exit 77; fi
rm -rf "$OUT"
"$ASCNET" experiment --dataset "csv:$DATA/meta.csv" --arch attcrnn,cnn --features logmel,loggam \
  --splits 1 --steps 2 --batch-size 16 --seed 1 --threads 2 --out "$OUT" --quiet >"$OUT.stdout"
for row in "Att-CRNN (fusion)" "Att-CRNN (logMel)" "Att-CRNN (logGam, softmax)" "CNN baseline (fusion)" "CNN baseline (logGam)"; do
  grep -qF "| $row |" "$OUT/results.md" || { echo "missing row '$row' in $OUT/results.md"; cat "$OUT/results.md"; exit 1; }
done
grep -qF "| System | 2 s accuracy (%) | Recording accuracy (%) | F1 (%) | Precision (%) |" "$OUT.stdout"
for f in results.json experiment.json splits/fold1/result.json splits/fold1/attcrnn-loggam/model.ascnet \
         splits/fold1/cnn-logmel/predictions.json splits/fold1/cnn-logmel/log.csv; do
  [ -s "$OUT/$f" ] || { echo "missing $OUT/$f"; exit 1; }
done
echo "ok: $(grep -c '^| ' "$OUT/results.md") table lines"
