"""Reference numbers for lib/laws/quadratic.ts, from numpy's polyfit (an independent least squares).

Writes test/fixtures/quadratic-min.json: for each case, x, y, the coefficients of
y = a + b ln x + c (ln x)^2 and the vertex exp(-b / 2c). Run: python3 scripts/golden/quadratic_min.py
"""
import json
import numpy as np

CASES = {
    # Shaped like F2's loss against d/L: four seeds at five shapes, a shallow valley near d/L 20.
    "valley_four_seeds": {
        "x": [1.5] * 4 + [4] * 4 + [11] * 4 + [32] * 4 + [92] * 4,
        "y": [1.901, 1.893, 1.897, 1.889, 1.871, 1.866, 1.874, 1.869, 1.846, 1.851, 1.842, 1.848,
              1.829, 1.836, 1.831, 1.826, 1.897, 1.889, 1.901, 1.893],
    },
    # A parabola in ln x with its vertex at d/L 12, plus fixed seed noise of about 0.003: located.
    "parabola_four_seeds": {
        "x": [1.5] * 4 + [4] * 4 + [11] * 4 + [32] * 4 + [92] * 4,
        "y": [round(1.83 + 0.012 * (np.log(x) - np.log(12)) ** 2 + e, 4) for x, e in zip(
            [1.5] * 4 + [4] * 4 + [11] * 4 + [32] * 4 + [92] * 4,
            [0.003, -0.002, 0.001, -0.003, -0.001, 0.004, -0.003, 0.0, 0.002, -0.002, 0.003, -0.004,
             0.0, 0.003, -0.001, -0.002, -0.003, 0.002, 0.001, 0.004])],
    },
    # One seed per shape, falling to the widest: no minimum inside.
    "falling_one_seed": {"x": [0.75, 2.75, 8, 23, 64, 180], "y": [1.98, 1.90, 1.86, 1.84, 1.83, 1.825]},
    # Falling ever faster (concave in ln x): the minimum is the widest end.
    "concave_one_seed": {"x": [0.75, 2.75, 8, 23, 64, 180], "y": [1.98, 1.975, 1.96, 1.93, 1.88, 1.80]},
}

out = {}
for name, c in CASES.items():
    u = np.log(np.array(c["x"], dtype=float))
    c = {"x": [float(v) for v in c["x"]], "y": [float(v) for v in c["y"]]}
    cc, bb, aa = np.polyfit(u, np.array(c["y"], dtype=float), 2)
    out[name] = {**c, "a": aa, "b": bb, "c": cc, "vertex_x": float(np.exp(-bb / (2 * cc)))}
with open("test/fixtures/quadratic-min.json", "w") as f:
    json.dump({"made_by": "scripts/golden/quadratic_min.py (numpy " + np.__version__ + " polyfit)", "cases": out}, f, indent=1)
    f.write("\n")
print(json.dumps(out, indent=1)[:800])
