"""Library code every service shares: contracts, config, database and messaging seams."""
