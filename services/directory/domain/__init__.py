"""The directory's rules in plain Python: who may see whom, what an upsert changes, how a search filters."""
