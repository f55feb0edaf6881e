"""Scrapy spiders: they only wire requests to the plain functions in ``crawlers``."""
