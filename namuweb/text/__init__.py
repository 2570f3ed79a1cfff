"""Korean text as the models see it: the jamo codec, vocabularies, a corpus's figures."""
