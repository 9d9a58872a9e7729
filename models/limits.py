"""Caps on every user input: the UI states them and the task code enforces them.

Caps shared by several tabs are set here; each task's own caps are declared in its registry entry
(models/registry.py) and re-exported below under the same names, so a new task adds its caps to its entry only.
"""

from models.registry import REGISTRY

# Whole request, all inputs together: refused before gradio keeps a copy in the session (each tab's own
# caps are far smaller; the largest is the fine-tuning CSV).
PAYLOAD_CHARS = 1_000_000
# Sessions (browser tabs, API clients) whose state gradio keeps: ~1.5 MB each for this app's component
# tree plus their last inputs. No tab keeps gr.State, so an evicted session only loses slider/choice updates.
SESSIONS_KEPT = 64
# Results a client has not read from its event stream (serving/sessions.py): kept at most this long, at most this
# many bytes of them in all (the oldest dropped first), and a session with this many unread is refused more.
UNREAD_S = 60.0
UNREAD_BYTES = 64 << 20
# A page fires about 30 events as it loads (each tab's model note, shapes, a link) before its event stream has read
# any result: 16 refused a real browser's own page. 64 leaves room for twice that; UNREAD_BYTES bounds the memory.
UNREAD_PER_SESSION = 64
# A session hash is a key gradio keeps in several places: its pages make 11 characters, gradio_client 36.
SESSION_HASH_CHARS = 64
# Decoding steps one summary or translation may take in all (pieces x each piece's longest output): random weights
# never stop early, so the offline pack always runs them all. Measured on 2 busy cores (load 4.6): the offline BART
# with 4 beams ~14 ms a step (4,096: about a minute), the offline T5 ~1.9 ms (32,768: about a minute). Real models
# stop at their end token long before; at defaults this admits 28 summary pieces (distilbart: ~28,000 tokens) and
# 128 sentences translated (a 5,000-character text of 40-character sentences).
SUMMARIZE_DECODE_STEPS = 4_096
TRANSLATE_DECODE_STEPS = 32_768
# Models fine-tuned in the classifier lab kept in memory and on disk, one per session (least recent dropped first):
# a MiniLM classifier is ~90 MB in float32, so 4 cost ~360 MB at most.
MY_MODELS_KEPT = 4
# gradio's upload cache (GRADIO_TEMP_DIR): (sweep every, delete files older than), in seconds. A CSV is read
# into the examples box as soon as it is uploaded, and then deleted.
UPLOAD_SWEEP = (600, 3600)
# Time budget of one training run (train_classifier, train_lm, lstm_train): pass it to _common.guarded as
# budget_s; other requests get Settings.time_budget_s (PLAYGROUND_TIME_BUDGET_S, default 300 s).
TRAINING_BUDGET_S = 1_800

TEXT_CHARS = 5_000  # sentiment, NER, fill-mask, zero-shot text
NO_REPEAT_NGRAM_MAX = 10  # generation and summarization
SEQ2SEQ_NEW_TOKENS = 512  # summarization and translation
SEQ2SEQ_BEAMS = 8
LM_TEXT_CHARS = 20_000  # causal LM training text (the fine-tuning lab, on the generation model)
LM_STEPS = 200
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


# Each task's own caps (what each guards against: beside it in the registry), by the names callers use.
_TASK_CAPS = {name: value for task in REGISTRY.values() for name, value in task.limits.items()}
ZERO_SHOT_LABELS = _TASK_CAPS["ZERO_SHOT_LABELS"]
LABEL_CHARS = _TASK_CAPS["LABEL_CHARS"]
FILL_MASK_TOP_K = _TASK_CAPS["FILL_MASK_TOP_K"]
PROMPT_CHARS = _TASK_CAPS["PROMPT_CHARS"]
GENERATE_NEW_TOKENS = _TASK_CAPS["GENERATE_NEW_TOKENS"]
GENERATE_SEQUENCES = _TASK_CAPS["GENERATE_SEQUENCES"]
GENERATE_TOP_K = _TASK_CAPS["GENERATE_TOP_K"]
GENERATE_BEAMS = _TASK_CAPS["GENERATE_BEAMS"]
REPETITION_PENALTY_MAX = _TASK_CAPS["REPETITION_PENALTY_MAX"]
TEMPERATURE_MAX = _TASK_CAPS["TEMPERATURE_MAX"]
SEED_MAX = _TASK_CAPS["SEED_MAX"]
QA_QUESTION_CHARS = _TASK_CAPS["QA_QUESTION_CHARS"]
QA_QUESTION_TOKENS = _TASK_CAPS["QA_QUESTION_TOKENS"]
QA_CONTEXT_CHARS = _TASK_CAPS["QA_CONTEXT_CHARS"]
QA_TOP_K = _TASK_CAPS["QA_TOP_K"]
SUMMARIZE_CHARS = _TASK_CAPS["SUMMARIZE_CHARS"]
LENGTH_PENALTY_MAX = _TASK_CAPS["LENGTH_PENALTY_MAX"]
TRANSLATE_CHARS = _TASK_CAPS["TRANSLATE_CHARS"]
FINETUNE_ROWS = _TASK_CAPS["FINETUNE_ROWS"]
FINETUNE_MIN_ROWS = _TASK_CAPS["FINETUNE_MIN_ROWS"]
FINETUNE_EXAMPLE_CHARS = _TASK_CAPS["FINETUNE_EXAMPLE_CHARS"]
FINETUNE_CSV_CHARS = _TASK_CAPS["FINETUNE_CSV_CHARS"]
FINETUNE_LABELS = _TASK_CAPS["FINETUNE_LABELS"]
FINETUNE_EPOCHS = _TASK_CAPS["FINETUNE_EPOCHS"]
FINETUNE_BATCH = _TASK_CAPS["FINETUNE_BATCH"]
FINETUNE_LR_MIN = _TASK_CAPS["FINETUNE_LR_MIN"]
FINETUNE_LR_MAX = _TASK_CAPS["FINETUNE_LR_MAX"]
PAIR_ROWS = _TASK_CAPS["PAIR_ROWS"]

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
# Attention over generated text (the Text generation tab): the prompt's tokens and the new ones, every one drawn
GENERATED_ATTENTION_TOKENS = 128
