#!/usr/bin/env bash
# Vim's ALE on `flow lsp`, headless: runs test/ale_lsp.vim with the ALE
# configuration of editors/vim/README.md, extracted from the README as it is
# written there, on copies of tests/lsp_e2e/fixtures.
# Needs vim (9.0: Debian's package), ALE (Debian's vim-ale) and a built flow:
# FLOW_BIN, or target/debug/flow of the repository.
# Usage: bash editors/vim/test/ale.sh   (from any directory)
set -euo pipefail

test_name=ALE
# shellcheck source=editors/vim/test/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v vim >/dev/null 2>&1 || fail "vim is not installed (apt-get install vim)"
[[ -d /usr/share/vim/vimfiles/pack/dist-bundle/opt/ale ]] ||
  fail "ALE is not installed (apt-get install vim-ale)"
[[ -x "$flow" ]] || fail "no flow binary at $flow: build it first (cargo build), or set FLOW_BIN"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/project"
ln -s "$flow" "$work/bin/flow"
cp "$repo"/tests/lsp_e2e/fixtures/*.flow "$work/project/"

# The Vim block after the marker line of the README.
awk '
  /<!-- editors\/vim\/test\/ale.sh runs the next block/ { armed = 1; next }
  armed && /^```vim$/ { inside = 1; next }
  inside && /^```$/ { exit }
  inside { print }
' "$plugin/README.md" >"$work/snippet.vim"
[[ -s "$work/snippet.vim" ]] || fail "no Vim block after the marker line in $plugin/README.md"

# The vimrc of a user: the plugin of this repository, the README's block,
# and (since -u skips the plugin directories) ALE's plugin file loaded.
cat >"$work/vimrc" <<VIMRC
set nocompatible
let &runtimepath = '$plugin,' . &runtimepath
filetype plugin indent on
syntax on
source $work/snippet.vim
runtime! plugin/ale.vim
VIMRC

echo "== vim ($(vim --version | sed -n 1p)) with ALE on $flow lsp, with the configuration of editors/vim/README.md"
status=0
(
  cd "$work/project"
  PATH="$work/bin:$PATH" FLOW_ALE_SNIPPET="$work/snippet.vim" FLOW_ALE_RESULT="$work/result.txt" \
    timeout -k 10 120 vim -N -u "$work/vimrc" -i NONE -es -S "$here/ale_lsp.vim" \
    </dev/null >"$work/vim.out" 2>&1
) || status=$?
if [[ -f "$work/result.txt" ]]; then
  cat "$work/result.txt"
fi
if [[ $status -ne 0 || ! -f "$work/result.txt" ]]; then
  echo "FAIL  vim exited with status $status; its output:"
  cat "$work/vim.out"
  exit 1
fi
echo "all ALE checks passed"
