"""Locally built tiny base models, and loading base models without a model hub.

No model hub is reachable from where the pipeline runs, so tests, the demo and CI train
adapters on a randomly initialised Llama whose byte-level BPE tokenizer is trained on the
fly from the builder's own texts. The tokenizer carries a chat template so TRL can render
conversational preference records (prompt/chosen/rejected message lists) for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

BOS, EOS, PAD, UNK = "<s>", "</s>", "<pad>", "<unk>"
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>")

# Every turn is `<|role|>content</s>`; the generation prompt is a bare `<|assistant|>`.
# The rendered prompt must be a token-prefix of the rendered prompt+completion (TRL splits
# the completion off at the common prefix), so role markers are special tokens: BPE never
# merges across them, whatever text follows.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + eos_token }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)

MANIFEST = "tiny_model.json"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", MANIFEST)


class ModelNotAvailableError(RuntimeError):
    """The base model is neither a local directory nor in the local Hugging Face cache."""


class BaseModel(NamedTuple):
    model: Any  # transformers.PreTrainedModel
    tokenizer: Any  # transformers.PreTrainedTokenizerBase


@dataclass(frozen=True)
class _TinySpec:
    """What a tiny model is built from; equal specs give the same model, so a rebuild is skipped."""

    vocab_size: int
    hidden_size: int
    layers: int
    heads: int
    max_position: int
    seed: int
    corpus_sha256: str


def build_tiny_llama(
    texts: Iterable[str],
    out_dir: Path,
    vocab_size: int = 2000,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 4,
    max_position: int = 512,
    seed: int = 0,
) -> Path:
    """Train a tokenizer on `texts`, build a random Llama on it and save both into `out_dir`.

    Idempotent: an `out_dir` that already holds a complete model built from the same
    parameters and corpus is returned as it is. The model is built in a sibling temp
    directory and renamed into place, so concurrent runs never see a half-written model.
    """
    out_dir = Path(out_dir)
    corpus = [t for t in texts if t]
    if not corpus:
        raise ValueError("build_tiny_llama needs at least one non-empty text to train a tokenizer on")
    spec = _TinySpec(vocab_size, hidden_size, layers, heads, max_position, seed, _corpus_digest(corpus))
    if _holds_model_built_from(out_dir, spec):
        return out_dir

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tokenizer = _train_tokenizer(corpus, vocab_size, max_position)
        model = _random_llama(tokenizer, spec)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / MANIFEST).write_text(json.dumps(asdict(spec), indent=2))
        if out_dir.exists():  # stale or built from another spec
            shutil.rmtree(out_dir)
        try:
            staging.rename(out_dir)
        except OSError:
            # Another process finished the same build first; its copy is as good as ours.
            if not _holds_model_built_from(out_dir, spec):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def load_base_model(name_or_path: str | Path, dtype: Any = "auto", quantization_config: Any = None) -> BaseModel:
    """Load a causal LM and its tokenizer from a local directory (or the local HF cache).

    Never downloads: a hub id such as "Qwen/Qwen3-32B" that is not on disk fails at once
    with a message saying what to do, instead of hanging on an unreachable hub.
    """
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    name = str(name_or_path)
    if not Path(name).is_dir():
        try:
            AutoConfig.from_pretrained(name, local_files_only=True)
        except (OSError, ValueError) as err:
            raise ModelNotAvailableError(
                f"model {name!r} is not available locally and no model hub is reachable; "
                "build one with build_tiny_llama or point base_model at a local directory"
            ) from err
    model = AutoModelForCausalLM.from_pretrained(
        name, local_files_only=True, dtype=dtype, **({"quantization_config": quantization_config} if quantization_config else {})
    )
    tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=True)
    return BaseModel(model, tokenizer)


def _corpus_digest(corpus: list[str]) -> str:
    digest = hashlib.sha256()
    for text in corpus:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _holds_model_built_from(out_dir: Path, spec: _TinySpec) -> bool:
    if not all((out_dir / name).is_file() for name in _REQUIRED_FILES):
        return False
    try:
        return json.loads((out_dir / MANIFEST).read_text()) == asdict(spec)
    except (OSError, json.JSONDecodeError):
        return False


def _train_tokenizer(corpus: list[str], vocab_size: int, max_length: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token=UNK))
    # Byte-level: any text (code, emoji, other scripts) encodes without <unk>.
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, BOS, EOS, UNK, *ROLE_TOKENS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(corpus, trainer=trainer)

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        extra_special_tokens=list(ROLE_TOKENS),
        model_max_length=max_length,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def _random_llama(tokenizer, spec: _TinySpec):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),  # a small corpus can yield fewer tokens than asked for
        hidden_size=spec.hidden_size,
        intermediate_size=spec.hidden_size * 4,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.heads,
        max_position_embeddings=spec.max_position,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    # fork_rng: seed the initialisation without disturbing the caller's global RNG stream.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = LlamaForCausalLM(config)
    return model
