#!/usr/bin/env python3
"""bench/bench.py: `make bench`. Times afscore against the floor and a peer.

For each population size (default 1M and 6M families; BENCH_SIZES to change)
it generates (or reuses) bench/data/pop_N.db and reports medians of BENCH_RUNS
runs (default 3) of:
  1. afscore score with methodology/kz_family_2023.lua (writing unit_scores),
     with two threads (the default) and with one (AFSCORE_THREADS=1);
  2. the floor: the sqlite3 shell reading exactly the columns that methodology
     reads, plus a bare INSERT ... SELECT of one result row per unit into a
     fresh database;
  3. the peer: the same methodology by hand as one SQL query
     (bench/kz_family_2023.sql), checked to give the same H, A and M0;
  4. the kernel alone on in-memory batches (build/kernel_bench);
  5. peak RSS of each, and compare of two variants against one score;
  6. replay of the recorded run (rescoring and checking every recorded row)
     and verify (every row without the data), against score.
Also, at the first size: the cost of writing unit_scores (score --out minus
score without it) against a bare insert of the same recorded rows into a
fresh rowid table by the sqlite3 shell (WAL, synchronous=FULL, as afscore
writes; the time to read the rows back is taken off), and merge of the two
partial runs of score --partition 1/2 and 2/2 against one score.
Also afscore on a copy whose persons are stored in random order, and the cost
of inference (standard errors, docs/inference.md) at the first size: score
with a survey design (bench/kz_design.lua: strata and PSUs; and
kz_design_units.lua: families as PSUs) against score without one.
Timings are wall-clock; nothing here is a pass/fail test.
"""
import json, os, resource, statistics, subprocess, sys, time

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


def run_rss(cmd, stdin_path=None):
    """Run cmd with its own rusage: (seconds, peak RSS MiB, stdout)."""
    fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    t = time.monotonic() - t0
    if stdin_path:
        fin.close()
    if status != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {err.decode()[-2000:]}")
    return t, ru.ru_maxrss / 1024.0, out.decode()


def median_of(fn):
    res = [fn() for _ in range(RUNS)]
    return statistics.median(r[0] for r in res), max(r[1] for r in res), res[-1][2]


def population(n, shuffled=False):
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, f"pop_{n}{'_shuffled' if shuffled else ''}.db")
    if not os.path.exists(path):
        args = [AF, "generate", "--families", str(n), "--seed", "1", "--out", path]
        if shuffled:
            args += ["--layout", "shuffled"]
        t, _, _ = run_rss(args)
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
    """The recorded rows of run 1 of results, read (insert False) or read and
    inserted into a fresh rowid table of out (insert True)."""
    cols = "run_id, unit, score, poor, category, eligible, chk"
    sql = f"ATTACH '{results}' AS r;\n"
    if not insert:
        return sql + f"SELECT max(run_id), max(unit), max(score), max(poor), max(category), max(eligible), max(chk) FROM r.unit_scores;\n"
    return sql + (f"ATTACH '{out}' AS o;\nPRAGMA o.journal_mode=WAL; PRAGMA o.synchronous=FULL;\n"
                  f"CREATE TABLE o.u({cols});\nINSERT INTO o.u SELECT {cols} FROM r.unit_scores;\n")


def write_cost(db, out):
    """Seconds score --out spends writing unit_scores, and a bare insert of the
    rows it wrote (out holds that run)."""
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
    t_read, _, _ = median_of(lambda: sql(False))
    return t_out - t_noout, max(t_ins - t_read, 1e-3), t_out


def merge_cost(db):
    """Seconds to merge the partials of score --partition 1/2 and 2/2."""
    parts = [os.path.join(DATA, f"part_{i}.db") for i in (1, 2)]
    for i, p in enumerate(parts, 1):
        run_rss([AF, "score", "--db", db, "--method", METHOD, "--out", fresh(p), "--partition", f"{i}/2"])
    merged = os.path.join(DATA, "merged.db")
    t, _, _ = median_of(lambda: run_rss([AF, "merge", "--out", fresh(merged)] + parts))
    return t


def fresh(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass
    return path


def bench_size(n):
    db = population(n)
    plan = json.loads(run_rss([AF, "check", METHOD, "--db", db, "--json"])[2])
    out = os.path.join(DATA, "out.db")
    sqlf = os.path.join(DATA, "floor.sql")

    def score():
        t, rss, o = run_rss([AF, "score", "--db", db, "--method", METHOD, "--out", fresh(out), "--json"])
        return t, rss, o

    def score_1thread():
        os.environ["AFSCORE_THREADS"] = "1"
        try:
            return run_rss([AF, "score", "--db", db, "--method", METHOD, "--out", fresh(out), "--json"])
        finally:
            del os.environ["AFSCORE_THREADS"]

    def floor():
        with open(sqlf, "w") as f:
            f.write(floor_sql(db, plan, fresh(out)))
        return run_rss(["sqlite3", db], stdin_path=sqlf)

    def peer():
        return run_rss(["sqlite3", "-readonly", db], stdin_path=PEER)

    def compare():
        return run_rss([AF, "compare", "--db", db, "--method", METHOD, "--method", VARIANT, "--json"])

    def replay():
        return run_rss([AF, "replay", "1", "--out", out, "--db", db])

    def verify():
        return run_rss([AF, "verify", "--out", out])

    t_af, rss_af, out_af = median_of(score)
    # out now holds the last score's run: replay and verify read it
    t_rep, rss_rep, _ = median_of(replay)
    t_ver, rss_ver, _ = median_of(verify)
    t_af1, _, _ = median_of(score_1thread)
    t_fl, rss_fl, _ = median_of(floor)
    t_peer, rss_peer, out_peer = median_of(peer)
    t_cmp, rss_cmp, _ = median_of(compare)
    kern = json.loads(run_rss([KB, db, METHOD, "1000000", "5"])[2])
    summary = json.loads(out_af)
    return dict(n=n, af=t_af, af1=t_af1, rss_af=rss_af, floor=t_fl, rss_floor=rss_fl, peer=t_peer,
                rss_peer=rss_peer, compare=t_cmp, rss_compare=rss_cmp, kernel=kern,
                replay=t_rep, rss_replay=rss_rep, verify=t_ver, rss_verify=rss_ver,
                H=summary["H"], A=summary["A"], M0=summary["M0"], peer_out=out_peer.strip(),
                units=summary["data"]["units"], members=summary["data"]["members"])


def peer_matches(r):
    nums = []
    for tok in r["peer_out"].replace("|", " ").split():
        try:
            nums.append(float(tok))
        except ValueError:
            pass
    return all(any(abs(v - x) < 1e-9 for x in nums) for v in (r["H"], r["A"], r["M0"]))


def main():
    if not os.path.exists(AF) or not os.path.exists(KB):
        sys.exit("bench: build first (make bench builds build/afscore and build/kernel_bench)")
    rows = [bench_size(n) for n in SIZES]
    shuffled_rows = []
    n0 = SIZES[0]
    sdb = population(n0, shuffled=True)
    out = os.path.join(DATA, "out.db")
    t_sh, rss_sh, _ = median_of(lambda: run_rss([AF, "score", "--db", sdb, "--method", METHOD,
                                                 "--out", fresh(out), "--json"]))
    db0 = population(n0)
    t_write, t_bare, t_score_out = write_cost(db0, out)
    t_merge = merge_cost(db0)
    infer = [median_of(lambda m=m: run_rss([AF, "score", "--db", db0, "--method", m,
                                             "--out", fresh(out), "--json"]))
             for m in (DESIGN, DESIGN_UNITS)]
    print(f"\nafscore bench: medians of {RUNS} runs, {os.cpu_count()} cores\n")
    print(f"{'families':>10} {'persons':>10} {'afscore s':>10} {'1 thread s':>10} {'floor s':>9} {'af/floor':>9} "
          f"{'peer s':>8} {'peer/af':>8} {'compare s':>10} {'cmp/score':>10} "
          f"{'RSS af MiB':>10} {'RSS floor':>10} {'RSS peer':>9} {'kernel evals/s':>15} {'peer=af':>8}")
    for r in rows:
        print(f"{r['n']:>10} {r['members']:>10} {r['af']:>10.2f} {r['af1']:>10.2f} {r['floor']:>9.2f} "
              f"{r['af'] / r['floor']:>9.2f} {r['peer']:>8.2f} {r['peer'] / r['af']:>8.2f} "
              f"{r['compare']:>10.2f} {r['compare'] / r['af']:>10.2f} {r['rss_af']:>10.1f} "
              f"{r['rss_floor']:>10.1f} {r['rss_peer']:>9.1f} "
              f"{r['kernel']['unit_indicator_evals_per_s']:>15.3g} {str(peer_matches(r)):>8}")
    print(f"\n{'families':>10} {'score s':>8} {'replay s':>9} {'replay/score':>13} "
          f"{'verify s':>9} {'verify/score':>13} {'RSS replay':>11} {'RSS verify':>11}")
    for r in rows:
        print(f"{r['n']:>10} {r['af']:>8.2f} {r['replay']:>9.2f} {r['replay'] / r['af']:>13.2f} "
              f"{r['verify']:>9.2f} {r['verify'] / r['af']:>13.2f} {r['rss_replay']:>11.1f} "
              f"{r['rss_verify']:>11.1f}")
    if len(rows) > 1:
        print(f"\npeak RSS ratio {rows[-1]['n']} / {rows[0]['n']} families: "
              f"{rows[-1]['rss_af'] / rows[0]['rss_af']:.2f}")
    print(f"persons stored in random order ({n0} families): {t_sh:.2f} s "
          f"({t_sh / rows[0]['af']:.2f}x the family-ordered file), peak RSS {rss_sh:.1f} MiB")
    for (t, rss, o), what in zip(infer, ("strata and PSUs", "families as PSUs")):
        est = len(json.loads(o)["estimates"])
        print(f"inference ({what}, {est} estimates, {n0} families): {t:.2f} s "
              f"({t / rows[0]['af']:.2f}x the score without), peak RSS {rss:.1f} MiB")
    print(f"unit_scores write ({n0} families): {t_write:.2f} s (score --out minus score), "
          f"bare insert of the same rows {t_bare:.2f} s: {t_write / t_bare:.2f}x the bare insert")
    print(f"merge of 2 partials ({n0} families): {t_merge:.2f} s ({t_merge / t_score_out:.2f}x one "
          f"score --out; goal < 0.10)")
    for r in rows:
        print(f"\n{r['n']} families: afscore H={r['H']:.6f} A={r['A']:.6f} M0={r['M0']:.6f}; "
              f"peer printed: {r['peer_out']}")


if __name__ == "__main__":
    main()
