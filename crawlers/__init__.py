"""Collect: feed polling and Scrapy spiders that fetch and extract whole articles."""
