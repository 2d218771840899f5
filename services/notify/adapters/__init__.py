"""notify's ways out: its SQL tables and repository (later: providers and the delivery queue)."""
