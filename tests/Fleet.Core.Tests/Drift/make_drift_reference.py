"""Reference values for Fleet's drift statistics, computed independently with SciPy and NumPy.

Run with a Python that has numpy and scipy (Debian: python3-numpy, python3-scipy):
    python3 make_drift_reference.py > drift_reference.json
The C# tests (DriftReferenceTests) read drift_reference.json and compare Fleet's values with these.
"""
import json

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

rng = np.random.default_rng(20261202)
cases = {"jensen_shannon": [], "psi": [], "chi_squared": [], "wasserstein": [], "ks_statistic": [],
         "kolmogorov": [], "gamma_upper": [], "ks_asymptotic": []}

def counts_pair(k, n, m, shift):
    p = rng.dirichlet(np.ones(k))
    q = np.clip(p + shift * rng.normal(size=k), 1e-6, None)
    q = q / q.sum()
    a = rng.multinomial(n, p)
    b = rng.multinomial(m, q)
    return a, b

for k, n, m, shift in [(2, 50, 80, 0.0), (5, 300, 200, 0.05), (10, 1000, 1000, 0.0), (10, 1000, 1000, 0.03),
                       (20, 5000, 700, 0.01), (3, 40, 40, 0.2), (64, 20000, 20000, 0.002)]:
    a, b = counts_pair(k, n, m, shift)
    cases["jensen_shannon"].append({"a": a.tolist(), "b": b.tolist(), "value": float(distance.jensenshannon(a / a.sum(), b / b.sum()))})
    ea = np.where(a == 0, 0.0001, a / a.sum())
    eb = np.where(b == 0, 0.0001, b / b.sum())
    cases["psi"].append({"a": a.tolist(), "b": b.tolist(), "value": float(np.sum((eb - ea) * np.log(eb / ea)))})
    used = (a + b) > 0
    chi2, p, dof, _ = stats.chi2_contingency(np.vstack([a[used], b[used]]), correction=False)
    cases["chi_squared"].append({"a": a.tolist(), "b": b.tolist(), "statistic": float(chi2), "p": float(p), "dof": int(dof)})

for n, m, loc in [(100, 120, 0.0), (300, 200, 0.3), (600, 500, 0.05)]:
    u = np.round(rng.normal(size=n), 4)
    v = np.round(rng.normal(loc=loc, scale=1.2, size=m), 4)
    uw = rng.integers(1, 5, size=n)
    vw = rng.integers(1, 5, size=m)
    cases["wasserstein"].append({"u": u.tolist(), "uw": uw.tolist(), "v": v.tolist(), "vw": vw.tolist(),
                                 "value": float(stats.wasserstein_distance(u, v, uw, vw))})

# A discrete feature with one bin per value: the binned KS statistic is exactly SciPy's.
for n, m, lam in [(200, 300, 5.0), (1000, 800, 7.0), (50, 60, 2.0)]:
    x = rng.poisson(lam, size=n)
    y = rng.poisson(lam * 1.1, size=m)
    values = np.arange(0, max(x.max(), y.max()) + 1)
    a = np.array([(x == v).sum() for v in values])
    b = np.array([(y == v).sum() for v in values])
    cases["ks_statistic"].append({"a": a.tolist(), "b": b.tolist(), "value": float(stats.ks_2samp(x, y).statistic)})

for lam in [0.3, 0.5, 0.8, 1.0, 1.36, 1.63, 2.0, 3.0]:
    cases["kolmogorov"].append({"lambda": lam, "value": float(special.kolmogorov(lam))})

for a, x in [(0.5, 0.1), (0.5, 3.0), (1.0, 1.0), (2.5, 1.0), (2.5, 10.0), (10.0, 5.0), (10.0, 20.0), (31.5, 30.0), (100.0, 120.0)]:
    cases["gamma_upper"].append({"a": a, "x": x, "value": float(special.gammaincc(a, x))})

# Large continuous samples: the asymptotic KS p-value against SciPy's asymptotic one.
for n, m, loc in [(3000, 2500, 0.02), (5000, 5000, 0.05), (2000, 4000, 0.08)]:
    x = rng.normal(size=n)
    y = rng.normal(loc=loc, size=m)
    r = stats.ks_2samp(x, y, method="asymp")
    cases["ks_asymptotic"].append({"d": float(r.statistic), "n": n, "m": m, "p": float(r.pvalue)})

print(json.dumps(cases, separators=(",", ":")))
