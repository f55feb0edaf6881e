"""Index backends: embedded (tantivy, the default) and Elasticsearch, behind one interface."""
