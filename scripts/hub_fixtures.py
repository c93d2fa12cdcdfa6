"""Small random hub-style checkpoints with reference outputs, for tests of lib/hub (needs torch,
transformers, safetensors and tokenizers; the test suite uses the committed copies in
test/fixtures/hub and regenerates a fresh set at test time only where Python has these packages).

  python3 scripts/hub_fixtures.py OUT_DIR [SEED]

Writes into OUT_DIR:
  tokenizer/                 tokenizer.json: byte-level BPE trained on test/fixtures/hub/sample.txt, BOS added
  llama/                     LlamaForCausalLM by transformers: GQA (4 heads, 2 kv heads), untied head,
                             silu, rope_theta 500000, bf16, sharded with model.safetensors.index.json
  minicpm/                   MiniCPM layout (model_type minicpm, scale_emb, scale_depth, dim_model_base),
                             relu, GQA, tied head, one F16 model.safetensors
  expected.json              token ids of sample.txt, the evaluation windows, per-token NLL of each model
  expected.safetensors       logits of each model on those windows (float32)
The MiniCPM reference forward below is written from the released modeling_minicpm.py (thunlp/SparsingLaw):
embeddings * scale_emb; each residual branch * scale_depth / sqrt(layers); the final normed state
divided by hidden_size / dim_model_base before the head; RMSNorm, rotary and attention as LLaMA's.
"""
import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "test", "fixtures", "hub", "sample.txt")
T = 16          # tokens per evaluation window
STARTS = [0, 200]


def make_tokenizer(out):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train([SAMPLE], trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", bos)])
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))
    return tok


def windows(ids):
    x = torch.tensor([ids[s:s + T] for s in STARTS], dtype=torch.long)
    y = torch.tensor([ids[s + 1:s + T + 1] for s in STARTS], dtype=torch.long)
    return x, y


def nll(logits, y):
    return -F.log_softmax(logits, dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)


def make_llama(out, tok_dir, vocab, x, y, seed):
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab + 20, hidden_size=32, intermediate_size=80, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, hidden_act="silu", max_position_embeddings=64,
                      rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=False,
                      attention_bias=False, mlp_bias=False)
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():  # non-trivial norms and larger weights, so a layout mistake shows
        for n, p in model.named_parameters():
            if "norm" in n:
                p.uniform_(0.5, 1.5)
            else:
                p.normal_(0, 0.1)
    model = model.to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True, max_shard_size="20KB")
    for f in ("tokenizer.json",):
        shutil.copy(os.path.join(tok_dir, f), os.path.join(out, f))
    # The reference runs in float64 on the bf16-rounded weights: transformers' own float32 forward is
    # 1e-5 to 6e-5 (relative) away from it on such random models, so float64 leaves the 1e-4 budget to ours.
    model = model.double().eval()
    model.config._attn_implementation = "eager"
    with torch.no_grad():
        logits = model(input_ids=x).logits
    return logits.float(), nll(logits, y).float()


def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def minicpm_forward(W, c, ids, act, threshold=0.0):
    """Forward of the MiniCPM layout (in the dtype of W) (as modeling_minicpm.py, without caches or masks for padding)."""
    B, L = ids.shape
    d, H, KV, layers = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["num_hidden_layers"]
    hd = d // H
    eps = c["rms_norm_eps"]
    inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
    freqs = torch.outer(torch.arange(L).double(), inv.double())
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((L, L), float("-inf")).triu(1)
    branch = c["scale_depth"] / math.sqrt(layers)
    x = W["model.embed_tokens.weight"][ids] * c["scale_emb"]
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    for l in range(layers):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"], eps)
        q = (h @ W[p + "self_attn.q_proj.weight"].T).view(B, L, H, hd).transpose(1, 2)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).view(B, L, KV, hd).transpose(1, 2)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).view(B, L, KV, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
        att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(hd) + mask, dim=-1) @ v
        x = x + (att.transpose(1, 2).reshape(B, L, d) @ W[p + "self_attn.o_proj.weight"].T) * branch
        h = rms(x, W[p + "post_attention_layernorm.weight"], eps)
        g = h @ W[p + "mlp.gate_proj.weight"].T
        g = F.relu(g) if act == "relu" else torch.where(g >= threshold, g, torch.zeros_like(g))
        x = x + ((g * (h @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T) * branch
    x = rms(x, W["model.norm.weight"], eps)
    return (x / (d / c["dim_model_base"])) @ W["model.embed_tokens.weight"].T


def make_minicpm(out, tok_dir, vocab, x, y, seed):
    g = torch.Generator().manual_seed(seed + 1)
    c = {"architectures": ["MiniCPMForCausalLM"], "model_type": "minicpm", "vocab_size": vocab, "hidden_size": 32,
         "intermediate_size": 80, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
         "hidden_act": "relu", "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
         "rope_scaling": None, "tie_word_embeddings": True, "scale_emb": 12, "scale_depth": 1.4, "dim_model_base": 8,
         "attention_bias": False, "torch_dtype": "float16"}
    d, kv = c["hidden_size"], c["num_key_value_heads"] * (c["hidden_size"] // c["num_attention_heads"])
    shapes = {"model.embed_tokens.weight": (vocab, d), "model.norm.weight": (d,)}
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        shapes.update({p + "input_layernorm.weight": (d,), p + "post_attention_layernorm.weight": (d,),
                       p + "self_attn.q_proj.weight": (d, d), p + "self_attn.k_proj.weight": (kv, d),
                       p + "self_attn.v_proj.weight": (kv, d), p + "self_attn.o_proj.weight": (d, d),
                       p + "mlp.gate_proj.weight": (80, d), p + "mlp.up_proj.weight": (80, d), p + "mlp.down_proj.weight": (d, 80)})
    W = {}
    for n, s in shapes.items():
        w = torch.rand(s, generator=g) + 0.5 if "norm" in n else torch.randn(s, generator=g) * (0.05 if "embed" in n else 0.2)
        W[n] = w.half()
    os.makedirs(out, exist_ok=True)
    save_file({n: w.contiguous() for n, w in W.items()}, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    json.dump(c, open(os.path.join(out, "config.json"), "w"), indent=2)
    shutil.copy(os.path.join(tok_dir, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    W64 = {n: w.double() for n, w in W.items()}  # float64 reference on the F16-rounded weights
    res = {}
    for name, act, th in (("minicpm", "relu", 0.0), ("minicpm-fatrelu", "fatrelu", 0.05)):
        logits = minicpm_forward(W64, c, x, act, th)
        res[name] = (logits.float(), nll(logits, y).float())
    return res


def main(out, seed=0):
    seed = int(seed)
    os.makedirs(out, exist_ok=True)
    tok = make_tokenizer(os.path.join(out, "tokenizer"))
    text = open(SAMPLE, encoding="utf-8").read()
    ids = tok.encode(text).ids
    vocab = tok.get_vocab_size()
    x, y = windows(ids)
    results = {"llama": make_llama(os.path.join(out, "llama"), os.path.join(out, "tokenizer"), vocab, x, y, seed)}
    results.update(make_minicpm(os.path.join(out, "minicpm"), os.path.join(out, "tokenizer"), vocab, x, y, seed))
    save_file({f"{k}.logits": v[0].reshape(-1, v[0].shape[-1]).contiguous() for k, v in results.items()},
              os.path.join(out, "expected.safetensors"))
    json.dump({"seed": seed, "ids": ids, "starts": STARTS, "context": T, "x": x.reshape(-1).tolist(), "y": y.reshape(-1).tolist(),
               "fatrelu_threshold": 0.05,
               "nll": {k: v[1].reshape(-1).tolist() for k, v in results.items()}}, open(os.path.join(out, "expected.json"), "w"))
    shutil.rmtree(os.path.join(out, "tokenizer"))  # each model directory has its copy


if __name__ == "__main__":
    main(*sys.argv[1:])
