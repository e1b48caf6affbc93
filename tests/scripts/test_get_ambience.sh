#!/usr/bin/env bash
# test_get_ambience.sh GET_AMBIENCE REFERENCE_DIR WORK_DIR
# Rebuilds the ambience corpus from a local reference copy (--from) and checks the lean subset,
# meta.csv, checksums, idempotence, repair of a corrupted/missing clip, and --full.
set -euo pipefail
GET=$1 REF=$2 WORK=$3
if [ ! -f "$REF/meta.csv" ]; then
  echo "SKIP: no reference corpus at $REF"
  exit 77
fi
MANIFEST="$(dirname "$GET")/ambience"
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
OUT=$WORK/lean

# Manifest consistency: lean packages fit in 200 MB, every clip row knows its package.
lean_bytes=$(awk -F'\t' 'NR>1 && $6==1 {s+=$3} END {print s}' "$MANIFEST/packages.tsv")
[ "$lean_bytes" -le 200000000 ] || fail "lean packages total $lean_bytes bytes > 200 MB"
n_lean=$(awk -F, 'NR>1 && $NF==1' "$MANIFEST/manifest.csv" | wc -l)
n_all=$(($(wc -l < "$MANIFEST/manifest.csv") - 1))
[ "$n_all" -eq "$(($(wc -l < "$REF/meta.csv") - 1))" ] || fail "manifest has $n_all clips, reference meta.csv differs"
echo "manifest: $n_all clips, lean $n_lean clips, $lean_bytes bytes of packages"

# 1. Lean subset from the reference copy.
"$GET" --from "$REF" --out "$OUT" > "$WORK/run1.log" || { cat "$WORK/run1.log"; fail "first run"; }
n_meta=$(($(wc -l < "$OUT/meta.csv") - 1))
n_flac=$(find "$OUT/audio" -name '*.flac' | wc -l)
[ "$n_meta" -eq "$n_lean" ] || fail "meta.csv has $n_meta rows, expected $n_lean"
[ "$n_flac" -eq "$n_lean" ] || fail "$n_flac clips written, expected $n_lean"
head -1 "$OUT/meta.csv" | cmp -s - <(head -1 "$REF/meta.csv") || fail "meta.csv header differs from the reference"
# every row is a reference row (same label, fold, cut); lean rows are exactly the lean packages
tail -n +2 "$OUT/meta.csv" | while IFS= read -r row; do
  grep -qxF -- "$row" "$REF/meta.csv" || fail "row not in reference meta.csv: $row"
done
for f in ATTRIBUTION.md README.md .checksums; do [ -s "$OUT/$f" ] || fail "missing $f"; done
cmp -s "$OUT/ATTRIBUTION.md" "$REF/ATTRIBUTION.md" || fail "ATTRIBUTION.md differs from the reference"
(cd "$OUT" && sha256sum --quiet -c .checksums) || fail ".checksums do not verify"
tail -n +2 "$OUT/meta.csv" | cut -d, -f1 | while read -r f; do
  cmp -s "$OUT/$f" "$REF/$f" || fail "$f differs from the reference"
done
n_labels=$(tail -n +2 "$OUT/meta.csv" | cut -d, -f2 | sort -u | wc -l)
[ "$n_labels" -ge 2 ] || fail "lean subset has $n_labels classes"
# each class present has clips in at least two folds (the downstream experiment cross-validates)
tail -n +2 "$OUT/meta.csv" | cut -d, -f2,3 | sort -u | cut -d, -f1 | uniq -c | while read -r n label; do
  [ "$n" -ge 2 ] || fail "class $label has clips in only $n fold"
done
echo "lean: $n_meta clips, $n_labels classes"

# 2. Idempotent: nothing to make, files untouched.
stamp=$(find "$OUT" -type f -printf '%p %T@\n' | sort)
"$GET" --from "$REF" --out "$OUT" > "$WORK/run2.log" || fail "second run"
grep -q "0 to make" "$WORK/run2.log" || { cat "$WORK/run2.log"; fail "second run made clips"; }
[ "$stamp" = "$(find "$OUT" -type f -printf '%p %T@\n' | sort)" ] || fail "second run touched files"

# 3. A corrupted clip and a missing one are detected and replaced.
victim=$(sed -n 2p "$OUT/meta.csv" | cut -d, -f1)
gone=$(sed -n 3p "$OUT/meta.csv" | cut -d, -f1)
printf 'CORRUPT' | dd of="$OUT/$victim" bs=1 seek=4000 conv=notrunc status=none
rm "$OUT/$gone"
"$GET" --from "$REF" --out "$OUT" > "$WORK/run3.log" || { cat "$WORK/run3.log"; fail "repair run"; }
grep -q "$victim: checksum mismatch, replacing" "$WORK/run3.log" || { cat "$WORK/run3.log"; fail "corruption not reported"; }
grep -q "2 to make" "$WORK/run3.log" || { cat "$WORK/run3.log"; fail "expected 2 clips to remake"; }
cmp -s "$OUT/$victim" "$REF/$victim" || fail "$victim not repaired"
cmp -s "$OUT/$gone" "$REF/$gone" || fail "$gone not restored"

# 4. A bad --from folder fails cleanly.
if "$GET" --from "$WORK/nonexistent" --out "$OUT" > "$WORK/run4.log" 2>&1; then fail "--from without meta.csv succeeded"; fi

# 5. --full: all clips, meta.csv byte-identical to the reference.
"$GET" --from "$REF" --out "$WORK/full" --full > "$WORK/run5.log" || { cat "$WORK/run5.log"; fail "--full run"; }
cmp -s "$WORK/full/meta.csv" "$REF/meta.csv" || fail "--full meta.csv differs from the reference"
[ "$(find "$WORK/full/audio" -name '*.flac' | wc -l)" -eq "$n_all" ] || fail "--full clip count"
echo "PASS"
