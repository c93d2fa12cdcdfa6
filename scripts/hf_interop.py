"""Cross-check with Hugging Face transformers (optional; needs torch + transformers).

  python3 scripts/hf_interop.py logits CKPT_DIR IDS_JSON OUT_JSON   # our checkpoint -> HF logits
  python3 scripts/hf_interop.py make OUT_DIR ACT                      # a random HF Llama with a gated FFN
"""
import json
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def logits(ckpt, ids_file, out_file):
    model = LlamaForCausalLM.from_pretrained(ckpt, torch_dtype=torch.float32)
    model.eval()
    spec = json.load(open(ids_file))
    ids = torch.tensor(spec["ids"], dtype=torch.long).reshape(spec["B"], spec["T"])
    with torch.no_grad():
        out = model(input_ids=ids).logits.reshape(spec["B"] * spec["T"], -1)
    json.dump(out.tolist(), open(out_file, "w"))


def make(out_dir, act):
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=256, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=2, hidden_act=act,
                      max_position_embeddings=32, rms_norm_eps=1e-5, rope_theta=10000.0,
                      tie_word_embeddings=True, attention_bias=False, mlp_bias=False)
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():  # non-trivial norms, so a layout mistake shows
        for n, p in model.named_parameters():
            if "norm" in n:
                p.uniform_(0.5, 1.5)
    model.save_pretrained(out_dir, safe_serialization=True)
    ids = torch.arange(2 * 16).reshape(2, 16) * 7 % 256
    with torch.no_grad():
        out = model(input_ids=ids).logits.reshape(32, -1)
    json.dump({"ids": ids.reshape(-1).tolist(), "B": 2, "T": 16, "logits": out.tolist()}, open(f"{out_dir}/expected.json", "w"))


if __name__ == "__main__":
    {"logits": logits, "make": make}[sys.argv[1]](*sys.argv[2:])
