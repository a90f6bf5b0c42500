"""``python -m scraper`` is the same as the ``errwatch`` console script."""

from scraper.cli import main

raise SystemExit(main())
