#!/bin/sh
# Shows the secret it was given in $TOKEN on stdout and stderr, then exits
# with status $1. Used by tests/engine.rs to prove secrets are masked.
cat >/dev/null
echo "the token is $TOKEN" >&2
printf '"token=%s"\n' "$TOKEN"
exit "$1"
