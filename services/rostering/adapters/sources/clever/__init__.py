"""The Clever source: a district's roster read from Clever's Data API v3.0 with the district's token."""
