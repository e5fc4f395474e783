"""cxtui — a keyboard-driven terminal explorer for customer analytics.

The package root holds the version only: importing it must not pull in
Textual, Rich or Polars, so ``cxtui --help`` stays fast.
"""

__version__ = "0.2.0"
