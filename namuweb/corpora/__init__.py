"""The corpus library every tool picks from: stored corpora, uploads, Namuwiki imports, the deletion guard."""
