"""Morphemes: the tagger engines, engines in worker processes for the pages, corpus tagging jobs."""
