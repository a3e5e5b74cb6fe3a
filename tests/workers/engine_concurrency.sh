#!/bin/sh
# Records how many calls run at once: each call marks itself in DIR while it
# runs (SECONDS long, 0.3 by default), and appends the number of marks it
# sees, when it starts and before it ends, to DIR/seen. Prints WORD.
# Usage: engine_concurrency.sh DIR WORD [SECONDS]
dir="$1"
cat >/dev/null
touch "$dir/running.$$"
ls "$dir" | grep -c '^running\.' >>"$dir/seen"
sleep "${3:-0.3}"
ls "$dir" | grep -c '^running\.' >>"$dir/seen"
rm -f "$dir/running.$$"
printf '%s' "$2"
