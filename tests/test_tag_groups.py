"""The map's part-of-speech groups: ten at most, a colour per group that never changes, and content words
recognised in both tagsets the embeddings use (Okt's words, Kiwi's Sejong-style codes)."""

from namuweb.morphemes.tag_display import CONTENT_GROUPS, MAP_GROUPS, is_content, map_group

OKT_TAGS = ["Noun", "Verb", "Adjective", "Adverb", "Josa", "Eomi", "PreEomi", "Punctuation", "Number", "Alpha",
            "Foreign", "Determiner", "Conjunction", "Exclamation", "Suffix", "VerbPrefix", "KoreanParticle",
            "Hashtag", "URL"]
KIWI_TAGS = ["NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "VX", "VCP", "VCN", "MM", "MAG", "MAJ", "IC", "JKS",
             "JKO", "JX", "JC", "EP", "EF", "EC", "ETN", "ETM", "XPN", "XSN", "XSV", "XSA", "XR", "SF", "SP", "SS",
             "SE", "SO", "SW", "SL", "SH", "SN", "W_URL", "UN"]


def test_at_most_ten_groups_with_distinct_fixed_colours():
    assert len(MAP_GROUPS) <= 10
    colours = [colour for colour, _ in MAP_GROUPS.values()]
    assert len(set(colours)) == len(colours)


def test_every_tag_of_both_tagsets_lands_in_a_map_group():
    for tag in OKT_TAGS + KIWI_TAGS + ["", "unknown"]:
        assert map_group(tag) in MAP_GROUPS, tag


def test_the_same_word_class_gets_the_same_group_in_either_tagset():
    pairs = [("Noun", "NNG"), ("Noun", "NNP"), ("Verb", "VV"), ("Adjective", "VA"), ("Adverb", "MAG"),
             ("Josa", "JKS"), ("Josa", "JX"), ("Eomi", "EF"), ("Eomi", "ETM"), ("Punctuation", "SF"),
             ("Number", "SN"), ("Alpha", "SL")]
    for okt, kiwi in pairs:
        assert map_group(okt) == map_group(kiwi), (okt, kiwi)


def test_content_words_are_open_class_nouns_verbs_adjectives_and_adverbs():
    assert {t for t in OKT_TAGS if is_content(t)} == {"Noun", "Verb", "Adjective", "Adverb"}
    assert {t for t in KIWI_TAGS if is_content(t)} == {"NNG", "NNP", "VV", "VA", "MAG"}
    assert not is_content("") and not is_content("JKS") and not is_content("SW")
    assert CONTENT_GROUPS <= set(MAP_GROUPS)
