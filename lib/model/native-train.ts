// The training pass (losses and gradients) on the native backend, forward and backward written out
// as raw TensorFlow ops (lib/backend/native-raw.ts) instead of tfjs ops under a gradient tape.
//
// It computes what Model.replicaLosses and tf.variableGrads compute, op for op the same forward as
// Model.forward's native path (fused q|k|v and gate|up products, rotary by reversing half heads,
// batched attention, gather embedding, TensorFlow's fused cross-entropy); the backward is the chain
// rule written out. tfjs's engine costs several times TensorFlow's own per-op time on these small
// tensors, and most of a d64-l2 step was that engine time. The gradient test
// (test/native-train.test.ts) holds it to the autograd gradients.
//
// Shapes: R replicas, Bt = R*B sequences of T tokens, N = Bt*T tokens (replica-major), n = B*T per
// replica; H query heads, KV key/value heads, hd head size, W = H + 2 KV; F = dFF; V = vocab.
import { tf, Tensor } from '../backend/tf';
import { H, RawOps } from '../backend/native-raw';
import { headDim, isTied, kvHeads } from './config';
import type { Model } from './model';

export interface LossAndGrads {
  losses: Float32Array;            // [R] mean loss of each replica
  grads: Map<string, Tensor>;      // per parameter (internal names), the gradient of the sum of the replicas' losses
}

const ACTS = new Set(['relu', 'silu', 'fatrelu']);

/** Whether this model's training pass can run as raw ops (native backend, an activation written out here). */
export function nativeTrainable(model: Model): boolean {
  return tf.getBackend() === 'tensorflow' && ACTS.has(model.config.act) && process.env.SPARSING_AUTOGRAD !== '1';
}

/** x, y: [R*B*T] token ids and targets, replica-major. */
export function nativeLossAndGrads(model: Model, x: Int32Array, y: Int32Array, B: number, T: number): LossAndGrads {
  const c = model.config, R = model.replicas;
  if (T > c.context) throw new Error(`sequence length ${T} exceeds the model context ${c.context}`);
  if (x.length !== R * B * T || y.length !== R * B * T) throw new Error(`expected ${R * B * T} token ids and targets, got ${x.length} and ${y.length}`);
  const raw = new RawOps();
  try {
    const Bt = R * B, N = Bt * T, n = B * T;
    const Hq = c.heads, KV = kvHeads(c), hd = headDim(c), W = Hq + 2 * KV, rep = Hq / KV, F = c.dFF, V = c.vocab, d = c.d;
    const P = (name: string) => raw.input(model.p(name));
    const tables = model.trainTables(Bt, T);
    const cos = raw.input(tables.cos), sin = raw.input(tables.sin), mask = raw.input(tables.mask);
    const eps = raw.f32(c.normEps);
    const scale = (h: H, f: number | undefined) => (f === undefined || f === 1 ? h : raw.mul(h, raw.f32(f)));

    // products with a (replica-stacked) weight: x [N, in] @ w [in, out] or [R, in, out]
    const lin = (h: H, w: H): H => (R === 1 ? raw.matMul(h, w) : raw.reshape(raw.batchMatMul(raw.reshape(h, [R, n, h.shape[1]]), w), [N, w.shape[2]]));
    const linDx = (dy: H, w: H): H => (R === 1 ? raw.matMul(dy, w, false, true) : raw.reshape(raw.batchMatMul(raw.reshape(dy, [R, n, dy.shape[1]]), w, false, true), [N, w.shape[1]]));
    const linDw = (h: H, dy: H): H => (R === 1 ? raw.matMul(h, dy, true, false) : raw.batchMatMul(raw.reshape(h, [R, n, h.shape[1]]), raw.reshape(dy, [R, n, dy.shape[1]]), true, false));

    // RMSNorm, in [R, n, d] for replicas (their weights are [R, 1, d]); keeps n = x r and r for the backward
    const norm = (h: H, w: H) => {
      const x3 = R === 1 ? h : raw.reshape(h, [R, n, d]);
      const r = raw.rsqrt(raw.add(raw.mean(raw.square(x3), [-1], true), eps));
      const nx = raw.mul(x3, r);
      return { y: raw.reshape(raw.mul(nx, w), [N, d]), nx, r, w };
    };
    const normBack = (dy: H, s: { nx: H; r: H; w: H }) => {
      const dy3 = R === 1 ? dy : raw.reshape(dy, [R, n, d]);
      const g = raw.mul(dy3, s.w);
      const dx = raw.mul(s.r, raw.sub(g, raw.mul(s.nx, raw.mean(raw.mul(g, s.nx), [-1], true))));
      const dw = R === 1 ? raw.sum(raw.mul(dy3, s.nx), [0], false) : raw.sum(raw.mul(dy3, s.nx), [1], true);
      return { dx: raw.reshape(dx, [N, d]), dw };
    };
    // rotate_half by reversing the two halves of each head: [N, W*hd] viewed as [N, W, 2, hd/2]
    const swapHalves = (h: H) => raw.reshape(raw.reverse(raw.reshape(h, [N, W, 2, hd / 2]), [2]), [N, W * hd]);

    // ---- forward
    const E = P('model.embed_tokens.weight');
    const ids = R === 1 ? raw.ints(x, [N]) : raw.ints(Int32Array.from(x, (id, i) => id + Math.floor(i / n) * V), [N]); // row in [R*V, d]
    let h = scale(raw.gather(R === 1 ? E : raw.reshape(E, [R * V, d]), ids), c.embScale); // [N, d]
    const saved: {
      n1: ReturnType<typeof norm>; qkvW: H; q: H; k: H; v: H; p: H; merged: H; oW: H;
      n2: ReturnType<typeof norm>; guW: H; g: H; u: H; s: H; a: H; downW: H; sig?: H; keep?: H;
    }[] = [];
    const keptOf = (S: (typeof saved)[number]) => [S.n1.y, S.n1.nx, S.n1.r, S.q, S.k, S.v, S.p, S.merged, S.n2.y, S.n2.nx, S.n2.r, S.g, S.u, S.s, S.a, ...(S.sig ? [S.sig] : []), ...(S.keep ? [S.keep] : [])];
    for (let l = 0; l < c.layers; l++) {
      const pre = `model.layers.${l}`;
      const mark = raw.mark(), hIn = h;
      // attention
      const n1 = norm(h, P(`${pre}.input_layernorm.weight`));
      const qkvW = P(`${pre}.self_attn.qkv_proj.weight`);
      const qkv = lin(n1.y, qkvW);                                                          // [N, W*hd]
      const roped = raw.add(raw.mul(qkv, cos), raw.mul(swapHalves(qkv), sin));              // [N, W*hd], q scaled by 1/sqrt(hd)
      const heads = raw.transpose(raw.reshape(roped, [Bt, T, W, hd]), [2, 0, 1, 3]);        // [W, Bt, T, hd]
      let [q, k, v] = raw.split(heads, [Hq, KV, KV], 0);
      const repeat = (t: H) => (rep === 1 ? t : raw.reshape(raw.tile(raw.reshape(t, [KV, 1, Bt, T, hd]), [1, rep, 1, 1, 1]), [Hq, Bt, T, hd]));
      q = raw.reshape(q, [Hq * Bt, T, hd]); k = raw.reshape(repeat(k), [Hq * Bt, T, hd]); v = raw.reshape(repeat(v), [Hq * Bt, T, hd]);
      const p = raw.softmax(raw.add(raw.batchMatMul(q, k, false, true), mask));            // [H*Bt, T, T]
      const att = raw.batchMatMul(p, v);                                                    // [H*Bt, T, hd]
      const merged = raw.reshape(raw.transpose(raw.reshape(att, [Hq, Bt, T, hd]), [1, 2, 0, 3]), [N, d]);
      const oW = P(`${pre}.self_attn.o_proj.weight`);
      h = raw.add(h, scale(lin(merged, oW), c.residualScale));                              // [N, d]
      // FFN
      const n2 = norm(h, P(`${pre}.post_attention_layernorm.weight`));
      const guW = P(`${pre}.mlp.gate_up_proj.weight`);
      const [g, u] = raw.split(lin(n2.y, guW), [F, F], 1);                                   // [N, F] each
      let s: H, sig: H | undefined, keep: H | undefined;
      if (c.act === 'relu') s = raw.relu(g);
      else if (c.act === 'silu') { sig = raw.sigmoid(g); s = raw.mul(g, sig); }
      else { keep = raw.greaterEqual(g, raw.f32(c.actThreshold ?? 0)); s = raw.select(keep, g, raw.zerosLike(g)); }
      const a = raw.mul(s, u);                                                              // [N, F]
      const downW = P(`${pre}.mlp.down_proj.weight`);
      h = raw.add(h, scale(lin(a, downW), c.residualScale));                                // [N, d]
      saved.push({ n1, qkvW, q, k, v, p, merged, oW, n2, guW, g, u, s, a, downW, sig, keep });
      raw.release(mark, [h, ...keptOf(saved[l])]); // what the backward needs, and the residual stream
      raw.free([hIn]);
    }
    const nf = norm(h, P('model.norm.weight'));
    const hN = scale(nf.y, c.logitScale);                                                    // [N, d]
    const head = isTied(c) ? E : P('lm_head.weight');                                         // [V, d] or [R, V, d]
    const logits = R === 1 ? raw.matMul(hN, head, false, true)
      : raw.reshape(raw.batchMatMul(raw.reshape(hN, [R, n, d]), head, false, true), [N, V]);  // [N, V]
    const [nll, xentGrad] = raw.sparseXent(logits, raw.ints(y, [N]));                        // [N], [N, V]
    const losses = raw.read(raw.mean(raw.reshape(nll, [R, n]), [1], false)).slice();          // [R]

    // ---- backward: d(sum over replicas of the mean loss) / d(each parameter)
    const grads = new Map<string, H>();
    const dLogits = raw.mul(xentGrad, raw.f32(1 / n));                                        // [N, V]
    let dhN: H, dHead: H;
    if (R === 1) { dhN = raw.matMul(dLogits, head); dHead = raw.matMul(dLogits, hN, true, false); }
    else {
      const dl3 = raw.reshape(dLogits, [R, n, V]);
      dhN = raw.reshape(raw.batchMatMul(dl3, head), [N, d]);
      dHead = raw.batchMatMul(dl3, raw.reshape(hN, [R, n, d]), true, false);                 // [R, V, d]
    }
    raw.free([logits, xentGrad, dLogits]);
    const nfb = normBack(scale(dhN, c.logitScale), nf);
    grads.set('model.norm.weight', nfb.dw);
    let dx = nfb.dx;                                                                          // [N, d]
    for (let l = c.layers - 1; l >= 0; l--) {
      const pre = `model.layers.${l}`, S = saved[l];
      const mark = raw.mark(), dxIn = dx;
      // FFN
      const df = scale(dx, c.residualScale);
      const da = linDx(df, S.downW);
      grads.set(`${pre}.mlp.down_proj.weight`, linDw(S.a, df));
      const ds = raw.mul(da, S.u), du = raw.mul(da, S.s);
      const dg = c.act === 'relu' ? raw.reluGrad(ds, S.g)
        : c.act === 'silu' ? raw.add(raw.mul(ds, S.sig!), raw.sigmoidGrad(S.sig!, raw.mul(ds, S.g)))  // d(g sig(g)) = sig + g sig (1 - sig)
          : raw.select(S.keep!, ds, raw.zerosLike(ds));
      const dgu = raw.concat([dg, du], 1);                                                    // [N, 2F]
      grads.set(`${pre}.mlp.gate_up_proj.weight`, linDw(S.n2.y, dgu));
      const n2b = normBack(linDx(dgu, S.guW), S.n2);
      grads.set(`${pre}.post_attention_layernorm.weight`, n2b.dw);
      dx = raw.add(dx, n2b.dx);
      // attention
      const dO = scale(dx, c.residualScale);
      const dMerged = linDx(dO, S.oW);
      grads.set(`${pre}.self_attn.o_proj.weight`, linDw(S.merged, dO));
      const dAtt = raw.reshape(raw.transpose(raw.reshape(dMerged, [Bt, T, Hq, hd]), [2, 0, 1, 3]), [Hq * Bt, T, hd]);
      const dp = raw.batchMatMul(dAtt, S.v, false, true);                                    // [H*Bt, T, T]
      let dv = raw.batchMatMul(S.p, dAtt, true, false);                                       // [H*Bt, T, hd]
      const pdp = raw.mul(dp, S.p);
      const dScores = raw.sub(pdp, raw.mul(raw.sum(pdp, [-1], true), S.p));                  // softmax backward
      const dq = raw.batchMatMul(dScores, S.k);                                               // [H*Bt, T, hd]
      let dk = raw.batchMatMul(dScores, S.q, true, false);                                    // [H*Bt, T, hd]
      // repeated kv heads: each kv head's gradient sums over the query heads it served
      const unrepeat = (t: H) => (rep === 1 ? raw.reshape(t, [KV, Bt, T, hd]) : raw.sum(raw.reshape(t, [KV, rep, Bt, T, hd]), [1], false));
      dk = unrepeat(dk); dv = unrepeat(dv);
      const dHeads = raw.concat([raw.reshape(dq, [Hq, Bt, T, hd]), dk, dv], 0);               // [W, Bt, T, hd]
      const dRoped = raw.reshape(raw.transpose(dHeads, [1, 2, 0, 3]), [N, W * hd]);
      const dQkv = raw.add(raw.mul(dRoped, cos), swapHalves(raw.mul(dRoped, sin)));          // the swap is its own transpose
      grads.set(`${pre}.self_attn.qkv_proj.weight`, linDw(S.n1.y, dQkv));
      const n1b = normBack(linDx(dQkv, S.qkvW), S.n1);
      grads.set(`${pre}.input_layernorm.weight`, n1b.dw);
      dx = raw.add(dx, n1b.dx);
      raw.release(mark, [dx, ...['input_layernorm', 'self_attn.qkv_proj', 'self_attn.o_proj', 'post_attention_layernorm', 'mlp.gate_up_proj', 'mlp.down_proj'].map((k) => grads.get(`${pre}.${k}.weight`)!)]);
      raw.free([...keptOf(S), dxIn]);
    }
    const dEmb = scale(dx, c.embScale);
    let dE = raw.segmentSum(dEmb, ids, R * V);                                                // [R*V, d]
    if (R > 1) dE = raw.reshape(dE, [R, V, d]);
    if (isTied(c)) dE = raw.add(dE, dHead);
    else grads.set('lm_head.weight', dHead);
    grads.set('model.embed_tokens.weight', dE);

    const out = new Map<string, Tensor>();
    for (const spec of model.specs) {
      const g = grads.get(spec.name);
      if (!g) throw new Error(`native training pass: no gradient for ${spec.name}`);
      out.set(spec.name, raw.toTensor(raw.reshape(g, model.storedShape(spec))));
    }
    return { losses, grads: out };
  } finally {
    raw.dispose();
  }
}
