"""Word embeddings: the vectors and their queries apart from the skip-gram trainer, and the library."""
