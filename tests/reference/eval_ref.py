#!/usr/bin/python3
"""Independent numpy reference for camoe's retrieval metrics (worker/eval).

Written from docs/metrics.md; it shares no code with the C++ and computes on
the whole matrix at once in float64:

  rank      1 + number of competitors scoring > the true item (--ties against:
            >=, ties count against the query); t2v per caption, v2t per video
            by its best own caption, a video's other captions never compete
  DSL       t2v: S * softmax(S / T) over texts (axis 0); v2t: S * softmax(S / T)
            over videos (axis 1), then v2t ranking
  QB-Norm   log Z_j = logsumexp_q(beta * B_qj); activation set = videos in some
            bank query's top-k (fewer than k strictly higher); a test query
            whose raw top-k meets the set is ranked by beta * S - log Z,
            the others keep their raw ranking

Usage:
  eval_ref.py --sim SIM.csv [--captions_per_video K] [--bank BANK.csv]
              [--temperature T] [--beta 20] [--k 1]

Output, one line each: "ranks NAME r_0 r_1 ...", "metrics NAME r1 r5 r10 mdr
mnr queries" (floats as repr) for NAME in t2v v2t t2v_dsl v2t_dsl
[t2v_qbnorm], and "activated N" with a bank. The eval_python_test ctest runs
it on random matrices and compares with the C++.
"""

import argparse

import numpy as np


def load(path):
    return np.loadtxt(path, delimiter=",", dtype=np.float32, comments="#", ndmin=2)


def logsumexp(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


TIES_AGAINST = False


def ahead_of(score, truth):
    return score >= truth if TIES_AGAINST else score > truth


def t2v_ranks(score, owner):
    rows = np.arange(score.shape[0])
    truth = score[rows, owner][:, None]
    ahead = ahead_of(score, truth)
    ahead[rows, owner] = False
    return 1 + ahead.sum(axis=1)


def v2t_ranks(score, owner):
    own = owner[:, None] == np.arange(score.shape[1])[None, :]
    best = np.where(own, score, -np.inf).max(axis=0)
    ahead = ahead_of(score, best[None, :]) & ~own
    return 1 + ahead.sum(axis=0)


def in_top_k(x, k):
    # Entry (q, j): fewer than k entries of row q are strictly above x[q, j].
    higher = (x[:, None, :] > x[:, :, None]).sum(axis=2)
    return higher < k


def metrics(ranks):
    return [100.0 * np.mean(ranks <= 1), 100.0 * np.mean(ranks <= 5),
            100.0 * np.mean(ranks <= 10), float(np.median(ranks)), float(np.mean(ranks)),
            len(ranks)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sim", required=True)
    parser.add_argument("--captions_per_video", type=int, default=1)
    parser.add_argument("--bank")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--beta", type=float, default=20.0)
    parser.add_argument("--k", type=int, default=1)
    parser.add_argument("--ties", choices=["strict", "against"], default="strict")
    args = parser.parse_args()

    global TIES_AGAINST
    TIES_AGAINST = args.ties == "against"
    s = load(args.sim).astype(np.float64)
    owner = np.arange(s.shape[0]) // args.captions_per_video
    x = s / args.temperature
    results = {
        "t2v": t2v_ranks(s, owner),
        "v2t": v2t_ranks(s, owner),
        "t2v_dsl": t2v_ranks(s * np.exp(x - logsumexp(x, 0)), owner),
        "v2t_dsl": v2t_ranks(s * np.exp(x - logsumexp(x, 1)), owner),
    }
    activated = None
    if args.bank:
        bank = load(args.bank).astype(np.float64)
        log_z = logsumexp(args.beta * bank, 0)[0]
        active = in_top_k(bank, args.k).any(axis=0)
        activated = (in_top_k(s, args.k) & active[None, :]).any(axis=1)
        normalised = t2v_ranks(args.beta * s - log_z[None, :], owner)
        results["t2v_qbnorm"] = np.where(activated, normalised, results["t2v"])
    for name, ranks in results.items():
        print("ranks", name, " ".join(str(int(r)) for r in ranks))
        print("metrics", name, " ".join(repr(float(v)) for v in metrics(ranks)))
    if activated is not None:
        print("activated", int(activated.sum()))


if __name__ == "__main__":
    main()
