"""Caps on every user input, in one place: the UI states them and the task code enforces them."""

# Whole request, all inputs together: refused before gradio keeps a copy in the session (each tab's own
# caps are far smaller; the largest is the fine-tuning CSV).
PAYLOAD_CHARS = 1_000_000
# Sessions (browser tabs, API clients) whose state gradio keeps: ~1.5 MB each for this app's component
# tree plus their last inputs. No tab keeps gr.State, so an evicted session only loses slider/choice updates.
SESSIONS_KEPT = 64
# Time budget of one training run (train_classifier, train_lm, lstm_train): pass it to _common.guarded as
# budget_s; other requests get Settings.time_budget_s (PLAYGROUND_TIME_BUDGET_S, default 300 s).
TRAINING_BUDGET_S = 1_800

TEXT_CHARS = 5_000  # sentiment, NER, fill-mask, zero-shot text
PROMPT_CHARS = 2_000  # generation prompts
ZERO_SHOT_LABELS = 20
LABEL_CHARS = 100
FILL_MASK_TOP_K = 20
GENERATE_NEW_TOKENS = 256
GENERATE_SEQUENCES = 5
GENERATE_TOP_K = 1_000
GENERATE_BEAMS = 8  # beam search keeps this many hypotheses alive: cost grows with it
REPETITION_PENALTY_MAX = 2.0  # 1.0 is off; above 2 the text turns to noise
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
FINETUNE_LR_MIN, FINETUNE_LR_MAX = 1e-6, 5e-2  # above ~1e-3 a pretrained model forgets; tiny ones need it
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
QA_QUESTION_CHARS = 500
QA_QUESTION_TOKENS = 64  # the 4.x pipeline's max_question_len
QA_CONTEXT_CHARS = 20_000  # read in overlapping windows of 384 tokens
QA_TOP_K = 10
SUMMARIZE_CHARS = 12_000  # summarized chunk by chunk when longer than the model takes
TRANSLATE_CHARS = 5_000  # translated sentence by sentence when longer than the model takes
SEQ2SEQ_NEW_TOKENS = 512
SEQ2SEQ_BEAMS = 8
LENGTH_PENALTY_MAX = 5.0
NO_REPEAT_NGRAM_MAX = 10

# ---- "Why?" views (issue 17): each stated beside its input and refused with a clear message beyond it ----
WHY_CHARS = 1_000  # text of every Why? view (one sentence or a short paragraph)
WHY_TOKENS = 64  # attribution, head ablation, logit lens: tokens of the text (the views show every token)
ATTRIBUTION_STEPS = 128  # integrated gradients: path points, each a forward and backward pass (docs/why.md: cost)
ATTRIBUTION_TARGET_CHARS = 100  # a class name, label or token
ABLATION_HEADS_CHARS = 2_000  # the list of heads to silence, e.g. "0.1, 2.3, 5.*"
SAMPLING_SHOWN = 30  # sampling distribution: the likeliest tokens drawn as bars (at least 20)
CROSS_ATTENTION_TOKENS = 48  # source tokens, task prefix included (the view draws a line per pair)
CROSS_ATTENTION_NEW_TOKENS = 48  # tokens of the translation whose attention is shown
NEURON_TOKENS = 24  # neuron view: every query and key vector is drawn, one row per token
PROJECTION_SENTENCES = 50  # embedding projection: sentences, one per line
PROJECTION_MIN_SENTENCES = 3  # fewer leave nothing for a second axis to show
PROJECTION_TOKENS = 128  # tokens of one sentence
PROJECTION_CHARS = 10_000  # all sentences together
