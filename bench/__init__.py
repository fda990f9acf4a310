"""The benchmarks (``make bench``, ``python -m bench.run``); shared helpers in bench.common.

Not part of the collection.
"""
