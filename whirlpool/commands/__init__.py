"""Click commands, one module per area; ``whirlpool.cli`` loads them lazily."""
