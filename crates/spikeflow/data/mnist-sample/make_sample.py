#!/usr/bin/env python3
"""Write the MNIST sample in this folder from the full MNIST files.

Usage: python3 make_sample.py [MNIST_DIR]   (default: /work/shared/data/mnist)

Takes the first 2000 training images and labels and the first 500 test images
and labels, verbatim, and writes them as gzip-compressed IDX files under the
canonical names. Only the standard library is used. The output is byte-for-byte
reproducible: the gzip headers carry no file name and a zero modification time,
and the compression level is fixed at 9.
"""
import gzip
import os
import struct
import sys

N_TRAIN = 2000
N_TEST = 500
HERE = os.path.dirname(os.path.abspath(__file__))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, path
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    size = 1
    for d in dims:
        size *= d
    assert len(body) == size, path
    return dims, body


def write_idx(path, dims, body):
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as raw:
        # filename="" and mtime=0 keep the gzip header free of anything variable.
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as f:
            f.write(header + body)


def subset(src_dir, stem, n):
    dims, body = read_idx(os.path.join(src_dir, stem + ".gz"))
    per_item = len(body) // dims[0]
    new_dims = (n,) + tuple(dims[1:])
    write_idx(os.path.join(HERE, stem + ".gz"), new_dims, body[: n * per_item])


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/mnist"
    subset(src, "train-images-idx3-ubyte", N_TRAIN)
    subset(src, "train-labels-idx1-ubyte", N_TRAIN)
    subset(src, "t10k-images-idx3-ubyte", N_TEST)
    subset(src, "t10k-labels-idx1-ubyte", N_TEST)


if __name__ == "__main__":
    main()
