/*
** test_e2e_report.c: `afscore report` end to end. A generated population is
** scored under the shipped methodology, a proposal and the points order; the
** reports are rendered in headless Chromium (Debian's `chromium`), and:
**   - the page loads with no console error and no network request (checked
**     on Chromium's log and net log; a control page with a failing script
**     and an external image shows that both checks can fail);
**   - the figures in the rendered page's text equal `score --json` for the
**     same run, and the transitions equal counts made in SQL on unit_scores;
**   - a screenshot of each report is written to the test directory and is
**     not blank (much larger than the screenshot of an empty page).
** The record names each file's signature and signer key, and the run's.
** Bad input exits 1 and writes nothing. The Chromium tests are compiled in
** the normal build only (they are slow under the sanitizer build's load and
** Chromium is not what the sanitizers check); without Chromium they fail.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "jdoc.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define REP_BROWSER 0
#else
#define REP_BROWSER 1
#endif

static char DATA[1024], RES[1024], EMPTY_RES[1024];
static jdoc *JSON_AF, *JSON_PROP, *JSON_PTS;   /* score --json of runs 1, 2, 3 */

static h_result run_status(const char *const *args, int status) {
  h_result r = h_run(args);
  if (r.status != status)
    fail_msg("status %d, expected %d\nstdout: %.2000s\nstderr: %.2000s", r.status, status, r.out,
             r.err);
  return r;
}

static jdoc *score_json(const char *method) {
  const char *args[] = {"score", "--db", DATA, "--method", method, "--out", RES, "--json", NULL};
  h_result r = run_status(args, 0);
  jdoc *d = NULL;
  af_err e;
  if (jdoc_parse(r.out, &d, &e) < 0) fail_msg("score --json: %s", e.msg);
  h_result_free(&r);
  return d;
}

static int setup(void **state) {
  (void)state;
  snprintf(DATA, sizeof DATA, "%s", h_path("report-data.db"));
  snprintf(RES, sizeof RES, "%s", h_path("report-results.db"));
  snprintf(EMPTY_RES, sizeof EMPTY_RES, "%s", h_path("report-empty.db"));
  unlink(DATA);
  unlink(RES);
  setenv("AFSCORE_PATH", h_root("methodology"), 1);
  const char *gen[] = {"generate", "--families", "3000", "--seed", "7", "--out", DATA, NULL};
  h_result r = run_status(gen, 0);
  h_result_free(&r);
  JSON_AF = score_json(h_root("methodology/kz_family_2023.lua"));
  JSON_PROP = score_json(h_root("methodology/kz_family_2023_proposal.lua"));
  JSON_PTS = score_json(h_root("methodology/kz_order267_2023.lua"));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  jdoc_free(JSON_AF);
  jdoc_free(JSON_PROP);
  jdoc_free(JSON_PTS);
  return 0;
}

static char *slurp(const char *path) {
  char *text = NULL;
  size_t len = 0;
  af_err e;
  if (af_read_file(path, &text, &len, &e) < 0) {
    fail_msg("%s", e.msg);
    return af_strdup("");
  }
  return text;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static int count_of(const char *text, const char *needle) {
  int n = 0;
  size_t at = 0, len = strlen(text);
  while (at < len) {
    const char *p = strstr(text + at, needle);
    if (!p) break;
    n++;
    at = (size_t)(p - text) + 1;
  }
  return n;
}

/* The decimal mark of the page last written: ',' for ru and kk pages. */
static int PAGE_COMMA;

/* Write the report of runs a (and b, when > 0) in lang. */
static void report(const char *html, int a, int b, const char *lang) {
  PAGE_COMMA = lang && strcmp(lang, "en") != 0;
  char ra[16], rb[16];
  snprintf(ra, sizeof ra, "%d", a);
  snprintf(rb, sizeof rb, "%d", b);
  const char *args[14] = {"report", "--out", RES, "--run", ra, "--html", html, "--force"};
  int n = 8;
  if (b > 0) args[n++] = "--run", args[n++] = rb;
  if (lang) args[n++] = "--lang", args[n++] = lang;
  args[n] = NULL;
  h_result r = run_status(args, 0);
  h_result_free(&r);
}

/* ---- reading figures out of the page ---- */

/* The text of cell col of the row whose first cell reads key, in the table
** with id t-NAME (owned). */
static char *cell(const char *page, const char *table, const char *key, int col) {
  char id[200], first[400];
  snprintf(id, sizeof id, "id=\"t-%s\"", table);
  const char *t = strstr(page, id);
  if (!t) fail_msg("no table %s in the page", table);
  const char *end = strstr(t, "</table>");
  snprintf(first, sizeof first, "<td>%s</td>", key);
  const char *row = strstr(t, first);
  if (!row || row > end) fail_msg("no row '%s' in table %s", key, table);
  const char *p = row;
  for (int i = 0; i < col; i++) {
    p = strstr(p + 1, "<td");
    if (!p || p > end) fail_msg("row '%s' of %s has no cell %d", key, table, col);
  }
  p = strchr(p, '>') + 1;
  const char *q = strstr(p, "</td>");
  return af_strndup(p, (size_t)(q - p));
}

/* A number as the page writes it: thousands separators (',' in English, a
** no-break space in Russian and Kazakh), '%', '+' and the minus sign U+2212. */
static double page_number(const char *text) {
  char buf[128];
  size_t n = 0;
  for (const char *p = text; *p && n + 1 < sizeof buf; p++) {
    if (strncmp(p, "\xE2\x88\x92", 3) == 0) buf[n++] = '-', p += 2;
    else if (strncmp(p, "&nbsp;", 6) == 0) p += 5;   /* U+00A0 as the DOM dump writes it */
    else if (*p == ',' && PAGE_COMMA) buf[n++] = '.';
    else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) break;   /* "p.p." */
    else if ((*p >= '0' && *p <= '9') || *p == '.' || *p == '-') buf[n++] = *p;
  }
  buf[n] = '\0';
  char *end;
  double v = strtod(buf, &end);
  if (end == buf || *end) fail_msg("no number in '%s'", text);
  return v;
}

static double cell_number(const char *page, const char *table, const char *key, int col) {
  char *c = cell(page, table, key, col);
  double v = page_number(c);
  free(c);
  return v;
}

/* The big figure of the headline card fig-ID. */
static double card_number(const char *page, const char *id) {
  char at[100];
  snprintf(at, sizeof at, "id=\"fig-%s\"><span class=\"v\">", id);
  const char *p = strstr(page, at);
  if (!p) fail_msg("no card %s in the page", id);
  p += strlen(at);
  char *t = af_strndup(p, (size_t)(strstr(p, "</span>") - p));
  double v = page_number(t);
  free(t);
  return v;
}

/* A share rounded as the page shows it: percent with one decimal. */
static double pct1(double share) { return round(share * 1000) / 10; }

static double jnum(const jdoc *d, const char *path) {
  double v = jdoc_num(jdoc_path(d, path));
  if (!isfinite(v)) fail_msg("no number at %s", path);
  return v;
}

/* The element of array arr whose "id" (or "value") is key. */
static const jdoc *jfind(const jdoc *arr, const char *field, const char *key) {
  for (int i = 0; i < jdoc_len(arr); i++)
    if (jdoc_str(jdoc_get(jdoc_at(arr, i), field)) &&
        strcmp(jdoc_str(jdoc_get(jdoc_at(arr, i), field)), key) == 0)
      return jdoc_at(arr, i);
  fail_msg("no %s = %s", field, key);
  return NULL;
}

static long long sql_count(const char *sql) { return (long long)h_sql_double(RES, sql); }

/* A fixture file copied into the test directory. */
static void copy_fixture(const char *name) {
  char from[300];
  snprintf(from, sizeof from, "tests/fixtures/reasons/%s", name);
  char *text = h_slurp(h_root(from));
  h_write(h_path(name), text);
  free(text);
}

/* Who moves by region, worked out by hand on the eight families of
** tests/fixtures/reasons (the Tiny methodology and its fuel variant, as in
** test_e2e_policy): Abai f1 B-B, f2 B-A, f6 C-B, f9 C-B; Turkestan f3 A-A,
** f4 C-C, f7 B-B, f10 B-A. tiny_runs: the results database of the two runs
** (a path of h_path). */
static const char *tiny_runs(void) {
  const char *db = h_path("report-tiny.db"), *res = h_path("report-tiny-res.db");
  unlink(db);
  unlink(res);
  char *data = h_slurp(h_root("tests/fixtures/reasons/data.sql"));
  h_sql(db, data);
  free(data);
  copy_fixture("tiny.lua");
  copy_fixture("v_fuel.lua");
  setenv("AFSCORE_PATH", h_path(""), 1);
  const char *s1[] = {"score", "--db", db, "--method", h_path("tiny.lua"), "--out", res,
                      NULL};
  const char *s2[] = {"score", "--db", db, "--method", h_path("v_fuel.lua"), "--out", res,
                      NULL};
  h_result r = run_status(s1, 0);
  h_result_free(&r);
  r = run_status(s2, 0);
  h_result_free(&r);
  setenv("AFSCORE_PATH", h_root("methodology"), 1);
  return res;
}

/* ---- Chromium ---- */

#if REP_BROWSER
/* Run chromium with args (NULL-terminated after the fixed options) and
** its stdout and stderr into files; fails the test when it is missing. */
static void chromium(const char *tag, const char *const *extra, const char *outp,
                     const char *errp) {
  char udd[1024], cmd[1200];
  snprintf(udd, sizeof udd, "%s", h_path(tag));
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", udd);
  if (system(cmd) != 0) fail_msg("cannot clear %s", udd);
  if (system("command -v chromium >/dev/null 2>&1") != 0)
    fail_msg("chromium is not installed: the report tests render the page in it "
             "(run scripts/install-deps.sh, which installs Debian's chromium)");
  char ud[1100];
  snprintf(ud, sizeof ud, "--user-data-dir=%s", udd);
  const char *fixed[] = {"chromium", "--headless", "--disable-gpu", "--no-sandbox", ud,
                         "--no-first-run", "--hide-scrollbars",
                         /* Any fetch would fail: no proxy listens on port 9, no name resolves. */
                         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                         "--enable-logging=stderr", "--v=0"};
  int nf = (int)(sizeof fixed / sizeof fixed[0]), ne = 0;
  while (extra[ne]) ne++;
  char **argv = af_calloc((size_t)(nf + ne + 1), sizeof *argv);
  for (int i = 0; i < nf; i++) argv[i] = (char *)fixed[i];
  for (int i = 0; i < ne; i++) argv[nf + i] = (char *)extra[i];
  pid_t pid = fork();
  if (pid == 0) {
    int fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fi = open("/dev/null", O_RDONLY);
    if (fo < 0 || fe < 0 || fi < 0) _exit(127);
    dup2(fo, 1), dup2(fe, 2), dup2(fi, 0);
    execvp("chromium", argv);
    _exit(127);
  }
  free(argv);
  int st = 0;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    fail_msg("chromium failed (status %d); its log: %s", st, errp);
}

/* The rendered DOM of a page; fails on a console message or a request the
** page made (the net log names the page's file:// origin in the network
** isolation key of every request the page starts; Chromium's own
** background requests carry none). */
static char *render(const char *html, int expect_clean) {
  char url[1200], netlog[1100], domp[1024], errp[1024];
  snprintf(url, sizeof url, "file://%s", html);
  snprintf(domp, sizeof domp, "%s.dom", html);
  snprintf(errp, sizeof errp, "%s.log", html);
  snprintf(netlog, sizeof netlog, "--log-net-log=%s.net.json", html);
  const char *extra[] = {netlog, "--dump-dom", url, NULL};
  chromium("chromium-profile", extra, domp, errp);
  char *log = slurp(errp), *dom = slurp(domp);
  snprintf(netlog, sizeof netlog, "%s.net.json", html);
  char *net = slurp(netlog);
  int console = h_has(log, ":CONSOLE"), fetched = h_has(net, "u003Cfile://");
  if (expect_clean && console) fail_msg("console messages while loading %s:\n%.2000s", html, log);
  if (expect_clean && fetched) fail_msg("%s made a network request (see %s)", html, netlog);
  if (!expect_clean && (!console || !fetched))
    fail_msg("the control page was not caught: console %d, request %d", console, fetched);
  if (!h_has(dom, "</html>")) fail_msg("no DOM dumped for %s", html);
  free(log);
  free(net);
  return dom;
}

static long file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* A screenshot of the page at 1200 x 3000; its size in bytes. */
static long screenshot(const char *html, const char *png) {
  char url[1200], shot[1100], errp[1100];
  snprintf(url, sizeof url, "file://%s", html);
  snprintf(shot, sizeof shot, "--screenshot=%s", png);
  snprintf(errp, sizeof errp, "%s.log", png);
  unlink(png);
  const char *extra[] = {shot, "--window-size=1200,3000", url, NULL};
  chromium("chromium-shot", extra, "/dev/null", errp);
  char *t = slurp(png);
  if (memcmp(t, "\x89PNG\r\n\x1a\n", 8) != 0) fail_msg("%s is not a PNG", png);
  free(t);
  return file_size(png);
}

/* The checks work: a page with a script error and an external image is caught. */
static void test_browser_control(void **state) {
  (void)state;
  const char *p = h_path("report-control.html");
  h_write(p, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>c</title></head>"
             "<body><p>control</p><img src=\"http://example.invalid/a.png\">"
             "<script>console.error('boom')</script></body></html>");
  char *dom = render(p, 0);
  free(dom);
}

static void test_one_run_in_browser(void **state) {
  (void)state;
  const char *html = h_path("report-one.html");
  report(html, 1, 0, "en");
  char *page = render(html, 1);
  const jdoc *j = JSON_AF;
  /* headline: families scored = units - excluded; people = members */
  assert_int_equal(card_number(page, "families"), jnum(j, "units") - jnum(j, "excluded"));
  assert_int_equal(card_number(page, "people"), jnum(j, "data.members"));
  assert_int_equal(card_number(page, "excluded"), jnum(j, "excluded"));
  assert_double_equal(card_number(page, "H"), pct1(jnum(j, "H")), 1e-9);
  assert_double_equal(card_number(page, "A"), pct1(jnum(j, "A")), 1e-9);
  assert_double_equal(card_number(page, "M0"), round(jnum(j, "M0") * 1000) / 1000, 1e-9);
  const jdoc *cats = jdoc_get(j, "categories");
  double de = jnum(jfind(cats, "id", "D"), "share") + jnum(jfind(cats, "id", "E"), "share");
  assert_double_equal(card_number(page, "worst"), pct1(de), 1e-9);
  /* every category: count and share */
  const char *ids[] = {"A", "B", "C", "D", "E"};
  for (int i = 0; i < 5; i++) {
    const jdoc *c = jfind(cats, "id", ids[i]);
    assert_int_equal(cell_number(page, "categories", ids[i], 2), jnum(c, "count"));
    assert_double_equal(cell_number(page, "categories", ids[i], 3), pct1(jnum(c, "share")), 1e-9);
  }
  /* every region: families, H, M0 */
  const jdoc *regions = jdoc_path(j, "groups.region");
  assert_true(jdoc_len(regions) >= 10);
  for (int i = 0; i < jdoc_len(regions); i++) {
    const jdoc *r = jdoc_at(regions, i);
    const char *name = jdoc_str(jdoc_get(r, "value"));
    assert_int_equal(cell_number(page, "group-region", name, 1), jnum(r, "units"));
    assert_double_equal(cell_number(page, "group-region", name, 3), pct1(jnum(r, "H")), 1e-9);
    assert_double_equal(cell_number(page, "group-region", name, 5),
                        round(jnum(r, "M0") * 1000) / 1000, 1e-9);
  }
  /* an indicator, by its name in the methodology */
  const jdoc *li = jfind(jdoc_get(j, "indicators"), "id", "low_income");
  const char *lname = "Per-capita income below the subsistence minimum";
  assert_double_equal(cell_number(page, "indicators", lname, 3), pct1(jnum(li, "uncensored")), 1e-9);
  assert_double_equal(cell_number(page, "indicators", lname, 4), pct1(jnum(li, "censored")), 1e-9);
  assert_double_equal(cell_number(page, "indicators", lname, 5), pct1(jnum(li, "contribution")),
                      1e-9);
  /* a support measure: families and people eligible */
  const jdoc *tsa = jfind(jdoc_get(j, "measures"), "id", "tsa");
  const char *tname = "Targeted social assistance (\xD0\x90\xD0\xA1\xD0\x9F)";
  assert_int_equal(cell_number(page, "measures", tname, 1), jnum(tsa, "units"));
  assert_int_equal(cell_number(page, "measures", tname, 2), jnum(tsa, "people"));
  /* the record ties the page to its run */
  assert_true(h_has(page, jdoc_str(jdoc_path(j, "data.sha256"))));
  assert_true(h_has(page, jdoc_str(jdoc_path(j, "methodology.sha256"))));
  assert_true(h_has(page, jdoc_str(jdoc_get(j, "results_sha256"))));
  assert_true(h_has(page, ">unsigned<"));
  free(page);
}

static void test_points_run_in_russian(void **state) {
  (void)state;
  const char *html = h_path("report-points-ru.html");
  report(html, 3, 0, "ru");
  char *page = render(html, 1);
  const jdoc *j = JSON_PTS;
  assert_true(h_has(page, "<html lang=\"ru\">"));
  assert_true(h_has(page, "\xD0\x9E\xD1\x81\xD0\xBD\xD0\xBE\xD0\xB2\xD0\xBD\xD1\x8B\xD0\xB5"));  /* Основные */
  /* mean score with one decimal and a decimal comma */
  assert_double_equal(card_number(page, "mean"), round(jnum(j, "score.mean") * 10) / 10, 1e-9);
  assert_int_equal(card_number(page, "families"), jnum(j, "units") - jnum(j, "excluded"));
  const jdoc *b = jfind(jdoc_get(j, "categories"), "id", "B");
  assert_int_equal(cell_number(page, "categories", "B", 2), jnum(b, "count"));
  assert_double_equal(cell_number(page, "categories", "B", 3), pct1(jnum(b, "share")), 1e-9);
  free(page);
}

static void test_two_runs_in_browser(void **state) {
  (void)state;
  const char *html = h_path("report-two.html");
  report(html, 1, 2, "en");
  char *page = render(html, 1);
  /* the transition matrix equals counts made in SQL on the recorded rows */
  const char *ids[] = {"A", "B", "C", "D", "E"};
  for (int a = 0; a < 5; a++)
    for (int b = 0; b < 5; b++) {
      char sql[400];
      snprintf(sql, sizeof sql,
               "SELECT count(*) FROM unit_scores x JOIN unit_scores y ON x.unit = y.unit "
               "WHERE x.run_id = 1 AND y.run_id = 2 AND x.category = '%s' AND y.category = '%s'",
               ids[a], ids[b]);
      assert_int_equal(cell_number(page, "transitions", ids[a], b + 1), sql_count(sql));
    }
  /* better and worse: A is the best category of both */
  const char *base = "SELECT count(*) FROM unit_scores x JOIN unit_scores y ON x.unit = y.unit "
                     "WHERE x.run_id = 1 AND y.run_id = 2 AND ";
  char sql[600];
  snprintf(sql, sizeof sql, "%s y.category < x.category", base);
  long long better = sql_count(sql);
  snprintf(sql, sizeof sql, "%s y.category > x.category", base);
  long long worse = sql_count(sql);
  assert_true(better > 0 && worse > 0);
  assert_int_equal(card_number(page, "better"), better);
  assert_int_equal(card_number(page, "worse"), worse);
  assert_int_equal(card_number(page, "moved"), better + worse);
  /* headline before and after equal each run's score --json */
  const char *hrow = "Multidimensionally poor (H)";
  assert_double_equal(cell_number(page, "headline", hrow, 1), pct1(jnum(JSON_AF, "H")), 1e-9);
  assert_double_equal(cell_number(page, "headline", hrow, 2), pct1(jnum(JSON_PROP, "H")), 1e-9);
  /* measures gained and lost (tsa is measure 1 of both: bit 2) */
  const char *tname = "Targeted social assistance (\xD0\x90\xD0\xA1\xD0\x9F)";
  snprintf(sql, sizeof sql, "%s (x.eligible & 2) = 0 AND (y.eligible & 2) != 0", base);
  assert_int_equal(cell_number(page, "measures", tname, 3), sql_count(sql));
  snprintf(sql, sizeof sql, "%s (x.eligible & 2) != 0 AND (y.eligible & 2) = 0", base);
  assert_int_equal(cell_number(page, "measures", tname, 4), sql_count(sql));
  assert_int_equal(cell_number(page, "measures", tname, 1),
                   jnum(jfind(jdoc_get(JSON_AF, "measures"), "id", "tsa"), "units"));
  assert_int_equal(cell_number(page, "measures", tname, 2),
                   jnum(jfind(jdoc_get(JSON_PROP, "measures"), "id", "tsa"), "units"));
  /* who moves by region: counted in SQL on the recorded rows and the
  ** region recorded with run 2 (the first group column's code) */
  const char *abai = "%s CAST(y.grp AS INTEGER) = (SELECT code FROM run_values"
                     " WHERE run_id = 2 AND value = 'Abai') AND %s";
  const char *conds[] = {"1", "y.category < x.category", "y.category > x.category",
                         "x.category IN ('D', 'E')", "y.category IN ('D', 'E')"};
  long long want[5];
  for (int c = 0; c < 5; c++) {
    char q[900];
    snprintf(q, sizeof q, abai, base, conds[c]);
    want[c] = sql_count(q);
    assert_int_equal(cell_number(page, "moves-region", "Abai", c + 1), want[c]);
  }
  assert_true(want[0] > 0 && want[1] > 0 && want[2] > 0);
  assert_int_equal(cell_number(page, "moves-region", "Abai", 6), want[4] - want[3]);
  /* the targeted assistance gained and lost in Abai */
  const char *tsa[] = {"(x.eligible & 2) = 0 AND (y.eligible & 2) != 0",
                       "(x.eligible & 2) != 0 AND (y.eligible & 2) = 0"};
  for (int c = 0; c < 2; c++) {
    char q[900];
    snprintf(q, sizeof q, abai, base, tsa[c]);
    assert_int_equal(cell_number(page, "measures-region-tsa", "Abai", c + 1), sql_count(q));
  }
  /* what changed in the rules: the income line and the D bound */
  assert_true(h_has(page, "mean(income) &lt; 1.2 * subsistence_minimum"));
  assert_true(h_has(page, "<td>category D scores</td>"));
  assert_true(h_has(page, "from 9/20 (0.45), below 1/2 (0.5)"));
  free(page);
}

/* Who moves by region, worked out by hand: see tiny_runs. */
static void test_who_moves_by_hand(void **state) {
  (void)state;
  const char *res = tiny_runs(), *html = h_path("report-tiny.html");
  const char *args[] = {"report", "--out", res, "--run", "1", "--run", "2", "--html", html,
                        "--force", NULL};
  h_result r = run_status(args, 0);
  h_result_free(&r);
  PAGE_COMMA = 0;
  char *page = render(html, 1);
  /* families, better, worse, in B+C before, after, change */
  const double abai[] = {4, 3, 0, 4, 3, -1}, turkestan[] = {4, 1, 0, 3, 2, -1};
  for (int c = 0; c < 6; c++) {
    assert_double_equal(cell_number(page, "moves-region", "Abai", c + 1), abai[c], 0);
    assert_double_equal(cell_number(page, "moves-region", "Turkestan", c + 1), turkestan[c], 0);
  }
  /* the visit (category C) lost by f6 and f9, both in Abai */
  const double visit_abai[] = {0, 2, -2}, visit_turkestan[] = {0, 0, 0};
  for (int c = 0; c < 3; c++) {
    assert_double_equal(cell_number(page, "measures-region-visit", "Abai", c + 1), visit_abai[c], 0);
    assert_double_equal(cell_number(page, "measures-region-visit", "Turkestan", c + 1),
                        visit_turkestan[c], 0);
  }
  assert_true(h_has(page, "<th class=\"n\">In B+C before</th>"));
  free(page);
  /* runs recorded before group values were kept: the page says so */
  h_sql(res, "UPDATE runs SET group_columns = NULL; UPDATE unit_scores SET grp = NULL;"
             "DELETE FROM run_groups; DELETE FROM run_values;");
  r = run_status(args, 0);
  h_result_free(&r);
  page = render(html, 1);
  assert_true(h_has(page, "These runs were recorded before afscore kept each family's group "
                          "values (results schema 3)"));
  assert_false(h_has(page, "t-moves-region"));
  free(page);
}

static void test_screenshots(void **state) {
  (void)state;
  const char *blank = h_path("report-blank.html");
  h_write(blank, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>b</title></head>"
                 "<body></body></html>");
  long empty = screenshot(blank, h_path("report-blank.png"));
  const char *one = h_path("report-one.html"), *two = h_path("report-two.html");
  report(one, 1, 0, "en");
  report(two, 1, 2, "kk");
  long s1 = screenshot(one, h_path("report-one.png"));
  long s2 = screenshot(two, h_path("report-two.png"));
  /* An empty page compresses to some 17 kB; a page of charts, tables and
  ** text to over 250 kB. */
  if (s1 < 8 * empty || s2 < 8 * empty)
    fail_msg("screenshots look blank: %ld and %ld bytes, an empty page %ld", s1, s2, empty);
}
#endif

/* ---- the page as written (no browser) ---- */

static void test_self_contained(void **state) {
  (void)state;
  const char *one = h_path("report-sc-one.html"), *two = h_path("report-sc-two.html");
  report(one, 1, 0, "kk");
  report(two, 1, 2, "ru");
  const char *pages[] = {one, two};
  for (int i = 0; i < 2; i++) {
    char *t = slurp(pages[i]);
    const char *banned[] = {"http:", "https:", "src=", "href=", "@import", "<script", "<link",
                            "<img", "url(\"", "url('", "@font-face"};
    for (size_t k = 0; k < sizeof banned / sizeof banned[0]; k++)
      if (h_has(t, banned[k])) fail_msg("%s contains '%s'", pages[i], banned[k]);
    /* url() only for the charts' own patterns */
    for (const char *p = strstr(t, "url("); p; p = strstr(p + 1, "url("))
      if (p[4] != '#') fail_msg("%s: url() to something outside the page", pages[i]);
    assert_true(h_has(t, "@media print"));
    assert_true(h_has(t, "@page{size:A4"));
    /* every chart has a title and a text alternative */
    int svgs = count_of(t, "<svg ");
    assert_true(svgs >= 4);
    assert_int_equal(count_of(t, "<title id=\"svg"), svgs);
    assert_int_equal(count_of(t, "<desc id=\"svg"), svgs);
    free(t);
  }
}

static void test_csv(void **state) {
  (void)state;
  const char *dir = h_path("report-csv");
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  const char *args[] = {"report", "--out", RES, "--run", "1", "--csv", dir, NULL};
  h_result r = run_status(args, 0);
  h_result_free(&r);
  char path[1200];
  snprintf(path, sizeof path, "%s/categories.csv", dir);
  char *t = slurp(path);
  assert_memory_equal(t, "\xEF\xBB\xBF" "Category,Name,Families,Share\r\n", 33);
  const jdoc *a = jfind(jdoc_get(JSON_AF, "categories"), "id", "A");
  char row[200];
  /* the CSV has two more decimals than the page: a percentage with three */
  snprintf(row, sizeof row, "\r\nA,well-off,%.0f,%.3f\r\n", jnum(a, "count"), 100 * jnum(a, "share"));
  if (!h_has(t, row)) fail_msg("no row %s in:\n%s", row, t);
  free(t);
  /* the measure names keep their Cyrillic */
  snprintf(path, sizeof path, "%s/measures.csv", dir);
  t = slurp(path);
  assert_true(h_has(t, "Targeted social assistance (\xD0\x90\xD0\xA1\xD0\x9F)"));
  free(t);
  snprintf(path, sizeof path, "%s/group-region.csv", dir);
  assert_true(exists(path));
  /* two runs: the transitions as counted in SQL */
  const char *two[] = {"report", "--out", RES, "--run", "1", "--run", "2", "--csv", dir, "--force",
                       NULL};
  r = run_status(two, 0);
  h_result_free(&r);
  snprintf(path, sizeof path, "%s/transitions.csv", dir);
  t = slurp(path);
  long long ab = sql_count("SELECT count(*) FROM unit_scores x JOIN unit_scores y ON x.unit = y.unit"
                           " WHERE x.run_id = 1 AND y.run_id = 2 AND x.category = 'A'"
                           " AND y.category = 'B'");
  long long aa = sql_count("SELECT count(*) FROM unit_scores x JOIN unit_scores y ON x.unit = y.unit"
                           " WHERE x.run_id = 1 AND y.run_id = 2 AND x.category = 'A'"
                           " AND y.category = 'A'");
  snprintf(row, sizeof row, "\r\nA,%lld,%lld,", aa, ab);
  if (!h_has(t, row)) fail_msg("no row %s in:\n%s", row, t);
  free(t);
  /* who moves by region, by hand on the Tiny runs (test_who_moves_by_hand) */
  const char *tiny[] = {"report", "--out", tiny_runs(), "--run", "1", "--run", "2", "--csv", dir,
                        "--force", NULL};
  r = run_status(tiny, 0);
  h_result_free(&r);
  snprintf(path, sizeof path, "%s/moves-region.csv", dir);
  t = slurp(path);
  assert_string_equal(t, "\xEF\xBB\xBF" "region,Families,Better category,Worse category,"
                         "In B+C before,In B+C after,Change\r\n"
                         "Abai,4,3,0,4,3,-1\r\nTurkestan,4,1,0,3,2,-1\r\n");
  free(t);
  snprintf(path, sizeof path, "%s/measures-region-visit.csv", dir);
  t = slurp(path);
  assert_string_equal(t, "\xEF\xBB\xBF" "region,Gained,Lost,Net\r\nAbai,0,2,-2\r\n"
                         "Turkestan,0,0,0\r\n");
  free(t);
}

/* The record section names each file's recorded signature and the key it
** verified under, and the key the run was signed with. The key is made
** here; its fingerprint (SHA-256 of the DER public key, docs/audit.md) is
** computed by the openssl command line, not by afscore. */
static void test_signed_record(void **state) {
  (void)state;
  char dir[1100], key[1200], pub[1200], fpfile[1200], method[1200], out[1200];
  snprintf(dir, sizeof dir, "%s", h_path("report-signed"));
  snprintf(key, sizeof key, "%s/key.pem", dir);
  snprintf(pub, sizeof pub, "%s/pub.pem", dir);
  snprintf(fpfile, sizeof fpfile, "%s/pub.fp", dir);
  snprintf(method, sizeof method, "%s/kz_family_2023.lua", dir);
  snprintf(out, sizeof out, "%s/results.db", dir);
  assert_int_equal(h_sh("rm -rf '%s' && mkdir '%s' && cp '%s' '%s' '%s/' && "
                      "openssl genpkey -algorithm ed25519 -out '%s' 2>/dev/null && "
                      "openssl pkey -in '%s' -pubout -out '%s' && "
                      "openssl pkey -pubin -in '%s' -outform DER | sha256sum | cut -c1-64 > '%s'",
                      dir, dir, h_root("methodology/kz_family_2023.lua"),
                      h_root("methodology/kz_notices_2023.lua"), dir, key, key, pub, pub, fpfile),
                   0);
  char *fp = slurp(fpfile);
  assert_int_equal(strlen(fp), 65);
  fp[64] = '\0';
  /* the methodology signed with the openssl command line; its import not */
  assert_int_equal(h_sh("openssl pkeyutl -sign -rawin -inkey '%s' -in '%s' -out '%s.sig'", key,
                      method, method), 0);
  const char *sc1[] = {"score", "--db", DATA, "--method", method, "--out", out, "--trust", pub,
                       "--sign-with", key, NULL};
  h_result r = run_status(sc1, 0);
  h_result_free(&r);
  const char *sc2[] = {"score", "--db", DATA, "--method", method, "--out", out, NULL};
  r = run_status(sc2, 0);
  h_result_free(&r);
  char html[1200];
  snprintf(html, sizeof html, "%s/one.html", dir);
  const char *rep[] = {"report", "--out", out, "--run", "1", "--html", html, NULL};
  r = run_status(rep, 0);
  h_result_free(&r);
  char *page = slurp(html);
  char *c = cell(page, "record", method, 2);
  assert_string_equal(c, "signed");
  free(c);
  c = cell(page, "record", method, 3);
  assert_string_equal(c, fp);
  free(c);
  c = cell(page, "record", "kz_notices_2023", 2);
  assert_string_equal(c, "unsigned");
  free(c);
  c = cell(page, "record", "kz_notices_2023", 3);
  assert_string_equal(c, "\xE2\x80\x93");
  free(c);
  char run_signer[300];
  snprintf(run_signer, sizeof run_signer, "<dd class=\"hash\">%s</dd>", fp);
  assert_true(h_has(page, run_signer));
  free(page);
  /* run 2, scored without --trust: the signature recorded, its key not checked */
  const char *rep2[] = {"report", "--out", out, "--run", "2", "--html", html, "--force", NULL};
  r = run_status(rep2, 0);
  h_result_free(&r);
  page = slurp(html);
  c = cell(page, "record", method, 2);
  assert_string_equal(c, "signed; the key was not checked when the run was recorded");
  free(c);
  assert_false(h_has(page, fp));
  free(page);
  free(fp);
}

static void test_intervals_drawn_when_recorded(void **state) {
  (void)state;
  const char *html = h_path("report-ci.html");
  report(html, 1, 0, "en");
  char *plain = slurp(html);
  assert_false(h_has(plain, "stroke=\"#111\""));   /* no estimates, no whiskers */
  /* the page as written carries the same figures as the rendered one */
  assert_double_equal(card_number(plain, "H"), pct1(jnum(JSON_AF, "H")), 1e-9);
  assert_int_equal(cell_number(plain, "categories", "E", 2),
                   jnum(jfind(jdoc_get(JSON_AF, "categories"), "id", "E"), "count"));
  free(plain);
  /* A copy of the results with standard errors added to run 1's summary,
  ** as `score` records them when the methodology has a survey design. */
  const char *ci = h_path("report-ci.db");
  char sql[2000];
  unlink(ci);
  snprintf(sql, sizeof sql, "VACUUM INTO '%s'", ci);
  h_sql(RES, sql);
  h_sql(ci, "UPDATE runs SET summary_json = json_set(summary_json, '$.estimates', json('["
            "{\"measure\":\"H\",\"indicator\":null,\"group\":null,\"b\":0.09,\"se\":0.004,"
            "\"ll\":0.0812,\"ul\":0.0987},"
            "{\"measure\":\"H\",\"indicator\":null,\"group\":{\"column\":\"region\",\"value\":\"Abai\"},"
            "\"b\":0.08,\"se\":0.01,\"ll\":0.061,\"ul\":0.104}]')) WHERE id = 1");
  const char *args[] = {"report", "--out", ci, "--run", "1", "--html", html, "--force", NULL};
  h_result r = run_status(args, 0);
  h_result_free(&r);
  char *t = slurp(html);
  assert_true(h_has(t, "95%: 8.1% \xE2\x80\x93 9.9%"));
  assert_int_equal(count_of(t, "stroke=\"#111\""), 1);   /* Abai's H, the one group estimate */
  free(t);
}

/* ---- bad input: exit 1, a clear message, no file ---- */

static void expect_refused(const char *const *args, const char *msg, const char *out) {
  unlink(out);
  h_result r = h_run(args);
  if (r.status != 1 || !h_has(r.err, msg))
    fail_msg("status %d, stderr: %s (expected 1 and '%s')", r.status, r.err, msg);
  assert_false(exists(out));
  h_result_free(&r);
}

static void test_bad_input(void **state) {
  (void)state;
  const char *out = h_path("report-bad.html");
  const char *no_run[] = {"report", "--out", RES, "--run", "99", "--html", out, NULL};
  expect_refused(no_run, "no run 99 in", out);
  const char *second[] = {"report", "--out", RES, "--run", "1", "--run", "42", "--html", out, NULL};
  expect_refused(second, "no run 42 in", out);
  /* a results database whose only run was deleted, and an empty file */
  unlink(EMPTY_RES);
  const char *rec[] = {"score", "--db", DATA, "--method", h_root("methodology/kz_family_2023.lua"),
                       "--out", EMPTY_RES, NULL};
  h_result sr = run_status(rec, 0);
  h_result_free(&sr);
  h_sql(EMPTY_RES, "DELETE FROM unit_scores; DELETE FROM run_files; DELETE FROM runs;");
  const char *empty[] = {"report", "--out", EMPTY_RES, "--run", "1", "--html", out, NULL};
  expect_refused(empty, "holds no recorded runs", out);
  h_write(EMPTY_RES, "");
  expect_refused(empty, "is not an afscore results database (it is empty)", out);
  const char *missing[] = {"report", "--out", h_path("report-none.db"), "--run", "1",
                           "--html", out, NULL};
  expect_refused(missing, "no such results database", out);
  const char *notdb[] = {"report", "--out", h_root("README.md"), "--run", "1", "--html", out, NULL};
  expect_refused(notdb, "README.md", out);
}

static void test_different_populations(void **state) {
  (void)state;
  /* The same rules counting people instead of families. */
  const char *m = h_path("report_members.lua");
  h_write(m, "local m = import('kz_family_2023')\nm.population = 'members'\nreturn m\n");
  const char *res = h_path("report-pop.db");
  unlink(res);
  const char *s1[] = {"score", "--db", DATA, "--method", h_root("methodology/kz_family_2023.lua"),
                      "--out", res, NULL};
  const char *s2[] = {"score", "--db", DATA, "--method", m, "--out", res, NULL};
  h_result r = run_status(s1, 0);
  h_result_free(&r);
  r = run_status(s2, 0);
  h_result_free(&r);
  const char *out = h_path("report-pop.html");
  const char *args[] = {"report", "--out", res, "--run", "1", "--run", "2", "--html", out, NULL};
  expect_refused(args, "runs 1 and 2 are on different populations (one counts units, the other "
                       "members)", out);
}

/* This month against last: families recorded in one run only are counted
** apart (as SQL counts them), and the matrix holds the families of both. */
static void test_populations_that_differ_by_families(void **state) {
  (void)state;
  const char *later = h_path("report-later.db"), *res = h_path("report-months.db");
  unlink(later);
  unlink(res);
  const char *gen[] = {"generate", "--families", "3200", "--seed", "8", "--out", later, NULL};
  h_result r = run_status(gen, 0);
  h_result_free(&r);
  const char *m = h_root("methodology/kz_family_2023.lua");
  const char *s1[] = {"score", "--db", DATA, "--method", m, "--out", res, NULL};
  const char *s2[] = {"score", "--db", later, "--method", m, "--out", res, NULL};
  r = run_status(s1, 0);
  h_result_free(&r);
  r = run_status(s2, 0);
  h_result_free(&r);
  const char *html = h_path("report-months.html");
  const char *args[] = {"report", "--out", res, "--run", "1", "--run", "2", "--html", html,
                        "--force", NULL};
  r = run_status(args, 0);
  h_result_free(&r);
  PAGE_COMMA = 0;
  char *t = slurp(html);
  const char *only = "SELECT count(*) FROM unit_scores x WHERE x.run_id = %d AND NOT EXISTS "
                     "(SELECT 1 FROM unit_scores y WHERE y.run_id = %d AND y.unit = x.unit)";
  char sql[400];
  snprintf(sql, sizeof sql, only, 1, 2);
  double only_before = h_sql_double(res, sql);
  snprintf(sql, sizeof sql, only, 2, 1);
  double only_after = h_sql_double(res, sql);
  assert_true(only_after >= 200);   /* at least the 200 families more */
  assert_int_equal(card_number(t, "only-before"), only_before);
  assert_int_equal(card_number(t, "only-after"), only_after);
  double aa = h_sql_double(res, "SELECT count(*) FROM unit_scores x JOIN unit_scores y ON "
                                "x.unit = y.unit WHERE x.run_id = 1 AND y.run_id = 2 AND "
                                "x.category = 'A' AND y.category = 'A'");
  assert_int_equal(cell_number(t, "transitions", "A", 1), aa);
  free(t);
}

static void test_no_overwrite_without_force(void **state) {
  (void)state;
  const char *out = h_path("report-keep.html");
  h_write(out, "keep me");
  const char *args[] = {"report", "--out", RES, "--run", "1", "--html", out, NULL};
  h_result r = h_run(args);
  assert_int_equal(r.status, 1);
  assert_true(h_has(r.err, "exists: use --force to replace it"));
  h_result_free(&r);
  char *t = slurp(out);
  assert_string_equal(t, "keep me");
  free(t);
  const char *forced[] = {"report", "--out", RES, "--run", "1", "--html", out, "--force", NULL};
  r = run_status(forced, 0);
  h_result_free(&r);
  t = slurp(out);
  assert_memory_equal(t, "<!DOCTYPE html>", 15);
  free(t);
  /* no temporary file is left beside it */
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "ls '%s'.tmp* >/dev/null 2>&1", out);
  assert_int_not_equal(system(cmd), 0);
}

static void test_usage(void **state) {
  (void)state;
  const char *lang[] = {"report", "--out", RES, "--run", "1", "--html", "x.html", "--lang", "de",
                        NULL};
  h_result r = h_run(lang);
  assert_int_equal(r.status, 2);
  assert_true(h_has(r.err, "--lang must be ru, kk or en"));
  h_result_free(&r);
  const char *three[] = {"report", "--out", RES, "--run", "1", "--run", "2", "--run", "3",
                         "--html", "x.html", NULL};
  r = h_run(three);
  assert_int_equal(r.status, 2);
  h_result_free(&r);
  assert_false(exists("x.html"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
#if REP_BROWSER
      cmocka_unit_test(test_browser_control),
      cmocka_unit_test(test_one_run_in_browser),
      cmocka_unit_test(test_points_run_in_russian),
      cmocka_unit_test(test_two_runs_in_browser),
      cmocka_unit_test(test_who_moves_by_hand),
      cmocka_unit_test(test_screenshots),
#endif
      cmocka_unit_test(test_self_contained),
      cmocka_unit_test(test_csv),
      cmocka_unit_test(test_signed_record),
      cmocka_unit_test(test_intervals_drawn_when_recorded),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_different_populations),
      cmocka_unit_test(test_populations_that_differ_by_families),
      cmocka_unit_test(test_no_overwrite_without_force),
      cmocka_unit_test(test_usage),
  };
  return cmocka_run_group_tests_name("e2e_report", tests, setup, teardown);
}
