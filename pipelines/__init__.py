"""contentpipe's framework-free library: records, stages and storage.

Nothing in this package imports Scrapy or Prefect; `flows/` orchestrates it and `spiders/` feeds it.
"""

__version__ = "0.1.0"
