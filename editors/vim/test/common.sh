# What the LSP tests of editors/vim share, sourced by lsp.sh and ale.sh
# after they set `test_name`: where the plugin, the repository and the flow
# binary are (FLOW_BIN, or target/debug/flow of the repository), and `fail`.

here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
plugin="$(cd "$here/.." && pwd)"
repo="$(cd "$plugin/../.." && pwd)"
flow="${FLOW_BIN:-$repo/target/debug/flow}"

fail() {
  echo "editors/vim $test_name test: $*" >&2
  exit 1
}
