"""Scrapy project package for contentpipe's crawlers (issue #3).

Spiders only navigate and hand pages over; the work lives in `pipelines`.
"""
