#!/bin/sh
# Regenerates the committed NTFS fixture volumes (*.img.gz) and their golden facts (*.facts.json).
# Needs ntfs-3g (mkntfs, ntfscp, ntfsinfo) and, for directories and interleaved (fragmented) files,
# an ntfs-3g FUSE mount (root or fuse access). Run from the repository root:
#   sh native-fixtures/ntfs/make.sh
# Content is patterned text so the images compress well; -T zeroes timestamps.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'umount "$WORK/mnt" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir "$WORK/mnt"

pattern() { # pattern NAME BYTES > file
  yes "$1 datamover fixture line" | head -c "$2"
}

# Interleaved appends through the FUSE mount: ntfs-3g allocates on write, so files alternate clusters.
interleave() { # interleave MOUNT CHUNK ROUNDS file...
  python3 - "$@" <<'PY'
import os, sys
mnt, chunk, rounds, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
fs = [open(os.path.join(mnt, n), 'ab') for n in names]
for i in range(rounds):
    for n, f in zip(names, fs):
        f.write((('%s-%06d ' % (n, i)).encode() * chunk)[:chunk]); f.flush(); os.fsync(f.fileno())
for f in fs: f.close()
PY
}

make_volume() { # make_volume NAME SIZE SECTOR CLUSTER
  img="$WORK/$1.img"
  truncate -s "$2" "$img"
  mkntfs -F -Q -T -q -s "$3" -c "$4" -L "$1" "$img"
  echo "$img"
}

finish() { # finish NAME SECTOR CMDS path...
  name=$1; sector=$2; cmds=$3; shift 3
  node --import tsx "$HERE/facts.ts" "$WORK/$name.img" "$sector" "$cmds" "$@" > "$HERE/$name.facts.json"
  gzip -9 -n -c "$WORK/$name.img" > "$HERE/$name.img.gz"
}

# 1. 512-byte clusters: directories, a file fragmented enough to need an $ATTRIBUTE_LIST, swap files,
#    and freed-but-dirty clusters (a big file overwritten by a small one).
img=$(make_volume c512 8M 512 512)
ntfs-3g "$img" "$WORK/mnt"
mkdir -p "$WORK/mnt/Users/bob/tmp/deep" "$WORK/mnt/Windows/Temp" "$WORK/mnt/many"
# 1200 long names: a multi-level $I30 B-tree; every 100th file is non-resident.
python3 - "$WORK/mnt/many" <<'PY'
import os, sys
for i in range(1200):
    size = 3000 if i % 100 == 0 else 40
    with open(os.path.join(sys.argv[1], 'entry-%04d-with-a-longer-name.txt' % i), 'wb') as f:
        f.write((b'm%04d ' % i) * (size // 6))
PY
# A compressed file (LZNT1, 16-cluster units): created in a directory flagged compressed (0x800).
mkdir "$WORK/mnt/Compressed"
python3 - "$WORK/mnt/Compressed" <<'PY'
import os, struct, sys
os.setxattr(sys.argv[1], 'system.ntfs_attrib_be', struct.pack('>I', 0x10 | 0x800))
x, tail = 1, bytearray()
for _ in range(6000):
    x = (x * 1103515245 + 12345) & 0xffffffff; tail.append(x >> 24)
with open(os.path.join(sys.argv[1], 'c.txt'), 'wb') as f:
    f.write(b'compress me please ' * 8000 + bytes(tail))
PY
# A sparse file: holes between written extents.
python3 - "$WORK/mnt/sparse.bin" <<'PY'
import sys
with open(sys.argv[1], 'wb') as f:
    for at in (0, 200000, 600000):
        f.seek(at); f.write(b'sparse-data ' * 800)
    f.truncate(900000)
PY
pattern small 300 > "$WORK/mnt/Users/bob/tmp/small.txt"
pattern bobbig 40000 > "$WORK/mnt/Users/bob/tmp/big.bin"
pattern deep 9000 > "$WORK/mnt/Users/bob/tmp/deep/d.bin"
pattern keep 20000 > "$WORK/mnt/Users/bob/keep.bin"
pattern wtemp 12000 > "$WORK/mnt/Windows/Temp/x.tmp"
interleave "$WORK/mnt" 512 1000 frag_a.bin frag_b.bin frag_c.bin
umount "$WORK/mnt"
pattern pagefile 150000 > "$WORK/pf"; ntfscp -q "$img" "$WORK/pf" pagefile.sys
pattern hiberfil 60000 > "$WORK/hf"; ntfscp -q "$img" "$WORK/hf" hiberfil.sys
pattern old 200000 > "$WORK/old"; ntfscp -q "$img" "$WORK/old" shrunk.bin
pattern new 3000 > "$WORK/new"; ntfscp -q "$img" "$WORK/new" shrunk.bin
finish c512 512 "mkntfs -F -Q -T -s 512 -c 512 (8 MiB); ntfs-3g mount: dirs, /many (1200 files), sparse.bin, Compressed/c.txt (compressed dir), interleaved frag_a/b/c (1000 x 512 B); ntfscp pagefile.sys, hiberfil.sys, shrunk.bin (200000 then 3000 B)" \
  dir:/many /pagefile.sys /hiberfil.sys /sparse.bin /Compressed/c.txt /many/entry-0500-with-a-longer-name.txt /frag_a.bin /frag_b.bin /frag_c.bin /shrunk.bin /Users/bob/tmp/big.bin /Users/bob/tmp/deep/d.bin /Users/bob/keep.bin /Windows/Temp/x.tmp

# 2. 4096-byte sectors and clusters (4Kn): 4 KiB MFT records.
img=$(make_volume s4k 4M 4096 4096)
ntfs-3g "$img" "$WORK/mnt"
interleave "$WORK/mnt" 4096 40 a.bin b.bin
umount "$WORK/mnt"
pattern pagefile 300000 > "$WORK/pf"; ntfscp -q "$img" "$WORK/pf" pagefile.sys
finish s4k 4096 "mkntfs -F -Q -T -s 4096 -c 4096 (4 MiB); ntfs-3g mount: interleaved a/b (40 x 4 KiB); ntfscp pagefile.sys" \
  /pagefile.sys /a.bin /b.bin

# 3. 64 KiB clusters (index records smaller than a cluster: VCNs in 512-byte units).
img=$(make_volume c64k 8M 512 65536)
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
  pattern "n$i" $((i * 1000)) > "$WORK/f"; ntfscp -q "$img" "$WORK/f" "file$i.dat"
done
pattern pagefile 500000 > "$WORK/pf"; ntfscp -q "$img" "$WORK/pf" pagefile.sys
finish c64k 512 "mkntfs -F -Q -T -s 512 -c 65536 (8 MiB); ntfscp file1..30.dat (i*1000 B), pagefile.sys" \
  /pagefile.sys /file7.dat /file30.dat
ls -l "$HERE"
