{
  "targets": [
    {
      "target_name": "datamover_native",
      "sources": ["native/crc32c.c", "native/aes-gcm.c"],
      "cflags": ["-O3"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
