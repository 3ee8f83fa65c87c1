{
  "targets": [
    {
      "target_name": "datamover_native",
      "sources": ["native/addon.c", "native/crc32c.c", "native/aes-gcm.c"],
      "cflags": ["-O3"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        [
          "target_arch=='x64'",
          {
            "sources": [
              "native/seal-batch.c",
              "native/format-export.c",
              "native/compute-pool.c",
              "native/vendor/lz4/lz4.c",
              "native/vendor/blake3/blake3.c",
              "native/vendor/blake3/blake3_dispatch.c",
              "native/vendor/blake3/blake3_portable.c",
              "native/vendor/blake3/blake3_sse2_x86-64_unix.S",
              "native/vendor/blake3/blake3_sse41_x86-64_unix.S",
              "native/vendor/blake3/blake3_avx2_x86-64_unix.S",
              "native/vendor/blake3/blake3_avx512_x86-64_unix.S"
            ],
            "include_dirs": ["native/vendor/lz4"],
            "cflags": ["-fvisibility=hidden"]
          }
        ]
      ]
    }
  ]
}
