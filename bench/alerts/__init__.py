"""Alert replay: detection recall, false alerts per rule per week and delay on a synthetic stream."""
