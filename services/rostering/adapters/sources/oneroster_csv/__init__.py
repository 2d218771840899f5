"""The OneRoster CSV source: a package (a folder or a .zip, 1.1 or 1.2, bulk or delta) read into a Snapshot."""
