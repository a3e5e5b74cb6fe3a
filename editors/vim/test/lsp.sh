#!/usr/bin/env bash
# Neovim's LSP client on `flow lsp`, headless: runs test/nvim_lsp.lua with the
# Neovim 0.7 configuration of editors/vim/README.md, and then with the short
# one of the repository's README, each extracted from its README as it is
# written there, on copies of tests/lsp_e2e/fixtures.
# Needs nvim (0.7 or later: Debian's package is 0.7.2) and a built flow:
# FLOW_BIN, or target/debug/flow of the repository.
# Usage: bash editors/vim/test/lsp.sh   (from any directory)
set -euo pipefail

test_name=LSP
# shellcheck source=editors/vim/test/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v nvim >/dev/null 2>&1 || fail "nvim is not installed (apt-get install neovim)"
[[ -x "$flow" ]] || fail "no flow binary at $flow: build it first (cargo build), or set FLOW_BIN"
"$flow" lsp --help >/dev/null 2>&1 || fail "$flow has no \`lsp\` command"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/empty"
ln -s "$flow" "$work/bin/flow"

# Runs nvim_lsp.lua with the Lua block that follows the marker line in
# `readme` (`core` is 1 for the short one); prints its report and returns
# its status.
run_config() {
  local name="$1" readme="$2" core="$3"
  local dir="$work/$name"
  mkdir -p "$dir/project" "$dir/cache"
  cp "$repo"/tests/lsp_e2e/fixtures/*.flow "$dir/project/"
  awk '
    /<!-- editors\/vim\/test\/lsp.sh runs the next block/ { armed = 1; next }
    armed && /^```lua$/ { inside = 1; next }
    inside && /^```$/ { exit }
    inside { print }
  ' "$readme" >"$dir/snippet.lua"
  echo "== nvim ($(nvim --version | sed -n 1p)) on $flow lsp, with the configuration of $name"
  if [[ ! -s "$dir/snippet.lua" ]]; then
    echo "FAIL  no Lua block after the marker line in $readme"
    return 1
  fi
  local status=0
  # --headless: no terminal needed; stdin is empty so nothing waits for
  # input; the script ends with :qall! or :cquit!, and timeout ends a run
  # that hangs. XDG_CACHE_HOME keeps Neovim's LSP log in the scratch
  # directory.
  (
    cd "$dir/project"
    PATH="$work/bin:$PATH" XDG_CACHE_HOME="$dir/cache" \
      FLOW_VIM_PLUGIN="$plugin" FLOW_NVIM_SNIPPET="$dir/snippet.lua" FLOW_BIN="$flow" \
      FLOW_NVIM_EMPTY="$work/empty" FLOW_NVIM_CORE="$core" FLOW_NVIM_RESULT="$dir/result.txt" \
      timeout -k 10 180 nvim --headless -u NONE -i NONE -c "luafile $here/nvim_lsp.lua" \
      </dev/null >"$dir/nvim.out" 2>&1
  ) || status=$?
  if [[ -f "$dir/result.txt" ]]; then
    cat "$dir/result.txt"
  else
    echo "no report written; output of nvim:"
    cat "$dir/nvim.out"
  fi
  if [[ $status -eq 124 ]]; then
    echo "nvim timed out after 180 s"
  fi
  if [[ $status -eq 0 ]] && { [[ ! -f "$dir/result.txt" ]] || grep -q '^FAIL' "$dir/result.txt"; }; then
    status=1
  fi
  if [[ $status -ne 0 && -s "$dir/cache/nvim/lsp.log" ]]; then
    echo "-- the end of Neovim's LSP log:"
    tail -n 40 "$dir/cache/nvim/lsp.log"
  fi
  return "$status"
}

failed=0
run_config editors/vim/README.md "$plugin/README.md" 0 || failed=1
run_config README.md "$repo/README.md" 1 || failed=1
if [[ $failed -ne 0 ]]; then
  echo "editors/vim LSP test: FAILED"
  exit 1
fi
echo "editors/vim LSP test: all passed"
