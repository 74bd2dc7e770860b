"""Benchmarks and scale: a realistic scale-corpus generator and a measured run per size.

``make bench`` runs :mod:`bench.run` at 10^4 and 10^5 passages; ``make bench-full`` adds 10^6.
Generated corpora and indexes go to ``bench/work/`` (git-ignored); results to ``bench/results/``.
"""
