#!/usr/bin/env python3
"""The disk's sequential write speed, as `dd bs=1M conv=fdatasync` measures it: 1 MiB writes
through the page cache, then one fdatasync, bytes over the whole time. Prints MB/s (10^6 bytes).

    disk-write.py PATH --seconds S   writes for S seconds (sustained: what a bench cell sees)
    disk-write.py PATH --mib N       writes N MiB (a burst, which caches may take at memory speed)
"""
import argparse
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("path")
group = parser.add_mutually_exclusive_group(required=True)
group.add_argument("--seconds", type=float)
group.add_argument("--mib", type=int)
args = parser.parse_args()

def done(written, start):
    if args.mib is not None:
        return written >= args.mib
    return time.monotonic() - start >= args.seconds


block = b"\0" * (1 << 20)
fd = os.open(args.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
try:
    written = 0
    start = time.monotonic()
    while not done(written, start):
        os.write(fd, block)
        written += 1
    os.fdatasync(fd)
    elapsed = time.monotonic() - start
finally:
    os.close(fd)
    os.unlink(args.path)
print(round(written * (1 << 20) / 1e6 / elapsed, 1))
