# Writes a few lines on stderr, as a failing tool would, then exits with
# the status given as $1.
echo "reading review.json" >&2
echo "loading model" >&2
echo "Traceback (most recent call last):" >&2
echo "ValueError: the review has no title" >&2
exit "$1"
