/*
 * The LZ4 library for seal-batch.c: the `lz4` npm package's own copy of the reference C sources
 * (deps/lz4/lib, the code its lz4.node runs), compiled into this addon. Included rather than listed
 * in binding.gyp because gyp's make generator cannot build a source outside the package folder.
 */
#include "lz4.c"
