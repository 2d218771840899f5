"""`make bench`: measure the platform's bulk paths against the raw limits of this box (issue #6).

    python -m bench [--scale small|district] [--out bench/results/latest.json]

Baselines measure what the broker, the database and an HTTP client can do
with no project code in the way; the project's metrics are printed beside
them, with `ratio` = value ÷ the named baseline in the same unit.
"""
