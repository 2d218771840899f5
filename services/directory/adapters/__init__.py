"""The directory's SQL tables and the repository its workers use."""
