#!/usr/bin/python3
"""Writes Fashion-MNIST's IDX files as a folder of PNG images, the layout attnlab's
image_classification data reads (datasets/image_folder.h):

    OUT/train/<label>_<name>/<index>.png   the first 55,000 training images (train-*-ubyte[.gz])
    OUT/val/<label>_<name>/<index>.png     the last --val (5,000) of them: the IDX reader's validation split
    OUT/test/<label>_<name>/<index>.png    the 10,000 test images (t10k-*-ubyte[.gz])

<index> is the image's position in its IDX file, zero-padded to 5 digits (more for larger
files), and the class folders begin with the label ("0_T-shirt_top", ..., "9_Ankle_boot";
labels zero-padded when there are more than 10 classes), so that the folder reader, which
reads in the order (file name, class name) and labels classes by their sorted folder names,
reads the same images in the same order with the same labels as the IDX reader: training on
data.dir=OUT gives the same batches as on the IDX files (with data.val_examples equal to
--val). Every split gets every class folder. Images are 8-bit grayscale PNGs.

Debian's /usr/bin/python3 with its standard library only (gzip, struct, zlib). Usage:
    /usr/bin/python3 scripts/fashion_mnist_to_png.py --out /tmp/fmnist_png
        [--src /usr/share/datasets/fashion-mnist] [--val 5000]
"""
import argparse
import gzip
import os
import struct
import sys
import time
import zlib

# Fashion-MNIST's labels 0..9 as its README names them ('/' and spaces become '_').
NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    """(dims, bytes) of an IDX file of unsigned bytes, gzip'd when it ends in .gz."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        sys.exit(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    body = data[4 + 4 * ndim:]
    size = 1
    for d in dims:
        size *= d
    if len(body) != size:
        sys.exit(f"{path}: the header declares {size} bytes of data, the file has {len(body)}")
    return dims, body


def find(src, name):
    for path in (os.path.join(src, name + ".gz"), os.path.join(src, name)):
        if os.path.exists(path):
            return path
    sys.exit(f"{src} has no {name}[.gz] (Fashion-MNIST: apt-get install dataset-fashion-mnist)")


def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def png_gray8(pixels, height, width):
    """An 8-bit grayscale PNG (colour type 0), rows unfiltered."""
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def class_folder(label, n_classes):
    digits = len(str(n_classes - 1))
    name = NAMES[label].replace("/", "_").replace(" ", "_") if label < len(NAMES) else ""
    return f"{label:0{digits}d}" + (f"_{name}" if name else "")


def read_split(src, prefix):
    """(count, height, width, pixels, labels) of one IDX image/label pair."""
    (n, height, width), pixels = read_idx(find(src, prefix + "-images-idx3-ubyte"))
    (n_labels,), labels = read_idx(find(src, prefix + "-labels-idx1-ubyte"))
    if n_labels != n:
        sys.exit(f"{src}: {n_labels} {prefix} labels for {n} images")
    return n, height, width, pixels, labels


def write_images(images, indices, n_classes, out_dir):
    """Images `indices` of `images` as OUT_DIR/<class>/<index>.png, every class folder made."""
    n, height, width, pixels, labels = images
    digits = max(5, len(str(n - 1)))
    per_image = height * width
    for label in range(n_classes):
        os.makedirs(os.path.join(out_dir, class_folder(label, n_classes)), exist_ok=True)
    for i in indices:
        folder = os.path.join(out_dir, class_folder(labels[i], n_classes))
        with open(os.path.join(folder, f"{i:0{digits}d}.png"), "wb") as f:
            f.write(png_gray8(pixels[i * per_image:(i + 1) * per_image], height, width))
    print(f"wrote {len(indices)} {height}x{width} grayscale PNGs to {out_dir}/ ({n_classes} class folders)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", default="/usr/share/datasets/fashion-mnist",
                        help="the folder of the IDX files (default: %(default)s)")
    parser.add_argument("--out", required=True, help="the folder to write train/, val/ and test/ into")
    parser.add_argument("--val", type=int, default=5000,
                        help="the last N training images go to val/, as data.val_examples takes them from IDX "
                             "files (default: %(default)s)")
    args = parser.parse_args()
    for split in ("train", "val", "test"):
        if os.path.exists(os.path.join(args.out, split)):
            sys.exit(f"{os.path.join(args.out, split)} exists: remove it first (files of an earlier run would mix in)")
    start = time.time()
    train, test = read_split(args.src, "train"), read_split(args.src, "t10k")
    if not 0 < args.val < train[0]:
        sys.exit(f"--val {args.val}: must leave training images of the {train[0]} (and be at least 1)")
    n_classes = max(train[4]) + 1
    n_train = train[0] - args.val
    write_images(train, range(n_train), n_classes, os.path.join(args.out, "train"))
    write_images(train, range(n_train, train[0]), n_classes, os.path.join(args.out, "val"))
    write_images(test, range(test[0]), n_classes, os.path.join(args.out, "test"))
    print(f"done in {time.time() - start:.1f} s: data.dir={args.out} reads the same images, order and labels as "
          f"{args.src} (with data.val_examples={args.val})")


if __name__ == "__main__":
    main()
