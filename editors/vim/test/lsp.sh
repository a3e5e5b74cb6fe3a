#!/usr/bin/env bash
# Neovim's LSP client on `flow lsp`, headless: runs test/nvim_lsp.lua with the
# Neovim 0.7 configuration of editors/vim/README.md, extracted from the
# README as it is written there, on copies of tests/lsp_e2e/fixtures.
# Needs nvim (0.7 or later: Debian's package is 0.7.2) and a built flow:
# FLOW_BIN, or target/debug/flow of the repository.
# Usage: bash editors/vim/test/lsp.sh   (from any directory)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plugin="$(cd "$here/.." && pwd)"
repo="$(cd "$plugin/../.." && pwd)"
flow="${FLOW_BIN:-$repo/target/debug/flow}"

fail() {
  echo "editors/vim LSP test: $*" >&2
  exit 1
}

command -v nvim >/dev/null 2>&1 || fail "nvim is not installed (apt-get install neovim)"
[[ -x "$flow" ]] || fail "no flow binary at $flow: build it first (cargo build), or set FLOW_BIN"
"$flow" lsp --help >/dev/null 2>&1 || fail "$flow has no \`lsp\` command"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/project" "$work/bin" "$work/empty" "$work/cache"
cp "$repo"/tests/lsp_e2e/fixtures/*.flow "$work/project/"
ln -s "$flow" "$work/bin/flow"

# The README's block: the ```lua block right after the marker line.
awk '
  /<!-- editors\/vim\/test\/lsp.sh runs the next block/ { armed = 1; next }
  armed && /^```lua$/ { inside = 1; next }
  inside && /^```$/ { exit }
  inside { print }
' "$plugin/README.md" >"$work/snippet.lua"
[[ -s "$work/snippet.lua" ]] || fail "no Lua block after the marker in $plugin/README.md"

status=0
# --headless: no terminal needed; stdin is empty so nothing waits for input;
# the script ends with :qall! or :cquit!, and timeout ends a run that hangs.
# XDG_CACHE_HOME keeps Neovim's LSP log in the scratch directory.
(
  cd "$work/project"
  PATH="$work/bin:$PATH" XDG_CACHE_HOME="$work/cache" \
    FLOW_VIM_PLUGIN="$plugin" FLOW_NVIM_SNIPPET="$work/snippet.lua" FLOW_BIN="$flow" \
    FLOW_NVIM_EMPTY="$work/empty" FLOW_NVIM_RESULT="$work/result.txt" \
    timeout -k 10 180 nvim --headless -u NONE -i NONE -c "luafile $here/nvim_lsp.lua" \
    </dev/null >"$work/nvim.out" 2>&1
) || status=$?

echo "== nvim ($(nvim --version | sed -n 1p)) with $flow lsp"
if [[ -f "$work/result.txt" ]]; then
  cat "$work/result.txt"
else
  echo "no report written; output of nvim:"
  cat "$work/nvim.out"
fi
if [[ $status -eq 124 ]]; then
  echo "nvim timed out after 180 s"
fi
if [[ $status -eq 0 ]] && { [[ ! -f "$work/result.txt" ]] || grep -q '^FAIL' "$work/result.txt"; }; then
  status=1
fi
if [[ $status -ne 0 ]]; then
  if [[ -s "$work/cache/nvim/lsp.log" ]]; then
    echo "-- the end of Neovim's LSP log:"
    tail -n 40 "$work/cache/nvim/lsp.log"
  fi
  echo "editors/vim LSP test: FAILED"
  exit 1
fi
echo "editors/vim LSP test: all passed"
