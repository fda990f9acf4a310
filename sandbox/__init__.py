"""A local stand-in for a Pterodactyl panel and Wings node, for tests, demos and benchmarks.

Run ``python -m sandbox --help``; see ``sandbox/README.md``. Not part of the Ansible collection.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
