#!/usr/bin/env bash
# Headless test of the Vim files in editors/vim: filetype detection, the
# ftplugin's options, the syntax groups of tokens in a real example and in
# test/highlight.flow, syncing, and the indent script (gg=G on a badly
# indented fixture and on every example with its indentation removed).
# Runs under vim (required) and, when it is installed, under nvim too.
# Usage: bash editors/vim/test/run.sh   (from any directory)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plugin="$(cd "$here/.." && pwd)"
repo="$(cd "$plugin/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v vim >/dev/null 2>&1; then
  echo "editors/vim test: vim is not installed (apt-get install vim)" >&2
  exit 1
fi

# Runs test.vim under one editor; prints its report and returns its status.
run_editor() {
  local name="$1"
  shift
  local result="$work/$name.txt"
  local status=0
  rm -f "$result"
  # -es: silent Ex mode, no terminal needed; commands end with :qa! or
  # :cquit, stdin is empty so nothing can wait for input, and timeout ends a
  # run that hangs anyway.
  # The paths reach test.vim through the environment, whatever they contain.
  FLOW_VIM_PLUGIN="$plugin" FLOW_VIM_REPO="$repo" FLOW_VIM_RESULT="$result" \
    timeout -k 10 60 "$@" -S "$here/test.vim" </dev/null >"$work/$name.out" 2>&1 || status=$?
  echo "== $name ($("$1" --version 2>/dev/null | sed -n 1p))"
  if [[ -f "$result" ]]; then
    cat "$result"
  else
    echo "no report written; output of $name:"
    cat "$work/$name.out"
  fi
  if [[ $status -eq 124 ]]; then
    echo "$name timed out after 60 s"
  fi
  # A run that wrote no report, or reported a failure, fails whatever its
  # exit status says.
  if [[ $status -eq 0 ]] && { [[ ! -f "$result" ]] || grep -q '^FAIL' "$result"; }; then
    status=1
  fi
  return "$status"
}

failed=0
run_editor vim vim -N -u NONE -i NONE -es || failed=1
if command -v nvim >/dev/null 2>&1; then
  run_editor nvim nvim -u NONE -i NONE -es || failed=1
else
  echo "== nvim not installed: tested with vim only"
fi

if [[ $failed -ne 0 ]]; then
  echo "editors/vim test: FAILED"
  exit 1
fi
echo "editors/vim test: all passed"
