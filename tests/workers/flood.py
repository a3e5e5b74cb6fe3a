"""Writes to stdout forever. Its pid goes to $1 at once; after each chunk
that stdout accepted, the total accepted so far goes to $2, so a test can
see how much the caller read."""
import os
import sys

pid_file, progress_file = sys.argv[1], sys.argv[2]


def publish(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


publish(pid_file, str(os.getpid()))
chunk = b"x" * 65536
total = 0
while True:
    total += os.write(1, chunk)
    publish(progress_file, str(total))
