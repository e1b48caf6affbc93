#!/usr/bin/env bash
# test_source_errors.sh SOURCE_ERRORS WORK_DIR
# scripts/source-errors on two hand-made experiments (2 splits, 4 sources, 6 clips) whose
# accuracies, fusion, per-source shares and hard-source count are worked out by hand; and
# its errors for a missing grouping column and a folder without predictions.
set -euo pipefail
TOOL=$1 WORK=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
cat >"$WORK/meta.csv" <<'CSV'
filename,label,fold,source
a1.flac,a,1,sA
a2.flac,a,1,sA
b1.flac,b,1,sB
a3.flac,a,2,sC
b2.flac,b,2,sD
b3.flac,b,2,sD
CSV
predictions() {  # predictions RUN SPLIT then lines "clip pa pb"
  local dir="$WORK/$1/splits/$2/attcrnn-logmel"
  mkdir -p "$dir"
  printf 'filename\tscene_label\ta\tb\n' >"$dir/predictions.tsv"
  while read -r clip pa pb; do
    label=$(awk -v x="$pa" -v y="$pb" 'BEGIN { print (x >= y) ? "a" : "b" }')
    printf '%s\t%s\t%s\t%s\n' "$clip" "$label" "$pa" "$pb" >>"$dir/predictions.tsv"
  done
}
# Run X: fold1 a1 right, a2 right, b1 wrong; fold2 a3 right, b2 wrong, b3 wrong.
predictions x fold1 <<<$'a1.flac 0.9 0.1\na2.flac 0.6 0.4\nb1.flac 0.7 0.3'
predictions x fold2 <<<$'a3.flac 0.8 0.2\nb2.flac 0.9 0.1\nb3.flac 0.6 0.4'
# Run Y: fold1 a1 right, a2 wrong, b1 right; fold2 a3 right, b2 wrong, b3 wrong.
predictions y fold1 <<<$'a1.flac 0.8 0.2\na2.flac 0.1 0.9\nb1.flac 0.2 0.8'
predictions y fold2 <<<$'a3.flac 0.7 0.3\nb2.flac 0.7 0.3\nb3.flac 0.6 0.4'
out=$("$TOOL" "$WORK/x" "$WORK/y" --meta "$WORK/meta.csv") || fail "exit status $?"
echo "$out"
expect() { grep -qF -- "$1" <<<"$out" || fail "expected a line with: $1"; }
expect "$WORK/x: 50.0 %  (66.7 / 33.3)"
expect "$WORK/y: 50.0 %  (66.7 / 33.3)"
# Fusion, fold1: a1 a (.72 vs .02), a2 b (.06 vs .36), b1 b (.14 vs .24); fold2: a3 a, b2 a, b3 a.
expect "fusion of all 2 (splits fold1, fold2): 50.0 %  (66.7 / 33.3)"
expect "| a | sA | 1 | 2 | 75 | a 3, b 1 |"
expect "| b | sB | 1 | 1 | 50 |"
expect "| a | sC | 2 | 1 | 100 | a 2 |"
expect "| b | sD | 2 | 2 | 0 | a 4 |"
expect "2 of 6 clips (33 %) lie in 1 of 4 sources that are right less than 20 % of the time"
# Errors name what is wrong.
err=$("$TOOL" "$WORK/x" --meta "$WORK/meta.csv" --group package 2>&1) && fail "a missing column passed"
grep -qF "no column 'package'" <<<"$err" || fail "missing-column message: $err"
err=$("$TOOL" "$WORK/x" --meta "$WORK/meta.csv" --system cnn-logmel 2>&1) && fail "a run without predictions passed"
grep -qF "no cnn-logmel/predictions.tsv under $WORK/x/splits/*" <<<"$err" || fail "no-predictions message: $err"
echo "source-errors: all checks passed"
