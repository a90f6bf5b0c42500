"""errwatch: a monitor for the error codes Binance publishes in its API docs.

Pipeline stages, one module each: ``registry`` (which pages), ``fetch`` (HTTP),
``validate`` (is it the page we asked for?), ``parse`` (HTML -> records), ``store``
(snapshots), ``diff`` (records -> changes), ``report`` (changes -> JSON/HTML/Markdown),
``notify`` and ``schedule``; ``pipeline`` wires them for ``crawl``/``run`` and ``cli`` is
a thin layer over all of them.  Heavy libraries are imported lazily so ``--help`` and
all-304 runs stay fast.
"""

__version__ = "0.1.0"
