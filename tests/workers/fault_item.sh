# One item of a large `map`: appends its pid to $1 (one short line, written
# at once with O_APPEND, so that concurrent items do not mix), then echoes
# its input as its output.
echo "$$" >> "$1"
exec cat
