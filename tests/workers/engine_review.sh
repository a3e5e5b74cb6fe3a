#!/bin/sh
# A reviewer that asks for a revision the first $2 times it is called
# (counting in the file $1) and approves after that. Used by tests/engine.rs.
cat >/dev/null
count=$(cat "$1" 2>/dev/null || echo 0)
count=$((count + 1))
echo "$count" >"$1"
if [ "$count" -le "$2" ]; then
  printf '{"verdict": "revise", "comments": ["round %s"]}\n' "$count"
else
  printf '{"verdict": "approve", "comments": []}\n'
fi
