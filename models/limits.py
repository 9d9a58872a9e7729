"""Caps on every user input, in one place: the UI states them and the task code enforces them."""

TEXT_CHARS = 5_000  # sentiment, NER, fill-mask, zero-shot text
PROMPT_CHARS = 2_000  # generation prompts
ZERO_SHOT_LABELS = 20
LABEL_CHARS = 100
FILL_MASK_TOP_K = 20
GENERATE_NEW_TOKENS = 256
GENERATE_SEQUENCES = 5
GENERATE_TOP_K = 1_000
TEMPERATURE_MAX = 5.0
SEED_MAX = 2**32 - 1
# Fine-tuning lab (one training at a time; these keep a run within a few minutes on 2 cores)
FINETUNE_ROWS = 1_000  # labelled examples per classifier run
FINETUNE_MIN_ROWS = 8  # fewer leave nothing to hold out
FINETUNE_EXAMPLE_CHARS = 500  # one example's text
FINETUNE_CSV_CHARS = 300_000  # the whole pasted CSV
FINETUNE_LABELS = 10  # distinct classes
FINETUNE_EPOCHS = 10
FINETUNE_BATCH = 64
FINETUNE_LR_MIN, FINETUNE_LR_MAX = 1e-6, 1e-2
LM_TEXT_CHARS = 20_000  # causal LM training text
LM_STEPS = 200
PAIR_ROWS = 8  # sentence-pair view: pairs in one batch
LSTM_STEPS = 2_000  # LSTM lesson: training steps per run
LSTM_TEXT_CHARS = 300  # LSTM lesson: sentence to translate
TOKENIZE_CHARS = 5_000  # tokenizer explorer text
TOKENIZE_BATCH_SENTENCES = 8  # batch view: sentences padded together
TOKENIZE_BATCH_LENGTH = 64  # batch view: longest max_length (the grid stays readable)
POSITIONS_MAX = 1_024  # positional encoding: sequence length
D_MODEL_MAX = 1_024  # positional encoding: model width
ATTENTION_CHARS = 1_000  # attention, word in context, self-attention text
ATTENTION_TOKENS = 64  # attention views: tokens per sentence (bertviz slows down beyond)
SCRATCH_TOKENS = 16  # self-attention from scratch: every matrix is shown
