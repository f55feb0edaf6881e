"""bench/collect: pages per minute fetched and extracted from real news pages, beside news-please."""
