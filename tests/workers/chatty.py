"""Writes 1 MiB on stderr before it reads its input (a caller that writes
stdin before reading would deadlock), then prints the length of the input's
`text`."""
import json
import sys

for i in range(16384):
    sys.stderr.write(f"progress {i:05d} {'.' * 48}\n")
sys.stderr.flush()
data = json.load(sys.stdin)
json.dump({"length": len(data["text"])}, sys.stdout)
