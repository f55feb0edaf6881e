"""bench/collect: pages per minute fetched and extracted, against `scrapy bench` on the same machine."""
