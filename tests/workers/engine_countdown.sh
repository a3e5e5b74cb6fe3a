#!/bin/sh
# Fails transiently (exit 75) the first $2 times it is called, counting the
# calls in the file $1, then prints {"calls": N}. Used by tests/engine.rs.
cat >/dev/null
count=$(cat "$1" 2>/dev/null || echo 0)
count=$((count + 1))
echo "$count" >"$1"
if [ "$count" -le "$2" ]; then
  echo "not ready yet (call $count)" >&2
  exit 75
fi
printf '{"calls": %s}\n' "$count"
