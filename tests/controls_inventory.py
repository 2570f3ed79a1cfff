"""Every control the pages draw and the tests that click or change it and check what it did.

``tests/test_controls.py`` finds the controls by parsing ``app_pages/`` and ``streamlit_app.py`` and fails
when one is missing here, listed here but gone, or listed with a test that does not exist: a new button
comes with its test. A control is "file: widget label" (a widget drawn by a helper such as
``corpus_picker`` is named after the helper; one drawn by a page's views module, such as the Embeddings
page's tabs in ``_embedding_views.py``, is named after that module); ``e2e/…`` tests click in a real browser.
"""

CONTROLS = {  # control → the tests that change it and check what it did
    '_widgets.py: button Dismiss': [
        'test_controls.py::test_a_button_in_a_live_part_that_raises_keeps_saying_so_until_dismissed',
    ],
    '_widgets.py: button Continue': [
        'test_pages.py::test_train_page_continues_a_run_below_its_floor_resumes_and_renames_it',
    ],
    'corpora.py: button Get': [
        'test_pages.py::test_corpora_page_gets_a_catalogue_text_with_progress_and_its_licence',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'corpora.py: text_input Add from URL': [
        'test_pages.py::test_corpora_page_add_from_url_refuses_a_bad_address_and_stores_nothing',
    ],
    'corpora.py: button Add': [
        'test_pages.py::test_corpora_page_add_from_url_refuses_a_bad_address_and_stores_nothing',
    ],
    'corpora.py: job_panel (button) Stop the download': [
        'test_controls.py::test_corpora_stop_buttons_ask_a_running_download_and_import_to_stop',
    ],
    'corpora.py: job_panel (button) Resume': ['test_pages.py::test_corpora_page_resumes_a_stopped_download'],
    'corpora.py: number_input Min. characters per document': [
        'test_controls.py::test_corpora_import_options_reach_the_import_job',
    ],
    'corpora.py: number_input Sampling rate': ['test_controls.py::test_corpora_import_options_reach_the_import_job'],
    'corpora.py: number_input Max. documents (0 = all)': [
        'test_controls.py::test_corpora_import_options_reach_the_import_job',
    ],
    'corpora.py: selectbox Footnotes': ['test_controls.py::test_corpora_import_options_reach_the_import_job'],
    'corpora.py: toggle Keep headings': ['test_controls.py::test_corpora_import_options_reach_the_import_job'],
    'corpora.py: toggle Keep tables': ['test_controls.py::test_corpora_import_options_reach_the_import_job'],
    'corpora.py: toggle Keep code blocks': ['test_controls.py::test_corpora_import_options_reach_the_import_job'],
    'corpora.py: toggle Also write jamo': ['test_controls.py::test_corpora_import_options_reach_the_import_job'],
    'corpora.py: text_input Only titles matching (regular expression, optional)': [
        'test_controls.py::test_corpora_import_options_reach_the_import_job',
    ],
    'corpora.py: file_uploader (file_uploader) File': [
        'test_pages.py::test_corpora_page_lists_the_library_and_stores_a_text_upload',
        'test_pages.py::test_corpora_page_imports_the_fixture_dump_into_the_library',
    ],
    'corpora.py: job_panel (button) Stop the import': [
        'test_controls.py::test_corpora_stop_buttons_ask_a_running_download_and_import_to_stop',
    ],
    'corpora.py: job_panel (button) Resume the import': [
        'test_controls.py::test_corpora_resume_the_import_starts_the_stopped_import_again',
    ],
    'corpora.py: dataframe library_table': [
        'test_robustness_pages.py::test_corpora_page_rename_refuses_a_hostile_name_and_keeps_the_old_one',
        'test_controls.py::test_corpora_download_gives_the_selected_corpus_and_delete_removes_it',
    ],
    'corpora.py: text_input Name': [
        'test_robustness_pages.py::test_corpora_page_rename_refuses_a_hostile_name_and_keeps_the_old_one',
    ],
    'corpora.py: button Rename': [
        'test_robustness_pages.py::test_corpora_page_rename_refuses_a_hostile_name_and_keeps_the_old_one',
    ],
    'corpora.py: download_button Download': [
        'test_controls.py::test_corpora_download_gives_the_selected_corpus_and_delete_removes_it',
    ],
    'corpora.py: button Yes, delete': [
        'test_robustness_pages.py::test_deleting_a_corpus_a_run_trained_on_warns_then_the_run_says_why_it_cannot_resume',
        'test_controls.py::test_corpora_download_gives_the_selected_corpus_and_delete_removes_it',
    ],
    'embeddings.py: button Build embeddings from the built-in corpus': [
        'test_pages.py::test_embeddings_page_builds_embeddings_from_nothing_with_one_click',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'embeddings.py: button Open the Tagger': ['test_controls.py::test_embeddings_open_the_tagger_opens_it'],
    'embeddings.py: corpus_picker (selectbox) Tagged corpus': [
        'test_controls.py::test_embeddings_training_settings_reach_the_job',
    ],
    'embeddings.py: number_input Dimensions': ['test_controls.py::test_embeddings_training_settings_reach_the_job'],
    'embeddings.py: number_input Window': ['test_controls.py::test_embeddings_training_settings_reach_the_job'],
    'embeddings.py: number_input Negatives': [
        'test_robustness_pages.py::test_embeddings_page_refuses_skipgram_settings_out_of_range',
        'test_controls.py::test_embeddings_training_settings_reach_the_job',
    ],
    'embeddings.py: number_input Min count': ['test_controls.py::test_embeddings_training_settings_reach_the_job'],
    'embeddings.py: number_input Epochs': ['test_controls.py::test_embeddings_training_settings_reach_the_job'],
    'embeddings.py: number_input Learning rate': ['test_controls.py::test_embeddings_training_settings_reach_the_job'],
    'embeddings.py: number_input Subsampling': ['test_controls.py::test_embeddings_training_settings_reach_the_job'],
    'embeddings.py: number_input Seed': ['test_controls.py::test_embeddings_training_settings_reach_the_job'],
    'embeddings.py: multiselect Leave out tokens tagged': [
        'test_controls.py::test_embeddings_training_settings_reach_the_job',
    ],
    'embeddings.py: toggle Share negatives within a step': [
        'test_pages.py::test_embeddings_page_can_draw_negatives_per_pair_as_word2vec_does',
    ],
    'embeddings.py: button Train embeddings': [
        'test_pages.py::test_embeddings_page_trains_then_shows_neighbours_chart_and_map',
        'test_controls.py::test_embeddings_training_settings_reach_the_job',
    ],
    'embeddings.py: job_panel (button) Stop': ['test_controls.py::test_embeddings_stop_asks_the_training_to_stop'],
    'embeddings.py: file_uploader (file_uploader) word2vec text or binary file (what gensim writes)': [
        'test_controls.py::test_embeddings_explorer_and_export',
    ],
    'embeddings.py: selectbox Embeddings': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: pick_word (selectbox) Word': [
        'test_pages.py::test_embeddings_page_trains_then_shows_neighbours_chart_and_map',
        'test_controls.py::test_embeddings_explorer_and_export',
    ],
    '_embedding_views.py: number_input How many': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: selectbox Only tag': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: pick_word (selectbox) Word A': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: pick_word (selectbox) Word B': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: pick_word (selectbox) A': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: pick_word (selectbox) − B': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: pick_word (selectbox) + C': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: slider Most frequent words': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: segmented_control Projection': [
        'test_pages.py::test_embeddings_map_offers_tsne_and_umap_with_the_same_rings',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    '_embedding_views.py: text_input Odd one out — words separated by spaces': [
        'test_pages.py::test_embeddings_page_evaluates_like_gensim',
    ],
    '_embedding_views.py: file_uploader Word pairs (word1 TAB word2 TAB score)': [
        'test_pages.py::test_embeddings_page_evaluates_like_gensim',
    ],
    '_embedding_views.py: file_uploader Analogies (questions-words.txt format)': [
        'test_pages.py::test_embeddings_page_evaluates_like_gensim',
    ],
    '_embedding_views.py: button Evaluate word pairs': [
        'test_pages.py::test_embeddings_page_evaluates_like_gensim',
        'test_evaluation_page.py::test_evaluate_word_pairs_names_the_pairs_out_of_vocabulary',
    ],
    '_embedding_views.py: button Evaluate analogies': [
        'test_pages.py::test_embeddings_page_evaluates_like_gensim',
        'test_evaluation_page.py::test_evaluate_analogies_shows_sections_names_what_was_skipped_and_serves_the_next_visitor_from_the_cache',
    ],
    '_embedding_views.py: download_button vectors.tsv': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: download_button metadata.tsv': ['test_controls.py::test_embeddings_explorer_and_export'],
    '_embedding_views.py: download_button word2vec text': ['test_controls.py::test_embeddings_explorer_and_export'],
    'generate.py: job_panel (button) Stop': [
        'test_controls.py::test_generate_stop_ends_the_quick_demo_it_waits_for',
    ],
    'generate.py: button Train the quick demo': [
        'test_pages.py::test_generate_page_without_a_model_offers_the_quick_demo',
    ],
    'generate.py: model_picker (selectbox) Model': ['test_controls.py::test_generate_model_picker_and_clear'],
    'generate.py: text_input Start text': ['test_pages.py::test_generate_page_names_unknown_start_characters'],
    'generate.py: slider Temperature': [
        'test_pages.py::test_generate_page_generates_text_and_the_teaching_chart_follows_the_slider',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'generate.py: slider Length (characters)': [
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    'generate.py: number_input Samples side by side': [
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    'generate.py: number_input Top-k (0 = off)': [
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    'generate.py: slider Top-p (1 = off)': [
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    'generate.py: toggle Fixed seed': [
        'test_pages.py::test_generate_page_draws_a_fresh_seed_each_press_and_a_fixed_seed_repeats_a_text',
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    'generate.py: number_input Seed': [
        'test_pages.py::test_generate_page_draws_a_fresh_seed_each_press_and_a_fixed_seed_repeats_a_text',
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    'generate.py: toggle Show the jamo stream': [
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    'generate.py: toggle Whole syllables only': [
        'test_controls.py::test_generate_decoding_options_reach_the_text',
    ],
    'generate.py: number_input Repetition penalty (1 = off)': [
        'test_controls.py::test_generate_decoding_options_reach_the_text',
    ],
    'generate.py: number_input No repeated n-gram (0 = off)': [
        'test_controls.py::test_generate_decoding_options_reach_the_text',
    ],
    'generate.py: selectbox Stop at': [
        'test_controls.py::test_generate_decoding_options_reach_the_text',
    ],
    'generate.py: toggle A temperature per sample': [
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    "generate.py: slider f'Sample {i + 1}'": [
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    '_generate_views.py: button Generate': [
        'test_pages.py::test_generate_page_generates_text_and_the_teaching_chart_follows_the_slider',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    '_generate_views.py: toggle Colour by surprisal': ['test_pages.py::test_generate_page_branches_from_a_character_and_goes_back_to_the_original'],
    '_generate_views.py: download_button Download text': [
        'test_controls.py::test_generate_every_option_reaches_the_text_and_its_download',
    ],
    '_generate_views.py: selectbox Sample': ['test_controls.py::test_generate_branches_from_the_second_sample'],
    '_generate_views.py: number_input Character': ['test_pages.py::test_generate_page_branches_from_a_character_and_goes_back_to_the_original', 'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool'],
    "_generate_views.py: altair_chart f'branch-{which}-{position}'": ['test_pages.py::test_generate_page_branches_from_a_character_and_goes_back_to_the_original', 'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool'],
    '_generate_views.py: selectbox Continue with': ['test_pages.py::test_generate_page_branches_from_a_character_and_goes_back_to_the_original'],
    '_generate_views.py: button Continue from here': ['test_pages.py::test_generate_page_branches_from_a_character_and_goes_back_to_the_original', 'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool'],
    '_generate_views.py: button Back to the original': ['test_pages.py::test_generate_page_branches_from_a_character_and_goes_back_to_the_original', 'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool'],
    '_generate_views.py: radio Choices': [
        'test_pages.py::test_generate_page_writes_a_whole_syllable_per_click_and_undo_takes_it_back',
        'test_pages.py::test_generate_page_writes_the_picked_tokens_and_undoes_them',
    ],
    '_generate_views.py: toggle Log scale': ['test_pages.py::test_generate_page_log_scale_shows_the_unlikely_choices'],
    "_generate_views.py: altair_chart f'next-{view}-{run.id}-{turn}'": [
        'test_pages.py::test_generate_page_writes_a_whole_syllable_per_click_and_undo_takes_it_back',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    '_generate_views.py: button Undo': [
        'test_pages.py::test_generate_page_writes_a_whole_syllable_per_click_and_undo_takes_it_back',
        'test_pages.py::test_generate_page_writes_the_picked_tokens_and_undoes_them',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    '_generate_views.py: button Clear': ['test_controls.py::test_generate_model_picker_and_clear'],
    '_generate_views.py: button Use as start text': [
        'test_pages.py::test_generate_page_writes_the_picked_tokens_and_undoes_them',
    ],
    "home.py: button f'Open {title}'": [
        'test_controls.py::test_home_open_buttons_open_each_tool',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'inspect.py: model_picker (selectbox) Model': [
        'test_controls.py::test_inspect_model_picker_corpus_line_layer_and_cells_table',
    ],
    'inspect.py: model_picker (selectbox) Compare with (optional)': [
        'test_pages.py::test_inspect_page_compares_two_runs_character_by_character',
    ],
    "inspect.py: button A line from the model's corpus": [
        'test_controls.py::test_inspect_model_picker_corpus_line_layer_and_cells_table',
    ],
    'inspect.py: text_area Text': ['test_pages.py::test_inspect_page_colours_every_character_by_the_models_surprisal'],
    'inspect.py: dataframe cells_table': [
        'test_controls.py::test_inspect_model_picker_corpus_line_layer_and_cells_table',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'inspect.py: number_input Layer': ['test_controls.py::test_inspect_model_picker_corpus_line_layer_and_cells_table'],
    'inspect.py: number_input Cell': [
        'test_pages.py::test_inspect_page_colours_every_character_by_the_models_surprisal',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'tagger.py: button example': ['test_controls.py::test_tagger_examples_engine_and_okt_options'],
    'tagger.py: text_area Text': [
        'test_pages.py::test_tagger_page_tags_the_tutorial_sentence',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'tagger.py: segmented_control Engine': ['test_controls.py::test_tagger_examples_engine_and_okt_options'],
    'tagger.py: toggle norm': ['test_controls.py::test_tagger_examples_engine_and_okt_options'],
    'tagger.py: toggle stem': ['test_controls.py::test_tagger_examples_engine_and_okt_options'],
    "tagger.py: toggle Each morpheme in a table, with its tag's meaning": ['test_pages.py::test_tagger_page_tags_the_tutorial_sentence'],
    'tagger.py: corpus_picker (selectbox) Corpus to tag': [
        'test_controls.py::test_tagger_tags_a_corpus_downloads_it_resumes_and_stops',
    ],
    'tagger.py: selectbox Engine': ['test_controls.py::test_tagger_tags_a_corpus_downloads_it_resumes_and_stops'],
    'tagger.py: button Tag the corpus': [
        'test_controls.py::test_tagger_tags_a_corpus_downloads_it_resumes_and_stops',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'tagger.py: job_panel (button) Stop': [
        'test_controls.py::test_tagger_tags_a_corpus_downloads_it_resumes_and_stops',
    ],
    'tagger.py: download_button Download the tagged corpus': [
        'test_controls.py::test_tagger_tags_a_corpus_downloads_it_resumes_and_stops',
    ],
    'tagger.py: job_panel (button) Resume': ['test_controls.py::test_tagger_tags_a_corpus_downloads_it_resumes_and_stops'],
    'tagger.py: tabs tagger_tab': [
        'test_pages.py::test_tagger_page_compare_lists_every_available_engine',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'train.py: corpus_picker (selectbox) Corpus': [
        'test_robustness_pages.py::test_train_page_refuses_a_corpus_too_small_for_one_batch',
    ],
    'train.py: segmented_control Preset': [
        'test_pages.py::test_train_page_offers_the_better_model_preset_with_its_decaying_rate',
    ],
    'train.py: segmented_control Tokens': ['test_pages.py::test_train_page_trains_on_whole_syllables_when_asked'],
    'train.py: number_input Embedding size': ['test_controls.py::test_train_custom_settings_reach_the_run'],
    'train.py: number_input LSTM units': [
        'test_robustness_pages.py::test_train_page_refuses_a_model_too_large_for_memory',
        'test_controls.py::test_train_custom_settings_reach_the_run',
    ],
    'train.py: number_input LSTM layers': [
        'test_robustness_pages.py::test_train_page_refuses_a_model_too_large_for_memory',
        'test_controls.py::test_train_custom_settings_reach_the_run',
    ],
    'train.py: number_input Dropout': ['test_controls.py::test_train_custom_settings_reach_the_run'],
    'train.py: number_input Batch size': [
        'test_robustness_pages.py::test_train_page_refuses_a_model_too_large_for_memory',
        'test_controls.py::test_train_custom_settings_reach_the_run',
    ],
    'train.py: number_input Sequence length': [
        'test_robustness_pages.py::test_train_page_refuses_a_model_too_large_for_memory',
        'test_controls.py::test_train_custom_settings_reach_the_run',
    ],
    'train.py: number_input Learning rate': ['test_controls.py::test_train_custom_settings_reach_the_run'],
    'train.py: number_input Validation share': ['test_controls.py::test_train_custom_settings_reach_the_run'],
    'train.py: radio Budget': [
        'test_demo_mode.py::test_train_page_shows_the_demo_and_refuses_settings_past_its_limit',
        'test_controls.py::test_train_custom_settings_reach_the_run',
    ],
    'train.py: number_input budgets[budget]': [
        'test_demo_mode.py::test_train_page_shows_the_demo_and_refuses_settings_past_its_limit',
        'test_controls.py::test_train_custom_settings_reach_the_run',
    ],
    'train.py: number_input Seed': ['test_controls.py::test_train_custom_settings_reach_the_run'],
    'train.py: selectbox Rate schedule': ['test_controls.py::test_train_custom_settings_reach_the_run'],
    'train.py: toggle Mixed precision': ['test_controls.py::test_train_custom_settings_reach_the_run'],
    'train.py: button Train': [
        'test_pages.py::test_train_page_starts_a_run_streams_its_chart_and_stops_it',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'train.py: job_panel (button) Stop': [
        'test_pages.py::test_train_page_starts_a_run_streams_its_chart_and_stops_it',
        'e2e/test_walkthrough.py::test_a_new_visitor_walks_through_every_tool',
    ],
    'train.py: dataframe runs_table': [
        'test_pages.py::test_train_page_continues_a_run_below_its_floor_resumes_and_renames_it',
        'test_controls.py::test_train_runs_table_compares_evaluates_downloads_and_deletes',
    ],
    'train.py: segmented_control Compare by': [
        'test_controls.py::test_train_runs_table_compares_evaluates_downloads_and_deletes',
    ],
    'train.py: text_input Name': [
        'test_pages.py::test_train_page_continues_a_run_below_its_floor_resumes_and_renames_it',
    ],
    'train.py: button Rename': [
        'test_pages.py::test_train_page_continues_a_run_below_its_floor_resumes_and_renames_it',
    ],
    'train.py: button Resume': [
        'test_pages.py::test_train_page_continues_a_run_below_its_floor_resumes_and_renames_it',
    ],
    'train.py: button Validation loss now': [
        'test_controls.py::test_train_runs_table_compares_evaluates_downloads_and_deletes',
        'test_controls.py::test_a_button_in_a_live_part_that_raises_keeps_saying_so_until_dismissed',
    ],
    'train.py: download_button Download checkpoint': [
        'test_controls.py::test_train_runs_table_compares_evaluates_downloads_and_deletes',
    ],
    'train.py: button Yes, delete': [
        'test_controls.py::test_train_runs_table_compares_evaluates_downloads_and_deletes',
    ],
    'vocabulary.py: file_uploader (file_uploader) Text file': [
        'test_pages.py::test_upload_cp949_shows_notice_and_selects_it',
    ],
    'vocabulary.py: corpus_picker (selectbox) Corpus': [
        'test_controls.py::test_vocabulary_corpus_picker_preview_slider_and_downloads',
    ],
    'vocabulary.py: segmented_control Tokens': [
        'test_pages.py::test_vocabulary_page_counts_whole_syllables_to_compare_with_jamo',
    ],
    'vocabulary.py: number_input Minimum count (rarer tokens are folded into `<unk>`)': [
        'test_pages.py::test_vocabulary_min_count_folds_rare_tokens',
    ],
    'vocabulary.py: slider Characters to preview': [
        'test_controls.py::test_vocabulary_corpus_picker_preview_slider_and_downloads',
    ],
    'vocabulary.py: text_input Search tokens': ['test_pages.py::test_vocabulary_search_filters_the_table'],
    'vocabulary.py: slider Top N': ['test_pages.py::test_vocabulary_log_scale_and_top_n_reach_the_chart'],
    'vocabulary.py: toggle Log scale': ['test_pages.py::test_vocabulary_log_scale_and_top_n_reach_the_chart'],
    'vocabulary.py: download_button Vocabulary (JSON)': [
        'test_controls.py::test_vocabulary_corpus_picker_preview_slider_and_downloads',
    ],
    'vocabulary.py: download_button Token table (CSV)': [
        'test_controls.py::test_vocabulary_corpus_picker_preview_slider_and_downloads',
    ],
    '_embedding_axes.py: text_input X axis: from': [
        'test_custom_axes_page.py::test_two_axes_typed_by_a_visitor_redraw_the_map_with_their_words_ringed',
        'test_custom_axes_page.py::test_an_axis_that_cannot_be_drawn_is_named_in_a_warning_and_no_map_is_drawn',
        'e2e/test_custom_axes_in_browser.py::test_a_visitor_draws_a_custom_axes_map',
    ],
    '_embedding_axes.py: text_input X axis: to': [
        'test_custom_axes_page.py::test_two_axes_typed_by_a_visitor_redraw_the_map_with_their_words_ringed',
        'test_custom_axes_page.py::test_an_axis_that_cannot_be_drawn_is_named_in_a_warning_and_no_map_is_drawn',
    ],
    '_embedding_axes.py: text_input Y axis: from': [
        'test_custom_axes_page.py::test_two_axes_typed_by_a_visitor_redraw_the_map_with_their_words_ringed',
        'test_custom_axes_page.py::test_an_axis_that_cannot_be_drawn_is_named_in_a_warning_and_no_map_is_drawn',
    ],
    '_embedding_axes.py: text_input Y axis: to': [
        'test_custom_axes_page.py::test_two_axes_typed_by_a_visitor_redraw_the_map_with_their_words_ringed',
        'test_custom_axes_page.py::test_an_axis_that_cannot_be_drawn_is_named_in_a_warning_and_no_map_is_drawn',
        'e2e/test_custom_axes_in_browser.py::test_a_visitor_draws_a_custom_axes_map',
    ],
    '_embedding_axes.py: slider Words on the axes map': [
        'test_custom_axes_page.py::test_the_word_count_and_the_content_switch_reach_the_map',
    ],
    '_embedding_axes.py: toggle Content words only': [
        'test_custom_axes_page.py::test_the_word_count_and_the_content_switch_reach_the_map',
    ],
    'embeddings.py: selectbox Tagger': [
        'test_embedding_neighbours_page.py::test_the_one_click_build_uses_the_tagger_chosen',
        'test_pages.py::test_embeddings_page_builds_embeddings_from_nothing_with_one_click',
    ],
    '_embedding_views.py: toggle Content words only': [
        'test_embedding_neighbours_page.py::test_neighbours_tab_shows_content_words_by_default_and_everything_when_the_toggle_is_off',
        'test_embedding_neighbours_page.py::test_neighbours_tab_disables_the_toggle_and_says_why_for_untagged_vectors',
    ],
    '_embedding_views.py: button Evaluate with the built-in Korean pairs': [
        'test_embedding_neighbours_page.py::test_evaluate_with_the_built_in_korean_pairs_scores_them_and_names_the_pairs_it_could_not',
    ],
    # The Map tab (issue 34, parts 2 and 3)
    '_embedding_views.py: toggle All tags': [
        'test_embedding_map_page.py::test_the_map_shows_content_words_by_default_and_every_tag_with_the_switch',
    ],
    '_embedding_views.py: number_input t-SNE perplexity': [
        'test_embedding_map_page.py::test_projection_settings_reach_the_projection_only_when_the_map_is_drawn',
    ],
    '_embedding_views.py: number_input UMAP neighbours': [
        'test_embedding_map_page.py::test_projection_settings_reach_the_projection_only_when_the_map_is_drawn',
    ],
    '_embedding_views.py: form_submit_button Draw the map': [
        'test_embedding_map_page.py::test_projection_settings_reach_the_projection_only_when_the_map_is_drawn',
        'test_embedding_map_page.py::test_the_map_shows_content_words_by_default_and_every_tag_with_the_switch',
        'test_controls.py::test_embeddings_explorer_and_export',
    ],
    '_embedding_views.py: text_input Find words on the map': [
        'test_embedding_map_page.py::test_search_rings_and_labels_every_match_and_a_hostile_pattern_answers_promptly',
        'e2e/test_embedding_map.py::test_the_map_finds_a_word_and_a_click_makes_a_point_the_query',
    ],
    '_embedding_views.py: toggle Regular expression': [
        'test_embedding_map_page.py::test_search_rings_and_labels_every_match_and_a_hostile_pattern_answers_promptly',
    ],
    '_embedding_views.py: toggle Label all': [
        'test_embedding_map_page.py::test_label_all_labels_more_words_without_overprinting',
    ],
    '_embedding_views.py: plotly_chart word_map_chart': [
        'test_embedding_map_page.py::test_clicking_a_point_makes_it_the_query_and_the_rings_follow',
        'test_embedding_map_page.py::test_a_box_or_lasso_selection_lists_the_words_and_exports_them',
        'e2e/test_embedding_map.py::test_the_map_finds_a_word_and_a_click_makes_a_point_the_query',
    ],
    '_embedding_views.py: download_button Download the selected words': [
        'test_embedding_map_page.py::test_a_box_or_lasso_selection_lists_the_words_and_exports_them',
    ],
}
