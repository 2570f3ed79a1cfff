"""The char-LSTM: presets and data, run folders, the training loop and its job, sampling."""
