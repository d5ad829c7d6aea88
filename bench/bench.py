#!/usr/bin/env python3
"""bench/bench.py: `make bench`. Times afscore against the floor and a peer.

For each population size (default 1M and 6M families; BENCH_SIZES to change)
and each of the three layouts `generate --layout` writes (BENCH_LAYOUTS to
choose some; key order;
registry: families in registration order, persons grouped in that order;
shuffled: persons in random order), it generates (or reuses)
bench/data/pop_N_LAYOUT.db and reports medians of BENCH_RUNS runs (default 3)
of, on that same file and in the same run:
  1. afscore score with methodology/kz_family_2023.lua (writing unit_scores),
     with two threads (the default) and with one (AFSCORE_THREADS=1), and the
     read path it took (data.read_order);
  2. the floor: the sqlite3 shell reading exactly the columns that methodology
     reads, plus a bare INSERT ... SELECT of one result row per unit into a
     fresh database;
  3. the peer: the same methodology by hand as one SQL query
     (bench/kz_family_2023.sql), checked to give the same H, A and M0;
  4. peak RSS of each; compare of two variants, replay of the recorded run
     (rescoring and checking every recorded row) and verify (every row
     without the data), against score;
  5. when afscore has `merge`: score --partition I/N of N = 4 partials (as
     separate processes) and their merge, against score (a merge afscore
     refuses is shown as failed, with its message, and the goal as not met);
     and the slowest partial against score: what N machines of a job array
     take before the merge can start (docs/scale.md section 2).
Also, at the first size on the key layout (unless BENCH_EXTRAS=0):
  - the kernel alone on in-memory batches (build/kernel_bench);
  - the cost of writing unit_scores (score --out minus score without it)
    against a bare insert of the same recorded rows into a fresh rowid table
    by the sqlite3 shell (WAL, synchronous=FULL, as afscore writes; the time
    to read the rows back is taken off);
  - when afscore has `merge`: merge of the two partial runs of score
    --partition 1/2 and 2/2 against one score --out;
  - the cost of inference (standard errors, docs/inference.md): score with a
    survey design (bench/kz_design.lua: strata and PSUs; and
    kz_design_units.lua: families as PSUs) against score without one.

Then it says, goal by goal (issue #16), whether each is met: score <= 1.5x
the floor (stretch 1.0x) and >= 3x faster than the hand-written SQL on the key
and registry layouts; shuffled within 2x of key; peak memory of the largest
size over the smallest <= 1.1 on every layout; compare of 2 <= 1.3x one score;
replay <= 1.5x one score; merge of N partials < 10% of a score. Timings are
wall-clock medians of runs taken in the same invocation; nothing here is a
pass/fail test, and numbers from a machine busy with other work mean little.
"""
import json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AF = os.path.join(ROOT, "build", "afscore")
KB = os.path.join(ROOT, "build", "kernel_bench")
METHOD = os.path.join(ROOT, "methodology", "kz_family_2023.lua")
VARIANT = os.path.join(ROOT, "bench", "kz_variant.lua")
DESIGN = os.path.join(ROOT, "bench", "kz_design.lua")
DESIGN_UNITS = os.path.join(ROOT, "bench", "kz_design_units.lua")
PEER = os.path.join(ROOT, "bench", "kz_family_2023.sql")
DATA = os.path.join(ROOT, "bench", "data")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000000 6000000").split()]
LAYOUTS = os.environ.get("BENCH_LAYOUTS", "key registry shuffled").split()
EXTRAS = os.environ.get("BENCH_EXTRAS", "1") != "0"
PARTS = 4


class Failed(Exception):
    """A command the bench ran exited non-zero: its last line of stderr."""


def run_rss(cmd, stdin_path=None, env=None, check=True):
    """Run cmd with its own rusage: (seconds, peak RSS MiB, stdout). A failure
    raises Failed when check, and is ignored otherwise."""
    fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    # Untimed: write back what earlier commands left dirty (a sort's temporary
    # files, a results database), so that its writeback does not land in this
    # command's time. Without it a shuffled score after the peer's 20 s sort
    # measured 6.6 s where it takes 4.7 to 5.9 s on its own.
    os.sync()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                         env=env)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    t = time.monotonic() - t0
    if stdin_path:
        fin.close()
    if status != 0 and check:
        lines = err.decode().strip().splitlines()
        raise Failed(f"{' '.join(cmd)} failed: {lines[-1] if lines else f'status {status}'}")
    return t, ru.ru_maxrss / 1024.0, out.decode()


def median_of(fn):
    res = [fn() for _ in range(RUNS)]
    return statistics.median(r[0] for r in res), max(r[1] for r in res), res[-1][2]


def population(n, layout):
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, f"pop_{n}_{layout}.db")
    if not os.path.exists(path):
        t, _, _ = run_rss([AF, "generate", "--families", str(n), "--seed", "1", "--layout", layout,
                           "--out", path])
        print(f"generated {path} in {t:.1f} s", file=sys.stderr)
    return path


def floor_sql(db, plan, out):
    ucols = ", ".join(f'max("{c}")' for c in [plan["unit_id"]] + plan["unit_columns"])
    mcols = ", ".join(f'max("{c}")' for c in [plan["member_unit"]] + plan["member_columns"])
    return (f"SELECT {ucols} FROM \"{plan['unit_table']}\";\n"
            f"SELECT {mcols} FROM \"{plan['member_table']}\";\n"
            f"ATTACH '{out}' AS o;\n"
            "PRAGMA o.journal_mode=WAL; PRAGMA o.synchronous=FULL;\n"
            "CREATE TABLE o.r(run_id INTEGER, unit TEXT, score REAL, poor INTEGER, category TEXT);\n"
            f"INSERT INTO o.r SELECT 1, \"{plan['unit_id']}\", 0.0, 0, 'A' FROM \"{plan['unit_table']}\";\n")


def bare_insert_sql(results, out, insert):
    """A fresh rowid table in out, and (insert True) the recorded rows of
    results inserted into it by one INSERT ... SELECT. The difference of the
    two is the statement: reading the rows and writing them. (It used to
    subtract a scan taking max() of every column instead of the setup, which
    costs about what the insert does and left 0.02 to 0.54 s, run to run.)"""
    cols = "run_id, unit, score, poor, category, eligible, chk"
    sql = (f"ATTACH '{results}' AS r;\nATTACH '{out}' AS o;\n"
           f"PRAGMA o.journal_mode=WAL; PRAGMA o.synchronous=FULL;\nCREATE TABLE o.u({cols});\n")
    if not insert:
        return sql
    return sql + f"INSERT INTO o.u SELECT {cols} FROM r.unit_scores;\n"


def write_cost(db, out):
    """Seconds score --out spends writing unit_scores, a bare insert of the
    rows it wrote (out holds that run), and score --out itself."""
    sqlf = os.path.join(DATA, "bare.sql")
    bare = os.path.join(DATA, "bare.db")

    def sql(insert):
        with open(sqlf, "w") as f:
            f.write(bare_insert_sql(out, fresh(bare), insert))
        return run_rss(["sqlite3", ":memory:"], stdin_path=sqlf)

    t_noout, _, _ = median_of(lambda: run_rss([AF, "score", "--db", db, "--method", METHOD, "--json"]))
    t_out, _, _ = median_of(lambda: run_rss([AF, "score", "--db", db, "--method", METHOD,
                                             "--out", fresh(out), "--json"]))
    t_ins, _, _ = median_of(lambda: sql(True))
    t_setup, _, _ = median_of(lambda: sql(False))
    return t_out - t_noout, max(t_ins - t_setup, 1e-3), t_out


def fresh(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass
    return path


def has_merge():
    return run_rss([AF, "help", "merge"], check=False)[2].startswith("usage: afscore merge")


def bench_merge(db, nparts=PARTS):
    """nparts partial scores (separate processes, as nparts machines would run
    them) and their merge: (median seconds, peak RSS MiB, None, slowest
    partial's seconds) of the merge, or (None, None, why, None) when a
    partial or the merge fails (the bench goes on and says so). The slowest
    partial is what a job array of nparts machines waits for before the
    merge; each is timed once, after the dirty pages of the one before are
    written back."""
    parts = [fresh(os.path.join(DATA, f"part_{i}.db")) for i in range(1, nparts + 1)]
    merged = os.path.join(DATA, "merged.db")
    try:
        t_parts = [run_rss([AF, "score", "--db", db, "--method", METHOD, "--partition",
                            f"{i}/{nparts}", "--out", p])[0] for i, p in enumerate(parts, 1)]
        t, rss, _ = median_of(lambda: run_rss([AF, "merge", "--out", fresh(merged)] + parts))
    except Failed as e:
        msg = str(e).split(" failed: ", 1)[-1]
        print(f"bench: merge of {nparts} partials of {os.path.basename(db)}: {msg}", file=sys.stderr)
        return None, None, msg, None
    return t, rss, None, max(t_parts)


def bench_layout(n, layout, merge):
    db = population(n, layout)
    plan = json.loads(run_rss([AF, "check", METHOD, "--db", db, "--json"])[2])
    out = os.path.join(DATA, "out.db")
    sqlf = os.path.join(DATA, "floor.sql")
    one = dict(os.environ, AFSCORE_THREADS="1")

    def score(env=None):
        return run_rss([AF, "score", "--db", db, "--method", METHOD, "--out", fresh(out), "--json"],
                       env=env)

    def floor():
        with open(sqlf, "w") as f:
            f.write(floor_sql(db, plan, fresh(out)))
        return run_rss(["sqlite3", db], stdin_path=sqlf)

    t_af1, _, _ = median_of(lambda: score(one))
    t_fl, rss_fl, _ = median_of(floor)
    t_peer, rss_peer, out_peer = median_of(lambda: run_rss(["sqlite3", "-readonly", db],
                                                           stdin_path=PEER))
    t_cmp, rss_cmp, _ = median_of(lambda: run_rss([AF, "compare", "--db", db, "--method", METHOD,
                                                   "--method", VARIANT, "--json"]))
    t_af, rss_af, out_af = median_of(score)
    # out now holds the last score's run: replay and verify read it
    t_rep, rss_rep, _ = median_of(lambda: run_rss([AF, "replay", "1", "--out", out, "--db", db]))
    t_ver, rss_ver, _ = median_of(lambda: run_rss([AF, "verify", "--out", out]))
    t_mrg = rss_mrg = mrg_err = t_part = None
    if merge:
        t_mrg, rss_mrg, mrg_err, t_part = bench_merge(db)
    s = json.loads(out_af)
    return dict(n=n, layout=layout, db=db, af=t_af, af1=t_af1, rss_af=rss_af, floor=t_fl,
                rss_floor=rss_fl, peer=t_peer, rss_peer=rss_peer, compare=t_cmp,
                rss_compare=rss_cmp, replay=t_rep, rss_replay=rss_rep, verify=t_ver,
                rss_verify=rss_ver, merge=t_mrg, rss_merge=rss_mrg, merge_err=mrg_err, part=t_part, H=s["H"], A=s["A"], M0=s["M0"],
                peer_out=out_peer.strip(), units=s["data"]["units"], members=s["data"]["members"],
                read_order=s["data"]["read_order"])


def peer_matches(r):
    nums = []
    for tok in r["peer_out"].replace("|", " ").split():
        try:
            nums.append(float(tok))
        except ValueError:
            pass
    return all(any(abs(v - x) < 1e-9 for x in nums) for v in (r["H"], r["A"], r["M0"]))


def print_tables(rows):
    print(f"{'families':>10} {'persons':>10} {'layout':>9} {'read':>7} {'afscore s':>10} {'1 thread s':>10} "
          f"{'floor s':>8} {'af/floor':>9} {'peer s':>8} {'peer/af':>8} {'RSS af MiB':>10} "
          f"{'RSS floor':>10} {'RSS peer':>9} {'peer=af':>8}")
    for r in rows:
        print(f"{r['n']:>10} {r['members']:>10} {r['layout']:>9} {r['read_order']:>7} {r['af']:>10.2f} "
              f"{r['af1']:>10.2f} {r['floor']:>8.2f} {r['af'] / r['floor']:>9.2f} "
              f"{r['peer']:>8.2f} {r['peer'] / r['af']:>8.2f} {r['rss_af']:>10.1f} "
              f"{r['rss_floor']:>10.1f} {r['rss_peer']:>9.1f} {str(peer_matches(r)):>8}")
    print(f"\n{'families':>10} {'layout':>9} {'compare s':>10} {'cmp/score':>10} {'replay s':>9} "
          f"{'rep/score':>10} {'verify s':>9} {'ver/score':>10} {'merge s':>8} {'mrg/score':>10} "
          f"{'part s':>7} {'part/score':>10} {'RSS cmp':>8} {'RSS rep':>8} {'RSS ver':>8}")
    for r in rows:
        mrg = f"{r['merge']:>8.2f} {r['merge'] / r['af']:>10.2f}" if r["merge"] is not None \
            else f"{'failed' if r['merge_err'] else '-':>8} {'-':>10}"
        part = f"{r['part']:>7.2f} {r['part'] / r['af']:>10.2f}" if r["part"] is not None \
            else f"{'-':>7} {'-':>10}"
        print(f"{r['n']:>10} {r['layout']:>9} {r['compare']:>10.2f} {r['compare'] / r['af']:>10.2f} "
              f"{r['replay']:>9.2f} {r['replay'] / r['af']:>10.2f} {r['verify']:>9.2f} "
              f"{r['verify'] / r['af']:>10.2f} {mrg} {part} {r['rss_compare']:>8.1f} "
              f"{r['rss_replay']:>8.1f} {r['rss_verify']:>8.1f}")


def goals(rows, merge):
    """[(goal, met, detail)] for each goal of issue #16."""
    by = {(r["n"], r["layout"]): r for r in rows}
    out = []

    def goal(text, checks):
        bad = [d for ok, d in checks if not ok]
        out.append((text, not bad, "; ".join(bad) if bad else "; ".join(d for _, d in checks)))

    kr = [r for r in rows if r["layout"] in ("key", "registry")]
    goal("score <= 1.5x the floor (key, registry)",
         [(r["af"] <= 1.5 * r["floor"], f"{r['n']} {r['layout']}: {r['af'] / r['floor']:.2f}x")
          for r in kr])
    goal("stretch: score <= 1.0x the floor (key, registry)",
         [(r["af"] <= r["floor"], f"{r['n']} {r['layout']}: {r['af'] / r['floor']:.2f}x")
          for r in kr])
    goal(">= 3x faster than the hand-written SQL (key, registry)",
         [(r["peer"] >= 3 * r["af"], f"{r['n']} {r['layout']}: {r['peer'] / r['af']:.2f}x")
          for r in kr])
    if "shuffled" in LAYOUTS and "key" in LAYOUTS:
        goal("shuffled within 2x of the key layout",
             [(by[(n, "shuffled")]["af"] <= 2 * by[(n, "key")]["af"],
               f"{n}: {by[(n, 'shuffled')]['af'] / by[(n, 'key')]['af']:.2f}x") for n in SIZES])
    else:
        out.append(("shuffled within 2x of the key layout", None, "needs both layouts"))
    if len(SIZES) > 1:
        lo, hi = SIZES[0], SIZES[-1]
        goal(f"peak memory flat: RSS {hi} / {lo} <= 1.1 (every layout)",
             [(by[(hi, l)]["rss_af"] <= 1.1 * by[(lo, l)]["rss_af"],
               f"{l}: {by[(hi, l)]['rss_af'] / by[(lo, l)]['rss_af']:.2f}") for l in LAYOUTS])
    else:
        out.append(("peak memory flat (needs two sizes)", None, "one size measured"))
    goal("compare of 2 methodologies <= 1.3x one score",
         [(r["compare"] <= 1.3 * r["af"], f"{r['n']} {r['layout']}: {r['compare'] / r['af']:.2f}x")
          for r in rows])
    goal("replay <= 1.5x one score",
         [(r["replay"] <= 1.5 * r["af"], f"{r['n']} {r['layout']}: {r['replay'] / r['af']:.2f}x")
          for r in rows])
    if merge:
        goal(f"merge of {PARTS} partials < 10% of a score",
             [(r["merge"] < 0.1 * r["af"], f"{r['n']} {r['layout']}: {r['merge'] / r['af']:.2f}x")
              if r["merge"] is not None else (False, f"{r['n']} {r['layout']}: failed: {r['merge_err']}")
              for r in rows])
    else:
        out.append(("merge of partials < 10% of a score", None, "afscore has no merge command"))
    return out


def extras(rows, merge):
    """At the first size on the key layout: the kernel alone, the unit_scores
    write against a bare insert, merge of 2 partials, the cost of inference."""
    n0 = SIZES[0]
    db0 = population(n0, "key")
    out = os.path.join(DATA, "out.db")
    kern = json.loads(run_rss([KB, db0, METHOD, "1000000", "5"])[2])
    t_write, t_bare, t_score_out = write_cost(db0, out)
    t_merge2, _, merge2_err, _ = bench_merge(db0, 2) if merge else (None, None, None, None)
    infer = [median_of(lambda m=m: run_rss([AF, "score", "--db", db0, "--method", m,
                                             "--out", fresh(out), "--json"]))
             for m in (DESIGN, DESIGN_UNITS)]
    print(f"\nkernel alone: {kern['unit_indicator_evals_per_s']:.3g} unit-indicator evaluations/s")
    key0 = next(r for r in rows if r["n"] == n0 and r["layout"] == "key")
    for (t, rss, o), what in zip(infer, ("strata and PSUs", "families as PSUs")):
        est = len(json.loads(o)["estimates"])
        print(f"inference ({what}, {est} estimates, {n0} families): {t:.2f} s "
              f"({t / key0['af']:.2f}x the score without), peak RSS {rss:.1f} MiB")
    print(f"unit_scores write ({n0} families): {t_write:.2f} s (score --out minus score), "
          f"bare insert of the same rows {t_bare:.2f} s: {t_write / t_bare:.2f}x the bare insert")
    if t_merge2 is not None:
        print(f"merge of 2 partials ({n0} families): {t_merge2:.2f} s ({t_merge2 / t_score_out:.2f}x one "
              f"score --out; goal < 0.10)")
    elif merge2_err:
        print(f"merge of 2 partials ({n0} families): failed: {merge2_err}")
    else:
        print("merge of 2 partials: not measured (afscore has no merge command)")


def main():
    if not os.path.exists(AF) or not os.path.exists(KB):
        sys.exit("bench: build first (make bench builds build/afscore and build/kernel_bench)")
    merge = has_merge()
    rows = [bench_layout(n, l, merge) for n in SIZES for l in LAYOUTS]
    print(f"\nafscore bench: medians of {RUNS} runs, {os.cpu_count()} cores\n")
    print_tables(rows)
    if EXTRAS and "key" in LAYOUTS:
        extras(rows, merge)
    for r in rows:
        print(f"{r['n']} families, {r['layout']}: afscore H={r['H']:.6f} A={r['A']:.6f} "
              f"M0={r['M0']:.6f}; peer printed: {r['peer_out']}")
    print("\ngoals (issue #16):")
    for text, met, detail in goals(rows, merge):
        verdict = "not measured" if met is None else "met" if met else "NOT MET"
        print(f"  {verdict:>12}: {text} ({detail})")


if __name__ == "__main__":
    try:
        main()
    except Failed as e:
        sys.exit(f"bench: {e}")
