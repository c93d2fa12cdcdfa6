"""Golden forward-pass fixture for test/golden.test.ts, computed by an independent implementation.

    /work/venv/bin/python scripts/golden/make-golden.py            # writes test/fixtures/golden/
    /work/venv/bin/python scripts/golden/make-golden.py OUT_DIR    # elsewhere (e.g. to diff)

Any python3 with torch 2.x, transformers, safetensors and numpy will do. The suite itself never runs
this: the outputs are committed, so the golden test needs no Python. Seeded and single-threaded:
rerunning it with the same library versions rewrites the same bytes (the versions are recorded in
each golden.json).

For each activation (relu, silu) it builds a micro LlamaForCausalLM with deterministic random
weights scaled so that attention, norms and the FFN all do something (not the default init, whose
norms are all 1 and whose activations are tiny), and writes OUT_DIR/<act>/:
  config.json, model.safetensors  the checkpoint in our layout (HF names, [out, in] weights, tied head)
  golden.safetensors              logits [N, 256] and per-token NLL [N] from transformers (float32),
                                  and per layer s = act(gate_proj x), u = up_proj x, a = s * u [N, dFF]
                                  read by forward hooks on the MLP modules
  golden.json                     token ids and targets, the float32-vs-float64 noise of the reference,
                                  and per layer the CETT threshold for one target found by brute force
                                  (numpy, float64, straight from the definition in shared/method.md)

The micro size is a compromise with the repository: vocab 256 (bytes) makes the embedding the
largest tensor, so d = 16 keeps both checkpoints and their outputs near 200 KB in all.
"""
import json
import os
import sys

import numpy as np
import safetensors
import safetensors.numpy
import torch
import torch.nn.functional as F
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

B, T = 2, 16          # two sequences, so batching is checked; 16 positions, so rotary angles matter
VOCAB, D, D_FF, LAYERS, CONTEXT = 256, 16, 40, 2, 32
CETT_TARGET = 0.2
# relu with 2 heads (head size 8), silu with 4 (head size 4): rotary per head and the head layout
# are checked at two splits of the same width.
MODELS = [("relu", 2, 11), ("silu", 4, 12)]  # (activation, heads, seed)
# A threshold is only worth comparing if float32 noise in the activations (about 1e-6 relative)
# cannot change which key it is: its CETT must sit this far from the target and its key this far
# (relatively) from the neighbouring keys.
CETT_MARGIN = 1e-4
KEY_GAP = 1e-4


def hf_config(act, heads):
    """The same keys our lib/checkpoint/hf.ts writes (toHFConfig)."""
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": D, "num_hidden_layers": LAYERS, "num_attention_heads": heads, "num_key_value_heads": heads,
        "intermediate_size": D_FF, "hidden_act": act, "vocab_size": VOCAB, "max_position_embeddings": CONTEXT,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": True,
        "attention_bias": False, "mlp_bias": False, "torch_dtype": "float32",
    }


def random_weights(seed):
    """HF names and shapes ([out, in]); projections ~ N(0, 1/in), embedding ~ N(0, 0.25), norms ~ U(0.5, 1.5)."""
    rng = np.random.default_rng(seed)
    normal = lambda shape, std: (rng.standard_normal(shape) * std).astype(np.float32)
    norm = lambda: rng.uniform(0.5, 1.5, D).astype(np.float32)
    w = {"model.embed_tokens.weight": normal((VOCAB, D), 0.5)}
    for l in range(LAYERS):
        p = f"model.layers.{l}"
        w[f"{p}.input_layernorm.weight"] = norm()
        for n in ("q_proj", "k_proj", "v_proj", "o_proj"):
            w[f"{p}.self_attn.{n}.weight"] = normal((D, D), D ** -0.5)
        w[f"{p}.post_attention_layernorm.weight"] = norm()
        w[f"{p}.mlp.gate_proj.weight"] = normal((D_FF, D), D ** -0.5)
        w[f"{p}.mlp.up_proj.weight"] = normal((D_FF, D), D ** -0.5)
        w[f"{p}.mlp.down_proj.weight"] = normal((D, D_FF), D_FF ** -0.5)
    w["model.norm.weight"] = norm()
    return w


def build(cfg, weights, dtype):
    model = LlamaForCausalLM(LlamaConfig(**cfg, attn_implementation="eager"))
    params = dict(model.named_parameters())  # the tied lm_head.weight is listed once, as the embedding
    assert set(params) == set(weights), sorted(set(params) ^ set(weights))
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(torch.from_numpy(weights[name]))
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "head not tied"
    return model.to(dtype).eval()


def run(model, x, y):
    """Logits [N, V], per-token NLL [N] and per layer (s, u, a) [N, dFF] from MLP hooks."""
    caps = [{} for _ in range(LAYERS)]
    hooks = []
    assert len({id(layer.mlp.act_fn) for layer in model.model.layers}) == LAYERS, "act_fn shared: hooks would mix layers"
    for l, layer in enumerate(model.model.layers):
        mlp = layer.mlp
        hooks.append(mlp.act_fn.register_forward_hook(lambda m, i, o, c=caps[l]: c.setdefault("s", o)))
        hooks.append(mlp.up_proj.register_forward_hook(lambda m, i, o, c=caps[l]: c.setdefault("u", o)))
        hooks.append(mlp.down_proj.register_forward_pre_hook(lambda m, i, c=caps[l]: c.setdefault("a", i[0])))
    with torch.no_grad():
        logits = model(input_ids=torch.from_numpy(x)).logits.reshape(B * T, VOCAB)
        nll = F.cross_entropy(logits, torch.from_numpy(y).reshape(-1), reduction="none")
    for h in hooks:
        h.remove()
    flat = lambda t: t.reshape(B * T, D_FF).numpy()
    return logits.numpy(), nll.numpy(), [{k: flat(c[k]) for k in ("s", "u", "a")} for c in caps]


def cett_threshold(a, w_down, target):
    """
    Brute force from the definition: keys k_i = |a_i| * ||W_out[:, i]|| (float32, as the model
    compares them), CETT(t) = mean over tokens of ||sum_{i: k_i < t} a_i W_out[:, i]|| / ||FFN(x)||
    (a token whose FFN output is 0 counts 0), evaluated at every distinct positive key. The answer
    is the largest key t with CETT(t) <= target (CETT need not be monotone, so the largest, not the
    first crossing); with t itself kept. a [N, dFF], w_down [d, dFF] (HF layout), both float32.
    """
    norms = np.linalg.norm(w_down.astype(np.float64), axis=0).astype(np.float32)  # [dFF]
    keys = np.abs(a) * norms  # [N, dFF] float32 products
    outs = a.astype(np.float64)[:, :, None] * w_down.T.astype(np.float64)[None]  # [N, dFF, d] neuron outputs
    total = np.linalg.norm(outs.sum(1), axis=1)  # [N]
    cands = np.unique(keys[keys > 0])  # ascending
    cett = np.empty(len(cands))
    for j, t in enumerate(cands):
        pruned = np.linalg.norm((outs * (keys < t)[:, :, None]).sum(1), axis=1)  # [N]
        cett[j] = np.where(total > 0, pruned / np.where(total > 0, total, 1), 0).mean()
    j = int(np.nonzero(cett <= target)[0].max())
    t = cands[j]
    above = cett[j + 1:].min() if j + 1 < len(cands) else np.inf
    gap = min((t - cands[j - 1]) / t if j > 0 else np.inf, (cands[j + 1] - t) / t if j + 1 < len(cands) else np.inf)
    return {
        "target": target, "threshold": float(t), "cett": float(cett[j]),
        "kept": int((keys >= t).sum()), "pairs": int(keys.size),
        "cettMargin": float(min(target - cett[j], above - target)), "keyGap": float(gap),
    }


def main(out_root):
    torch.manual_seed(0)
    torch.set_num_threads(1)  # one summation order, so the bytes are reproducible
    torch.use_deterministic_algorithms(True)
    seq = np.random.default_rng(7).integers(0, VOCAB, size=(B, T + 1))
    x, y = seq[:, :T].astype(np.int64), seq[:, 1:].astype(np.int64)
    for act, heads, seed in MODELS:
        out = os.path.join(out_root, act)
        os.makedirs(out, exist_ok=True)
        cfg = hf_config(act, heads)
        weights = random_weights(seed)
        with open(os.path.join(out, "config.json"), "w") as f:
            f.write(json.dumps(cfg, indent=2) + "\n")
        safetensors.numpy.save_file(weights, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})

        model = build(cfg, weights, torch.float32)
        logits, nll, caps = run(model, x, y)
        # The written checkpoint is a valid HF checkpoint: transformers loads it to the same logits.
        loaded = LlamaForCausalLM.from_pretrained(out, torch_dtype=torch.float32, attn_implementation="eager").eval()
        assert np.array_equal(run(loaded, x, y)[0], logits), "from_pretrained disagrees with the built model"
        # How far float32 transformers is from the same model in float64: the noise floor under
        # the test's tolerance.
        logits64, nll64, caps64 = run(build(cfg, weights, torch.float64), x, y)
        noise = {
            "logits": float(np.abs(logits - logits64).max()), "nll": float(np.abs(nll - nll64).max()),
            "captures": float(max(np.abs(c[k] - c64[k]).max() for c, c64 in zip(caps, caps64) for k in c)),
        }
        # Non-trivial by construction; fail here rather than commit a fixture that checks little.
        assert logits.std() > 0.5 and 3 < nll.mean() < 12, (logits.std(), nll.mean())
        if act == "relu":
            assert all(0.2 < (c["s"] == 0).mean() < 0.8 for c in caps)
        cett = []
        for l, c in enumerate(caps):
            r = cett_threshold(c["a"], weights[f"model.layers.{l}.mlp.down_proj.weight"], CETT_TARGET)
            assert r["cettMargin"] >= CETT_MARGIN and r["keyGap"] >= KEY_GAP, f"{act} layer {l}: threshold too close to a tie: {r}"
            cett.append({"layer": l, **r})

        tensors = {"logits": logits, "nll": nll}
        for l, c in enumerate(caps):
            for k in ("s", "u", "a"):
                tensors[f"layers.{l}.{k}"] = c[k]
        safetensors.numpy.save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
                                    os.path.join(out, "golden.safetensors"), metadata={"format": "pt"})
        golden = {
            "source": f"transformers {transformers.__version__}, torch {torch.__version__}, numpy {np.__version__} "
                      f"(scripts/golden/make-golden.py)",
            "B": B, "T": T, "ids": x.reshape(-1).tolist(), "targets": y.reshape(-1).tolist(),
            "float32Noise": noise, "cett": cett,
        }
        with open(os.path.join(out, "golden.json"), "w") as f:
            f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in golden.items()) + "\n}\n")  # a key a line
        print(f"{act}: heads {heads}, mean NLL {nll.mean():.4f}, logits sd {logits.std():.3f}, "
              f"float32 noise {noise}, CETT {[(r['threshold'], r['cett'], r['kept']) for r in cett]}")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "test", "fixtures", "golden"))
