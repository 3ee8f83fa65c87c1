#!/usr/bin/env bash
# Regenerates native-fixtures/vhdx/*.vhdx.gz and their golden facts (*.json) with qemu-img / qemu-io.
#
#   bash native-fixtures/make-fixtures.sh          # needs qemu-img, qemu-io, node, jq, gzip, sha256sum
#
# qemu writes random GUIDs (and a random header sequence number), so the images are not
# bit-reproducible: the goldens describe the committed images, and this script regenerates both
# together. Everything else (sizes, patterns, block layout, raw contents) is deterministic.
#
# Each golden holds: qemu version, the exact commands ($IMG = the image, $RAW = a raw scratch file,
# *.bin = pattern files made by `pattern`), the virtual size, sha256 of `qemu-img convert -O raw`,
# `qemu-img map --output=json`, and the BAT as qemu wrote it (parsed by the small independent parser
# below, then checked against qemu's documented allocation rules, see formats.md §1.11).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/vhdx"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dm-native-fixtures.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

for tool in qemu-img qemu-io node jq gzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "make-fixtures: $tool is required" >&2; exit 1; }
done

QEMU_IMG_VERSION="$(qemu-img --version | head -n1)"
QEMU_IO_VERSION="$(qemu-io --version | head -n1)"
K=1024
M=$((1024 * 1024))
G=$((1024 * M))

mkdir -p "$OUT"
rm -f "$OUT"/*.vhdx.gz "$OUT"/*.json

# ── BAT / metadata facts: a deliberately tiny, independent VHDX parser (no project code) ──
# argv: image, expectation mode (writes|content), writes JSON [{offset,length,...}] or raw path,
#       untouched state (0 NOT_PRESENT | 2 ZERO | 6 FULLY_PRESENT for real fixed).
# Prints {blockSize, virtualSize, logicalSectorSize, leaveBlockAllocated, bat, allocation};
# exits 1 if qemu's BAT does not follow the rules in formats.md §1.11.
read -r -d '' FACTS_JS <<'EOF' || true
import { openSync, readSync } from 'node:fs';
const [, img, mode, arg, untouchedArg] = process.argv;
const fd = openSync(img, 'r');
const at = (off, len) => { const b = Buffer.alloc(len); readSync(fd, b, 0, len, off); return b; };
const guid = (s) => { const h = s.replace(/-/g, ''); const b = Buffer.from(h, 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]).toString('hex'); };
const fail = (m) => { console.error(`facts: ${img}: ${m}`); process.exit(1); };
// Current header: greater sequence number; a clean qemu image has LogGuid = 0.
const hdrs = [at(64 * 1024, 4096), at(128 * 1024, 4096)].filter((h) => h.toString('latin1', 0, 4) === 'head');
hdrs.sort((a, b) => (a.readBigUInt64LE(8) < b.readBigUInt64LE(8) ? 1 : -1));
if (hdrs.length === 0 || hdrs[0].subarray(48, 64).some((x) => x !== 0)) fail('no header, or LogGuid != 0');
const rt = at(192 * 1024, 64 * 1024);
if (rt.toString('latin1', 0, 4) !== 'regi') fail('region table signature');
const regions = {};
for (let i = 0; i < rt.readUInt32LE(8); i++) {
  const e = rt.subarray(16 + 32 * i, 48 + 32 * i);
  regions[e.subarray(0, 16).toString('hex')] = { off: Number(e.readBigUInt64LE(16)), len: e.readUInt32LE(24) };
}
const bat = regions[guid('2DC27766-F623-4200-9D64-115E9BFD4A08')];
const meta = regions[guid('8B7CA206-4790-4B9A-B8FE-575F050F886E')];
if (!bat || !meta) fail('BAT or metadata region missing');
const mt = at(meta.off, 64 * 1024);
if (mt.toString('latin1', 0, 8) !== 'metadata') fail('metadata signature');
const items = {};
for (let i = 0; i < mt.readUInt16LE(10); i++) {
  const e = mt.subarray(32 + 32 * i, 64 + 32 * i);
  items[e.subarray(0, 16).toString('hex')] = at(meta.off + e.readUInt32LE(16), e.readUInt32LE(20));
}
const item = (g) => items[guid(g)] ?? fail(`metadata item ${g} missing`);
const fp = item('CAA16737-FA36-4D43-B3B6-33F0AA44E76B');
const blockSize = fp.readUInt32LE(0);
const leaveBlockAllocated = (fp.readUInt32LE(4) & 1) === 1;
const virtualSize = Number(item('2FA54224-CD1B-4876-B211-5DBED83BF4B8').readBigUInt64LE(0));
const logicalSectorSize = item('8141BF1D-A96F-4709-BA47-F233A8FAAB5F').readUInt32LE(0);
const chunkRatio = (2 ** 23 * logicalSectorSize) / blockSize;
const nBlocks = Math.ceil(virtualSize / blockSize);
const entries = nBlocks + Math.floor((nBlocks - 1) / chunkRatio);
const raw = at(bat.off, entries * 8);
const states = [];
for (let i = 0; i < entries; i++) {
  const v = raw.readBigUInt64LE(i * 8);
  const isSb = i % (chunkRatio + 1) === chunkRatio;
  if (isSb) { if (v !== 0n) fail(`SB entry ${i} is ${v}, expected 0`); continue; }
  if ((v & 0xffff8n) !== 0n) fail(`BAT entry ${i} has reserved bits set`);
  states.push(Number(v & 7n));
}
// Which blocks did the recipe touch?
const touched = new Set();
if (mode === 'writes') {
  for (const { offset: off, length: len } of JSON.parse(arg))
    for (let b = Math.floor(off / blockSize); b <= Math.floor((off + len - 1) / blockSize); b++) touched.add(b);
} else {
  const rfd = openSync(arg, 'r'); const buf = Buffer.alloc(blockSize);
  for (let b = 0; b < nBlocks; b++) { const n = readSync(rfd, buf, 0, blockSize, b * blockSize);
    if (buf.subarray(0, n).some((x) => x !== 0)) touched.add(b); }
}
const untouched = Number(untouchedArg);
states.forEach((s, b) => { const want = touched.has(b) ? 6 : untouched;
  if (s !== want) fail(`block ${b}: state ${s}, expected ${want}`); });
const runs = []; const allocation = [];
const kindOf = (s) => (s === 6 ? 'present' : s === 0 ? 'absent' : 'zero');
states.forEach((s, b) => {
  const last = runs[runs.length - 1];
  if (last && last.state === s) last.count++; else runs.push({ firstBlock: b, count: 1, state: s });
  const off = b * blockSize; const len = Math.min(blockSize, virtualSize - off); const a = allocation[allocation.length - 1];
  if (a && a.kind === kindOf(s)) a.length += len; else allocation.push({ offset: off, length: len, kind: kindOf(s) });
});
console.log(JSON.stringify({ blockSize, virtualSize, logicalSectorSize, leaveBlockAllocated, chunkRatio, bat: runs, allocation }));
EOF

# Deterministic 64 KiB pseudo-random pattern file: SHA-256 in counter mode over its name.
pattern() {
  node -e '
    const { createHash } = require("node:crypto");
    const parts = [];
    for (let i = 0; i < 2048; i++) parts.push(createHash("sha256").update(`${process.argv[1]}:${i}`).digest());
    require("node:fs").writeFileSync(process.argv[2], Buffer.concat(parts));
  ' "$1" "$WORK/$1"
}

# ── per-fixture recipe state ──
NAME="" DESC="" SUBFORMAT="" OPTS="" UNTOUCHED="" MODE="" CMDS=() WRITES=()

# begin NAME DESCRIPTION SUBFORMAT CREATE_OPTS UNTOUCHED_STATE
begin() {
  NAME="$1" DESC="$2" SUBFORMAT="$3" OPTS="$4" UNTOUCHED="$5" MODE=writes CMDS=() WRITES=()
  IMG="$WORK/$NAME.vhdx" RAW="$WORK/$NAME.src.raw"
  rm -f "$IMG" "$RAW"
}

# log CMD...: record the command with scratch paths replaced by $IMG / $RAW / bare pattern names, then run it.
log() {
  local shown="" a
  for a in "$@"; do
    [[ "$a" == *" "* ]] && a="'$a'"
    shown+="${shown:+ }$a"
  done
  shown="${shown//$IMG/\$IMG}" shown="${shown//$RAW/\$RAW}" shown="${shown//$WORK\//}"
  CMDS+=("$shown")
  (cd "$WORK" && "$@") >/dev/null
}

# create SIZE: qemu-img create with this fixture's options.
create() {
  local o=()
  [[ -n "$OPTS" ]] && o=(-o "$OPTS")
  log qemu-img create -q -f vhdx "${o[@]}" "$IMG" "$1"
}

# io FMT FILE 'write ...'...: one qemu-io session; remembers each write's range.
io() {
  local fmt="$1" file="$2" c=() w
  shift 2
  for w in "$@"; do
    c+=(-c "$w")
    local parts=($w) op
    case "${parts[1]}" in
      -P) op="\"op\": \"pattern\", \"byte\": $((parts[2]))" ;;
      -s) op="\"op\": \"file\", \"file\": \"${parts[2]}\"" ;;
      -z) op="\"op\": \"zero\"" ;;
      *) echo "io: unsupported write '$w'" >&2; exit 1 ;;
    esac
    WRITES+=("{$op, \"offset\": ${parts[-2]}, \"length\": ${parts[-1]}}")
  done
  log qemu-io -f "$fmt" "${c[@]}" "$file"
}

finish() {
  log qemu-img check -q -f vhdx "$IMG"
  local raw="$WORK/$NAME.raw"
  qemu-img convert -f vhdx -O raw "$IMG" "$raw"
  local raw_sha img_sha map facts writes="[$(IFS=,; echo "${WRITES[*]}")]"
  raw_sha="$(sha256sum "$raw" | cut -d' ' -f1)"
  img_sha="$(sha256sum "$IMG" | cut -d' ' -f1)"
  map="$(qemu-img map -f vhdx --output=json "$IMG")"
  if [[ "$MODE" == content ]]; then
    facts="$(node --input-type=module -e "$FACTS_JS" "$IMG" content "$RAW" "$UNTOUCHED")"
  else
    facts="$(node --input-type=module -e "$FACTS_JS" "$IMG" writes "$writes" "$UNTOUCHED")"
  fi
  local raw_len
  raw_len="$(stat -c %s "$raw")"
  [[ "$raw_len" == "$(jq .virtualSize <<<"$facts")" ]] || { echo "$NAME: raw length $raw_len != virtual size" >&2; exit 1; }
  gzip -9 -n -c "$IMG" >"$OUT/$NAME.vhdx.gz"
  jq -n \
    --arg name "$NAME" --arg description "$DESC" --arg file "$NAME.vhdx.gz" \
    --arg qemuImg "$QEMU_IMG_VERSION" --arg qemuIo "$QEMU_IO_VERSION" \
    --arg subformat "$SUBFORMAT" --arg options "$OPTS" \
    --argjson commands "$(printf '%s\n' "${CMDS[@]}" | jq -R . | jq -s .)" \
    --argjson writes "$writes" \
    --argjson imageBytes "$(stat -c %s "$IMG")" --arg imageSha256 "$img_sha" \
    --arg rawSha256 "$raw_sha" --argjson qemuMap "$map" --argjson facts "$facts" \
    '{name: $name, description: $description, file: $file,
      tools: {qemuImg: $qemuImg, qemuIo: $qemuIo},
      commands: $commands, subformat: $subformat, createOptions: $options,
      virtualSize: $facts.virtualSize, blockSize: $facts.blockSize,
      logicalSectorSize: $facts.logicalSectorSize, leaveBlockAllocated: $facts.leaveBlockAllocated,
      chunkRatio: $facts.chunkRatio, imageBytes: $imageBytes, imageSha256: $imageSha256,
      rawSha256: $rawSha256, writes: $writes,
      patternFileRecipe: "each *.bin is 65536 bytes: sha256(\"<name>:<i>\") for i = 0..2047, concatenated",
      qemuMap: $qemuMap,
      bat: $facts.bat, allocation: $facts.allocation}' >"$OUT/$NAME.json"
  rm -f "$IMG" "$RAW" "$raw"
  echo "made $NAME"
}

for p in pat-a pat-b pat-c pat-d pat-e pat-f pat-g; do pattern "$p.bin"; done

# ── dynamic images (default block_state_zero=on: untouched blocks are ZERO, state 2) ──

begin dyn-1m-odd "dynamic, 1 MiB blocks, size 5 MiB + 1536 (last block partial); full, unaligned partial, block-straddling and tail writes; blocks 1 and 4 untouched (ZERO)" \
  dynamic block_size=1M 2
create $((5 * M + 1536))
io vhdx "$IMG" "write -P 0xa1 0 $M" "write -s pat-a.bin $((2 * M + 1000)) 3000" \
  "write -P 0xc3 $((3 * M - 4096)) 8192" "write -P 0xd4 $((5 * M)) 1536"
finish

begin dyn-2m-holes "dynamic, 2 MiB blocks, 12 MiB; holes between written blocks, write -z inside a written block, write -z of a whole untouched block (qemu allocates it: present, reads zero)" \
  dynamic block_size=2M 2
create $((12 * M))
io vhdx "$IMG" "write -P 0x11 0 65536" "write -P 0x22 $((4 * M)) $((2 * M))" \
  "write -s pat-b.bin $((4 * M + 512 * K)) 65536" "write -z $((5 * M)) $((256 * K))" \
  "write -z $((8 * M)) $((2 * M))"
finish

writes=()
for k in $(seq 0 15); do
  writes+=("write -P $((0x30 + k)) $((k * 1280 * K + k * 512)) 4096")
done
begin dyn-8m-scatter "dynamic, 8 MiB blocks, size 20 MiB + 3584; 16 scattered 4 KiB writes with distinct patterns, 64 KiB pseudo-random across the 8 MiB boundary, last 7 sectors" \
  dynamic block_size=8M 2
create $((20 * M + 3584))
io vhdx "$IMG" "${writes[@]}" "write -s pat-c.bin $((8 * M - 32 * K)) 65536" "write -P 0xee $((20 * M)) 3584"
finish

begin dyn-32m-boundary "dynamic, 32 MiB blocks, size 40 MiB + 3584 (second block partial); pseudo-random write across the 32 MiB boundary, last sector" \
  dynamic block_size=32M 2
create $((40 * M + 3584))
io vhdx "$IMG" "write -s pat-d.bin $((32 * M - 32 * K)) 65536" "write -P 0x5a $M $M" \
  "write -P 0x77 $((40 * M + 3072)) 512"
finish

begin dyn-1m-nozero "dynamic with block_state_zero=off: untouched blocks are NOT_PRESENT (state 0, 'absent'); sector and unaligned writes, write -z allocates" \
  dynamic block_size=1M,block_state_zero=off 0
create $((6 * M))
io vhdx "$IMG" "write -P 0x41 512 512" "write -P 0x42 $((3 * M + 123)) 4000" "write -z $((5 * M)) 65536"
finish

begin dyn-auto-empty "dynamic, block size auto (qemu picks 8 MiB for <= 1 GiB), size 16 MiB + 512, never written: every block ZERO" \
  dynamic "" 2
create $((16 * M + 512))
finish

begin dyn-1m-log4m "dynamic, 1 MiB blocks, log_size=4M: BAT and metadata move (BAT at 5 MiB), reader must follow the region table" \
  dynamic block_size=1M,log_size=4M 2
create $((4 * M))
io vhdx "$IMG" "write -P 0x61 $M $M" "write -P 0x62 $((3 * M + 4096)) 512"
finish

begin dyn-1m-cross-chunk "dynamic, 1 MiB blocks, size 4 GiB + 3 MiB + 512: crosses the first chunk (4096 blocks), so BAT entry 4096 is a sector-bitmap entry; pseudo-random write across the 4 GiB boundary (blocks 4095/4096), writes in blocks 0, 4097 and the partial last block 4099" \
  dynamic block_size=1M 2
create $((4 * G + 3 * M + 512))
io vhdx "$IMG" "write -P 0xe1 0 4096" "write -s pat-g.bin $((4 * G - 32 * K)) 65536" \
  "write -P 0xe3 $((4 * G + M + 3584)) 512" "write -P 0xe4 $((4 * G + 3 * M)) 512"
finish

# ── fixed images (block_state_zero=off for a real fixed layout: every block FULLY_PRESENT) ──

begin fixed-1m-odd "fixed (block_state_zero=off), 1 MiB blocks, size 3 MiB + 2560; sector, unaligned pseudo-random and partial-last-block writes" \
  fixed subformat=fixed,block_state_zero=off,block_size=1M 6
create $((3 * M + 2560))
io vhdx "$IMG" "write -P 0x81 0 4096" "write -s pat-e.bin $((M + 100)) 1000" "write -P 0x83 $((3 * M)) 2560"
finish

begin fixed-2m "fixed (block_state_zero=off), 2 MiB blocks, 8 MiB; one write straddling the first block boundary, the rest reads zero but is present" \
  fixed subformat=fixed,block_state_zero=off,block_size=2M 6
create $((8 * M))
io vhdx "$IMG" "write -P 0x91 $((2 * M - 512)) 1024"
finish

begin fixed-32m-tail "fixed (block_state_zero=off), 32 MiB blocks, size 33 MiB + 512: the last block is 1 MiB + 512 long and the file ends there" \
  fixed subformat=fixed,block_state_zero=off,block_size=32M 6
create $((33 * M + 512))
io vhdx "$IMG" "write -P 0x98 0 512" "write -P 0x99 $((32 * M)) $((M + 512))"
finish

begin fixed-8m-zerostate "subformat=fixed with the default block_state_zero=on: LeaveBlockAllocated=1 but qemu writes ZERO entries; written blocks become FULLY_PRESENT" \
  fixed subformat=fixed,block_size=8M 2
create $((17 * M))
io vhdx "$IMG" "write -P 0xb1 $((8 * M + 4096)) 4096"
finish

# ── made by `qemu-img convert -O vhdx` from a raw file (qemu skips all-zero blocks) ──

begin conv-dyn-8m "qemu-img convert -O vhdx (dynamic, 8 MiB blocks) of a 24 MiB + 1024 raw; the all-zero block 1 stays ZERO" \
  dynamic block_size=8M 2
MODE=content
log qemu-img create -q -f raw "$RAW" $((24 * M + 1024))
io raw "$RAW" "write -P 0xc1 0 65536" "write -s pat-f.bin $((17 * M)) 65536" "write -P 0xc3 $((24 * M)) 1024"
log qemu-img convert -f raw -O vhdx -o "$OPTS" "$RAW" "$IMG"
finish

begin conv-fixed-2m "qemu-img convert -O vhdx -o subformat=fixed,block_state_zero=off (2 MiB blocks) of a 6 MiB + 512 raw: every block present" \
  fixed subformat=fixed,block_state_zero=off,block_size=2M 6
MODE=content
log qemu-img create -q -f raw "$RAW" $((6 * M + 512))
io raw "$RAW" "write -P 0xd1 $M $M" "write -P 0xd2 $((6 * M)) 512"
log qemu-img convert -f raw -O vhdx -o "$OPTS" "$RAW" "$IMG"
finish

echo "total committed: $(du -cb "$OUT"/*.vhdx.gz "$OUT"/*.json | tail -n1 | cut -f1) bytes"
