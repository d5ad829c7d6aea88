/*
** gen.c: a synthetic Kazakhstan population in SQLite (see gen.h, docs/data.md).
**
** Every family is generated from its own random stream, keyed by (seed, family
** number), and every member from a stream keyed by (seed, family number,
** member index). Data therefore do not depend on the order in which families
** or members are written, which lets us store the same rows in three layouts
** (gen.h): key order, registry order, persons shuffled.
**
** A latent "hardship" factor per family (normal, shifted by region and
** settlement) drives most deprivations at once: employment, wages, debt,
** disability, clinic attachment, housing, cars, fuel, school attendance...
** so that deprivations are correlated as in real data.
*/
#include "gen.h"

#include <assert.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

/* ---- random numbers: splitmix64 to seed xoshiro256** ---- */

typedef struct rng {
  uint64_t s[4];
} rng;

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Independent stream for the key (a, b, c); distinct keys give unrelated streams. */
static void rng_seed(rng *r, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t x = a;
  uint64_t y = splitmix(&x) ^ b;
  y = splitmix(&y) ^ c;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix(&y);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

/* Uniform in [0, 1). */
static double unif(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

static int bern(rng *r, double p) { return unif(r) < p; }

/* Uniform integer in [lo, hi]. */
static int irange(rng *r, int lo, int hi) {
  return lo + (int)(unif(r) * (double)(hi - lo + 1));
}

/* Standard normal (Box-Muller, one value per call: simple, fast enough). */
static double norm(rng *r) {
  double u1 = 1.0 - unif(r), u2 = unif(r);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Log-normal with the given median and log-sd. */
static double lognorm(rng *r, double median, double sigma) {
  return median * exp(sigma * norm(r));
}

static double clamp01(double p) { return p < 0 ? 0 : p > 1 ? 1 : p; }

/* ---- the hashed family code ---- */

/* A keyed 64-bit permutation (two rounds of the splitmix64 finaliser with key
** whitening). Being a bijection, codes of distinct families never collide, so
** the PRIMARY KEY cannot fail; it is not meant to be cryptographic. */
static uint64_t family_code(uint64_t num, uint64_t k1, uint64_t k2) {
  uint64_t x = num ^ k1;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  x ^= k2;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static void code_hex(uint64_t code, char out[17]) {
  static const char hx[] = "0123456789abcdef";
  for (int i = 15; i >= 0; i--) {
    out[i] = hx[code & 15];
    code >>= 4;
  }
  out[16] = '\0';
}

/* ---- regions ---- */

typedef struct region {
  const char *name;
  int pop;          /* thousands of people, 1 Jan 2026 (partly estimated) */
  double urban;     /* share of urban families */
  double wage;      /* wage level relative to the national median */
  double hard;      /* shift of the latent hardship factor */
} region;

/* Populations of Almaty, Turkestan, Astana, Almaty Region, Shymkent, Zhambyl,
** Karaganda and Ulytau are from the reference file; the other oblasts are
** estimates chosen so that the total is 20,496 thousand. Urban shares are
** plausible values chosen so that the national share is 63.6%. */
static const region REGIONS[] = {
  {"Abai", 600, 0.63, 0.90, 0.10},
  {"Akmola", 780, 0.52, 0.90, 0.05},
  {"Aktobe", 930, 0.67, 0.95, 0.00},
  {"Almaty Region", 1600, 0.33, 0.85, 0.15},
  {"Atyrau", 710, 0.58, 1.35, -0.15},
  {"East Kazakhstan", 730, 0.68, 0.95, 0.00},
  {"Zhambyl", 1220, 0.45, 0.80, 0.30},
  {"Zhetysu", 700, 0.47, 0.80, 0.20},
  {"West Kazakhstan", 690, 0.56, 0.95, 0.05},
  {"Karaganda", 1130, 0.82, 1.00, -0.05},
  {"Kostanay", 830, 0.57, 0.90, 0.00},
  {"Kyzylorda", 840, 0.48, 0.85, 0.25},
  {"Mangystau", 806, 0.45, 1.25, 0.15},
  {"Pavlodar", 750, 0.72, 1.00, -0.05},
  {"North Kazakhstan", 530, 0.48, 0.85, 0.05},
  {"Turkestan", 2150, 0.24, 0.75, 0.40},
  {"Ulytau", 220, 0.78, 1.05, 0.00},
  {"Astana", 1640, 1.00, 1.45, -0.35},
  {"Almaty", 2350, 1.00, 1.40, -0.30},
  {"Shymkent", 1290, 1.00, 0.90, 0.10},
};
#define NREGIONS ((int)(sizeof REGIONS / sizeof REGIONS[0]))
#define FIRST_CITY 17 /* Astana, Almaty, Shymkent: cities of republican significance */

static const char *const SETTLEMENTS[] = {
  "republic_city", "oblast_city", "district_town", "district_centre", "village",
  "not_registered"};
enum { SET_REPUBLIC, SET_OBLAST, SET_DTOWN, SET_DCENTRE, SET_VILLAGE, SET_NOTREG };

/* Family size distribution 1..12 (mean about 3.2 once rural families get
** their extra member, see gen_core). */
static const double SIZE_P[12] = {0.22,  0.215, 0.18,  0.17,   0.12,  0.05,
                                  0.025, 0.01,  0.005, 0.0025, 0.0015, 0.001};

static const char *const FUELS[] = {"gas", "electricity", "coal", "wood", "dung"};
static const char *const MATERIALS[] = {"finished", "rudimentary", "natural"};
static const char *const EDU[] = {"none",       "primary",    "basic",
                                  "secondary", "vocational", "higher"};
enum { EDU_NONE, EDU_PRIMARY, EDU_BASIC, EDU_SECONDARY, EDU_VOCATIONAL, EDU_HIGHER };

#define MAXMEM 12
#define NUL (-1) /* "store NULL" for integer and real columns (no column is negative) */

/* ---- one family ---- */

typedef struct family {
  uint64_t num;            /* family number, 1-based */
  char id[17];             /* hex of the hashed code */
  rng r;                   /* the family stream, continued by gen_family_cols */
  int region, urban, settlement;
  double hard;             /* latent hardship, higher = worse off */
  int size, no_members;
  int age[MAXMEM];
  char sex[MAXMEM];
  /* family columns */
  double sample_weight, living_area, water_minutes;
  int dwellings, commercial_property, cars, commercial_vehicle, agri_machinery;
  int64_t farm_value;
  int land_plot, fuel, toilet_improved, toilet_shared, water_improved, electricity;
  int floor, roof, wall;
  int radio, tv, phone, computer, fridge, bicycle, motorbike, cart, child_deaths;
} family;

typedef struct person {
  int age;
  const char *sex;
  int64_t income;
  int employed, able_bodied, sole_trader, founder, student, has_loan;
  int overdue_days;
  int64_t overdue_amount;
  int disability_group, disabled_child, clinic_attached, health_insured;
  int chronic_disease, dispensary, kindergarten, school, schooling_years, edu;
  int undernourished;
} person;

typedef struct genctx {
  const gen_opts *o;
  uint64_t k1, k2;         /* keys of the family code */
  double region_cdf[NREGIONS];
  sqlite3 *db;
  sqlite3_stmt *fam_ins, *per_ins;
} genctx;

static int pick_cdf(const double *cdf, int n, double u) {
  for (int i = 0; i < n - 1; i++)
    if (u < cdf[i]) return i;
  return n - 1;
}

static int pick_p(const double *p, int n, double u) {
  for (int i = 0; i < n - 1; i++) {
    if (u < p[i]) return i;
    u -= p[i];
  }
  return n - 1;
}

/* Ages and sexes of the members: a head, usually a spouse, children (or, for
** older heads, adult children and grandchildren) and sometimes a parent. */
static void gen_composition(family *f) {
  rng *r = &f->r;
  int n = f->size;
  if (n == 1) {
    double u = unif(r);
    f->age[0] = u < 0.25 ? irange(r, 18, 35) : u < 0.55 ? irange(r, 36, 60) : irange(r, 61, 90);
    f->sex[0] = bern(r, f->age[0] > 60 ? 0.7 : 0.45) ? 'F' : 'M';
    return;
  }
  int head = 22 + (int)(24.0 * (unif(r) + unif(r)));
  int m = 0;
  f->age[m] = head;
  f->sex[m++] = bern(r, 0.75) ? 'M' : 'F';
  if (bern(r, n == 2 ? 0.75 : 0.88)) {
    int a = head - 2 + (int)lrint(4.0 * norm(r));
    f->age[m] = a < 18 ? 18 : a;
    f->sex[m++] = f->sex[0] == 'M' ? 'F' : 'M';
  }
  if (m < n && head < 50 && bern(r, 0.12)) {
    int a = head + irange(r, 22, 32);
    f->age[m] = a > 95 ? 95 : a;
    f->sex[m++] = bern(r, 0.65) ? 'F' : 'M';
  }
  while (m < n) {
    int lo = head - 45 < 0 ? 0 : head - 45, hi = head - 20;
    int a = irange(r, lo, hi);
    if (a > 30 && bern(r, 0.6)) a = irange(r, 0, 14); /* a grandchild */
    f->age[m] = a;
    f->sex[m++] = bern(r, 0.5) ? 'F' : 'M';
  }
}

/* Region, settlement, hardship, size and composition: all a member needs. */
static void gen_core(genctx *g, family *f, uint64_t num) {
  memset(f, 0, sizeof *f);
  f->num = num;
  code_hex(family_code(num, g->k1, g->k2), f->id);
  rng_seed(&f->r, g->o->seed, num, 0);
  rng *r = &f->r;
  f->region = pick_cdf(g->region_cdf, NREGIONS, unif(r));
  const region *rg = &REGIONS[f->region];
  f->urban = bern(r, rg->urban);
  double u = unif(r);
  if (u < 0.005) f->settlement = SET_NOTREG;
  else if (f->region >= FIRST_CITY) f->settlement = SET_REPUBLIC;
  else if (f->urban) f->settlement = bern(r, 0.7) ? SET_OBLAST : SET_DTOWN;
  else f->settlement = bern(r, 0.3) ? SET_DCENTRE : SET_VILLAGE;
  f->hard = norm(r) + rg->hard + (f->urban ? 0.0 : 0.3) + (f->settlement == SET_NOTREG ? 0.8 : 0.0);
  f->size = 1 + pick_p(SIZE_P, 12, unif(r));
  if (!f->urban && f->size < MAXMEM && bern(r, 0.2)) f->size++;
  assert(f->size >= 1 && f->size <= MAXMEM);   /* age[] and sex[] hold them */
  f->no_members = bern(r, 0.003);
  gen_composition(f);
}

/* Housing, commercial property, farm and land (the family stream continues). */
static void gen_housing(family *f) {
  rng *r = &f->r;
  double h = f->hard;
  int urban = f->urban;
  double u = unif(r);
  /* Families without own housing mostly rent or live with relatives: weakly
  ** tied to hardship, since the order's -200 would otherwise dominate D/E. */
  if (bern(r, clamp01(0.04 * exp(0.15 * h) * (urban ? 1.3 : 0.7)))) f->dwellings = 0;
  else if (u < 0.0004) f->dwellings = irange(r, 12, 20);
  else if (u < 0.0025 * exp(-0.5 * h)) f->dwellings = irange(r, 7, 11);
  else if (u < 0.015 * exp(-0.7 * h)) f->dwellings = irange(r, 4, 6);
  else if (u < 0.10 * exp(-0.5 * h)) f->dwellings = irange(r, 2, 3);
  else f->dwellings = 1;
  double per = lognorm(r, 22.0 * exp(-0.12 * h) * (urban ? 1.0 : 1.1), 0.3);
  f->living_area = round((f->size * per + 8.0) * 10.0) / 10.0;
  if (bern(r, 0.005)) f->living_area = NUL;
  f->commercial_property = bern(r, 0.035 * exp(-0.6 * h));
  f->farm_value = bern(r, urban ? 0.04 : 0.55) ? (int64_t)lrint(lognorm(r, 700.0, 0.9)) * 1000 : 0;
  f->land_plot = bern(r, urban ? 0.12 : 0.62);
}

/* Cars, commercial vehicle, agricultural machinery. */
static void gen_vehicles(family *f) {
  rng *r = &f->r;
  double h = f->hard;
  int urban = f->urban;
  if (bern(r, clamp01(0.33 * exp(0.35 * h)))) f->cars = 0;
  else {
    double u = unif(r);
    f->cars = u < 0.80 ? 1 : u < 0.96 ? 2 : irange(r, 3, 5);
  }
  if (bern(r, 0.005)) f->cars = NUL;
  f->commercial_vehicle = bern(r, (urban ? 0.025 : 0.045) * exp(-0.3 * h));
  double u = unif(r);
  f->agri_machinery = urban ? (u < 0.001 ? 2 : u < 0.006 ? 1 : 0)
                            : (u < 0.025 ? irange(r, 2, 4) : u < 0.085 ? 1 : 0);
}

/* The living standards of the global MPI: fuel, sanitation, water,
** electricity, building materials, assets; and child mortality. */
static void gen_living_standards(family *f) {
  rng *r = &f->r;
  double h = f->hard, eh = exp(0.5 * h);
  int urban = f->urban;
  double u = unif(r) * exp(-0.3 * h);
  if (urban) f->fuel = u < 0.03 ? 2 : u < 0.21 ? 1 : 0;
  else f->fuel = u < 0.015 ? 4 : u < 0.09 ? 3 : u < 0.34 ? 2 : u < 0.44 ? 1 : 0;
  f->toilet_improved = !bern(r, clamp01((urban ? 0.01 : 0.06) * eh));
  f->toilet_shared = bern(r, (urban ? 0.02 : 0.01) * eh);
  f->water_improved = !bern(r, clamp01((urban ? 0.005 : 0.04) * eh));
  f->water_minutes = (urban ? bern(r, 0.9) : bern(r, 0.55)) ? 0 : round(lognorm(r, 10.0 * eh, 0.6));
  f->electricity = !bern(r, urban ? 0.0005 : 0.002);
  double pn = clamp01((urban ? 0.001 : 0.01) * exp(h));
  f->floor = bern(r, pn) ? 2 : bern(r, pn) ? 1 : 0;
  f->roof = bern(r, pn / 2) ? 2 : bern(r, pn) ? 1 : 0;
  f->wall = bern(r, pn) ? 2 : bern(r, pn / 2) ? 1 : 0;
  f->radio = bern(r, 0.15);
  f->tv = bern(r, clamp01(0.97 * (h > 2 ? 0.6 : 1.0)));
  f->phone = bern(r, h > 2.5 ? 0.7 : 0.995);
  f->computer = bern(r, clamp01((urban ? 0.55 : 0.35) * exp(-0.4 * h)));
  f->fridge = bern(r, h > 2 ? 0.7 : 0.97);
  f->bicycle = bern(r, 0.25);
  f->motorbike = bern(r, urban ? 0.01 : 0.03);
  f->cart = bern(r, urban ? 0.002 : 0.02);
  int kids = 0;
  for (int i = 0; i < f->size; i++) kids += f->age[i] < 18;
  f->child_deaths = kids && bern(r, clamp01(0.003 * exp(0.5 * h)));
}

/* Every other family column, continuing the family stream. */
static void gen_family_cols(family *f) {
  rng *r = &f->r;
  f->sample_weight = bern(r, 0.85) ? 1.0 : round(50.0 + 150.0 * unif(r)) / 100.0;
  gen_housing(f);
  gen_vehicles(f);
  gen_living_standards(f);
}

static int edu_of_years(int y, rng *r) {
  if (y < 4) return EDU_NONE;
  if (y < 9) return EDU_PRIMARY;
  if (y < 11) return EDU_BASIC;
  if (y == 11) return EDU_SECONDARY;
  if (y <= 13) return EDU_VOCATIONAL;
  return bern(r, 0.1) ? EDU_VOCATIONAL : EDU_HIGHER;
}

/* Years of schooling of an adult, lower with hardship and for the very old. */
static int adult_schooling(rng *r, int age, double h) {
  double low = clamp01(0.002 * exp(1.2 * h) + (age >= 80 ? 0.03 : 0.0));
  double u = unif(r);
  if (u < low) return irange(r, 0, 5);
  u = unif(r) * exp(0.3 * h);
  if (u < 0.28) return irange(r, 15, 17);         /* higher */
  if (u < 0.63) return irange(r, 12, 13);         /* vocational */
  if (u < 0.95) return 11;                        /* general secondary */
  return 9;                                       /* basic */
}

static void gen_health(person *p, rng *r, const family *f, int adult) {
  double h = f->hard;
  int age = p->age;
  if (adult) {
    double pd = clamp01((0.015 + (age >= 50 ? 0.04 : 0.0)) * exp(0.4 * h));
    if (bern(r, pd)) {
      double u = unif(r);
      p->disability_group = u < 0.08 ? 1 : u < 0.4 ? 2 : 3;
    }
  } else {
    p->disabled_child = bern(r, clamp01(0.012 * exp(0.3 * h)));
  }
  p->clinic_attached = !bern(r, clamp01(0.012 * exp(0.6 * h) +
                                        (f->settlement == SET_NOTREG ? 0.3 : 0.0)));
  if (bern(r, 0.005)) p->clinic_attached = NUL;
  double pc = 0.015 + 0.003 * (age > 30 ? age - 30 : 0);
  p->chronic_disease = bern(r, clamp01(pc * exp(0.2 * h)));
  p->dispensary = adult && bern(r, clamp01(0.003 * exp(0.6 * h)));
  p->undernourished = bern(r, clamp01(0.003 * exp(0.9 * h)));
  if (bern(r, 0.005)) p->undernourished = NUL;
}

/* School, kindergarten, student status and schooling (children and adults). */
static void gen_education(person *p, rng *r, const family *f) {
  double h = f->hard;
  int age = p->age;
  if (age >= 1 && age <= 6) {
    double pk = age <= 2 ? 0.35 : (f->urban ? 0.95 : 0.9);
    p->kindergarten = bern(r, clamp01(pk * exp(-0.08 * (h > 0 ? h * h : 0))));
  }
  if (age >= 6 && age <= 17) p->school = !bern(r, clamp01(0.003 * exp(0.9 * h)));
  if (age >= 16 && age <= 22) p->student = bern(r, age >= 18 ? 0.45 * exp(-0.2 * h) : 0.25);
  if (age >= 18) p->schooling_years = adult_schooling(r, age, h);
  else if (age >= 7) p->schooling_years = age - 7 - (p->school ? 0 : irange(r, 1, 4));
  if (p->schooling_years < 0) p->schooling_years = 0;
  if (p->schooling_years > 11 && age < 18) p->schooling_years = 11;
  p->edu = edu_of_years(p->schooling_years, r);
  if (age >= 18 && bern(r, 0.005)) p->schooling_years = NUL;
}

/* Employment, entrepreneurship, credit and income. */
static void gen_economy(person *p, rng *r, const family *f) {
  double h = f->hard;
  int age = p->age, female = p->sex[0] == 'F';
  int retire = female ? 61 : 63;
  int severe = p->disability_group == 1 || p->disability_group == 2;
  p->able_bodied = age >= 16 && age < retire && !severe;
  double pe = 0.0;
  if (p->able_bodied) {
    double base = age < 25 ? -0.2 : age >= 55 ? 0.8 : female ? 1.3 : 1.9;
    if (p->student) base -= 1.5;
    if (f->size == 1) base += 0.7; /* a single adult lives on own earnings */
    pe = 1.0 / (1.0 + exp(-(base - 0.35 * h)));
  } else if (age >= retire && age < 75) {
    pe = 0.12;
  }
  p->employed = bern(r, pe);
  p->sole_trader = p->employed && bern(r, clamp01(0.14 * exp(-0.3 * h)));
  p->founder = p->employed && bern(r, clamp01(0.04 * exp(-0.5 * h)));
  if (age >= 18) {
    p->has_loan = bern(r, age < 65 ? 0.38 : 0.15);
    if (p->has_loan && bern(r, clamp01(0.03 * exp(0.6 * h)))) {
      p->overdue_days = irange(r, 91, 720);
      p->overdue_amount = (int64_t)lrint(lognorm(r, 300000.0, 1.0));
    } else if (p->has_loan && bern(r, 0.04)) {
      p->overdue_days = irange(r, 5, 90);
      p->overdue_amount = (int64_t)lrint(lognorm(r, 60000.0, 1.0));
    }
  }
  double inc = 0.0;
  if (p->employed) {
    double med = 300000.0 * REGIONS[f->region].wage * (f->urban ? 1.0 : 0.75) *
                 exp(-0.25 * h) * (female ? 0.8 : 1.0);
    inc += lognorm(r, med, 0.55);
  } else if (p->able_bodied && age >= 18 && bern(r, 0.5)) {
    inc += lognorm(r, 40000.0, 0.5); /* benefits, informal work */
  }
  if (age >= retire) inc += lognorm(r, 140000.0, 0.2);
  if (p->disability_group) inc += p->disability_group == 3 ? 45000.0 : 85000.0;
  if (p->disabled_child) inc += 70000.0;
  if (p->student && age >= 18 && bern(r, 0.5)) inc += 45000.0;
  p->income = (int64_t)lrint(inc);
  if (bern(r, 0.005)) p->income = NUL;
  /* Compulsory health insurance: the state pays for children, pensioners,
  ** disabled people and students; gaps are among working-age people. */
  double pu = 0.0;
  if (age >= 18 && age < retire && !p->disability_group && !p->student)
    pu = p->employed ? 0.05 * exp(0.5 * h) : 0.40 * exp(0.3 * h);
  p->health_insured = !bern(r, clamp01(pu));
}

/* Member j of family f, from its own stream. */
static void gen_member(const genctx *g, const family *f, int j, person *p) {
  rng r;
  rng_seed(&r, g->o->seed, f->num, (uint64_t)j + 1);
  memset(p, 0, sizeof *p);
  p->age = f->age[j];
  p->sex = f->sex[j] == 'F' ? "F" : "M";
  gen_health(p, &r, f, p->age >= 18);
  gen_education(p, &r, f);
  gen_economy(p, &r, f);
}

/* ---- SQLite ---- */

/* Column lists: the order here is the order of binding in bind_family and
** bind_person; gen_population checks the parameter count. */
static const char FAMILY_DDL[] =
    "CREATE TABLE families (\n"
    "  family_id TEXT PRIMARY KEY, region TEXT NOT NULL, urban INTEGER NOT NULL,\n"
    "  settlement TEXT NOT NULL, sample_weight REAL NOT NULL,\n"
    "  dwellings INTEGER NOT NULL, living_area REAL, commercial_property INTEGER NOT NULL,\n"
    "  farm_value INTEGER NOT NULL, land_plot INTEGER NOT NULL,\n"
    "  cars INTEGER, commercial_vehicle INTEGER NOT NULL, agri_machinery INTEGER NOT NULL,\n"
    "  cooking_fuel TEXT NOT NULL, toilet_improved INTEGER NOT NULL,\n"
    "  toilet_shared INTEGER NOT NULL, water_improved INTEGER NOT NULL,\n"
    "  water_minutes INTEGER NOT NULL, electricity INTEGER NOT NULL,\n"
    "  floor_material TEXT NOT NULL, roof_material TEXT NOT NULL, wall_material TEXT NOT NULL,\n"
    "  has_radio INTEGER NOT NULL, has_tv INTEGER NOT NULL, has_phone INTEGER NOT NULL,\n"
    "  has_computer INTEGER NOT NULL, has_fridge INTEGER NOT NULL,\n"
    "  has_bicycle INTEGER NOT NULL, has_motorbike INTEGER NOT NULL,\n"
    "  has_cart INTEGER NOT NULL, child_deaths_5y INTEGER NOT NULL)";
static const char FAMILY_INS[] =
    "INSERT INTO families VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static const char PERSON_DDL[] =
    "CREATE TABLE persons (\n"
    "  person_id INTEGER NOT NULL, family_id TEXT NOT NULL, age INTEGER NOT NULL,\n"
    "  sex TEXT NOT NULL, income INTEGER, employed INTEGER NOT NULL,\n"
    "  able_bodied INTEGER NOT NULL, sole_trader INTEGER NOT NULL, founder INTEGER NOT NULL,\n"
    "  student INTEGER NOT NULL, has_loan INTEGER NOT NULL, overdue_days INTEGER NOT NULL,\n"
    "  overdue_amount INTEGER NOT NULL, disability_group INTEGER NOT NULL,\n"
    "  disabled_child INTEGER NOT NULL, clinic_attached INTEGER,\n"
    "  health_insured INTEGER NOT NULL, chronic_disease INTEGER NOT NULL,\n"
    "  dispensary INTEGER NOT NULL, kindergarten INTEGER NOT NULL, school INTEGER NOT NULL,\n"
    "  schooling_years INTEGER, edu_level TEXT NOT NULL, undernourished INTEGER)";
static const char PERSON_INS[] =
    "INSERT INTO persons VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

typedef struct binder {
  sqlite3_stmt *st;
  int i;
} binder;

static void b_int(binder *b, int64_t v) {
  ++b->i;
  if (v < 0) sqlite3_bind_null(b->st, b->i);
  else sqlite3_bind_int64(b->st, b->i, v);
}

static void b_real(binder *b, double v) {
  ++b->i;
  if (v < 0) sqlite3_bind_null(b->st, b->i);
  else sqlite3_bind_double(b->st, b->i, v);
}

/* Text bound SQLITE_STATIC: the strings outlive the sqlite3_step that uses them. */
static void b_text(binder *b, const char *s) {
  sqlite3_bind_text(b->st, ++b->i, s, -1, SQLITE_STATIC);
}

static int bind_family(sqlite3_stmt *st, const family *f) {
  binder b = {st, 0};
  b_text(&b, f->id);
  b_text(&b, REGIONS[f->region].name);
  b_int(&b, f->urban);
  b_text(&b, SETTLEMENTS[f->settlement]);
  b_real(&b, f->sample_weight);
  b_int(&b, f->dwellings);
  b_real(&b, f->living_area);
  b_int(&b, f->commercial_property);
  b_int(&b, f->farm_value);
  b_int(&b, f->land_plot);
  b_int(&b, f->cars);
  b_int(&b, f->commercial_vehicle);
  b_int(&b, f->agri_machinery);
  b_text(&b, FUELS[f->fuel]);
  b_int(&b, f->toilet_improved);
  b_int(&b, f->toilet_shared);
  b_int(&b, f->water_improved);
  b_int(&b, (int64_t)f->water_minutes);
  b_int(&b, f->electricity);
  b_text(&b, MATERIALS[f->floor]);
  b_text(&b, MATERIALS[f->roof]);
  b_text(&b, MATERIALS[f->wall]);
  b_int(&b, f->radio);
  b_int(&b, f->tv);
  b_int(&b, f->phone);
  b_int(&b, f->computer);
  b_int(&b, f->fridge);
  b_int(&b, f->bicycle);
  b_int(&b, f->motorbike);
  b_int(&b, f->cart);
  b_int(&b, f->child_deaths);
  return b.i;
}

static int bind_person(sqlite3_stmt *st, const family *f, const person *p, int64_t id) {
  binder b = {st, 0};
  b_int(&b, id);
  b_text(&b, f->id);
  b_int(&b, p->age);
  b_text(&b, p->sex);
  b_int(&b, p->income);
  b_int(&b, p->employed);
  b_int(&b, p->able_bodied);
  b_int(&b, p->sole_trader);
  b_int(&b, p->founder);
  b_int(&b, p->student);
  b_int(&b, p->has_loan);
  b_int(&b, p->overdue_days);
  b_int(&b, p->overdue_amount);
  b_int(&b, p->disability_group);
  b_int(&b, p->disabled_child);
  b_int(&b, p->clinic_attached);
  b_int(&b, p->health_insured);
  b_int(&b, p->chronic_disease);
  b_int(&b, p->dispensary);
  b_int(&b, p->kindergarten);
  b_int(&b, p->school);
  b_int(&b, p->schooling_years);
  b_text(&b, EDU[p->edu]);
  b_int(&b, p->undernourished);
  return b.i;
}

static int db_fail(genctx *g, af_err *e, const char *what) {
  return af_fail(e, "generate: %s: %s", what, sqlite3_errmsg(g->db));
}

static int exec(genctx *g, const char *sql, af_err *e) {
  char *msg = NULL;
  if (sqlite3_exec(g->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
  af_fail(e, "generate: %s", msg ? msg : sqlite3_errmsg(g->db));
  sqlite3_free(msg);
  return -1;
}

static int step(genctx *g, sqlite3_stmt *st, af_err *e) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return db_fail(g, e, "insert");
  return 0;
}

static int insert_family(genctx *g, const family *f, af_err *e) {
  bind_family(g->fam_ins, f);
  return step(g, g->fam_ins, e);
}

static int insert_person(genctx *g, const family *f, const person *p, int64_t id, af_err *e) {
  bind_person(g->per_ins, f, p, id);
  return step(g, g->per_ins, e);
}

static int nmembers(const family *f) { return f->no_members ? 0 : f->size; }

/* ---- the generation passes ---- */

typedef struct keyed {
  uint64_t code, num;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
  uint64_t x = ((const keyed *)a)->code, y = ((const keyed *)b)->code;
  return x < y ? -1 : x > y;
}

/* Family numbers 1..n sorted by their code, so that rows go in key order. */
static uint64_t *sorted_numbers(const genctx *g, int64_t n) {
  keyed *k = af_malloc((size_t)n * sizeof *k);
  for (int64_t i = 0; i < n; i++) {
    k[i].num = (uint64_t)i + 1;
    k[i].code = family_code(k[i].num, g->k1, g->k2);
  }
  qsort(k, (size_t)n, sizeof *k, cmp_keyed);
  uint64_t *nums = af_malloc((size_t)(n ? n : 1) * sizeof *nums);
  for (int64_t i = 0; i < n; i++) nums[i] = k[i].num;
  free(k);
  return nums;
}

/* first[i]: the person_id before the first member of the family at key
** position i (nums[i]), so that person ids do not depend on the layout. */
static int64_t *person_bases(genctx *g, const uint64_t *nums, int64_t n) {
  int64_t *first = af_malloc((size_t)(n + 1) * sizeof *first);
  family f;
  first[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    gen_core(g, &f, nums[i]);
    first[i + 1] = first[i] + nmembers(&f);
  }
  return first;
}

/* One family and, right after it, its members, numbered from base + 1.
** Returns the number of members, or -1. */
static int write_family(genctx *g, uint64_t num, int64_t base, af_err *e) {
  family f;
  person p;
  gen_core(g, &f, num);
  gen_family_cols(&f);
  if (insert_family(g, &f, e)) return -1;
  for (int j = 0; j < nmembers(&f); j++) {
    gen_member(g, &f, j, &p);
    if (insert_person(g, &f, &p, base + j + 1, e)) return -1;
  }
  return nmembers(&f);
}

/* Key layout: families in key order, persons in family order. */
static int write_key(genctx *g, const uint64_t *nums, int64_t n, af_err *e) {
  int64_t next = 0;
  for (int64_t i = 0; i < n; i++) {
    int m = write_family(g, nums[i], next, e);
    if (m < 0) return -1;
    next += m;
  }
  return 0;
}

/* Registry layout: family number 1, 2, ... (registration order) with the
** person ids the key layout gives them. */
static int write_registry(genctx *g, const uint64_t *nums, int64_t n, af_err *e) {
  int64_t *first = person_bases(g, nums, n);
  int64_t *base = af_malloc((size_t)(n ? n : 1) * sizeof *base);
  for (int64_t i = 0; i < n; i++) base[nums[i] - 1] = first[i];
  int rc = 0;
  for (int64_t num = 1; num <= n && rc >= 0; num++)
    rc = write_family(g, (uint64_t)num, base[num - 1], e);
  free(base);
  free(first);
  return rc < 0 ? -1 : 0;
}

/* Shuffled layout: families first; then persons in a uniformly random order.
** person_id is the one the key layout gives, so every layout holds the same
** rows. A person slot is packed as (family position << 4 | member index). */
static int write_shuffled(genctx *g, const uint64_t *nums, int64_t n, af_err *e) {
  family f;
  person p;
  int64_t *first = person_bases(g, nums, n);
  for (int64_t i = 0; i < n; i++) {
    gen_core(g, &f, nums[i]);
    gen_family_cols(&f);
    if (insert_family(g, &f, e)) { free(first); return -1; }
  }
  int64_t np = first[n];
  uint64_t *slot = af_malloc((size_t)(np ? np : 1) * sizeof *slot);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < first[i + 1] - first[i]; j++)
      slot[first[i] + j] = (uint64_t)i << 4 | (uint64_t)j;
  rng r;
  rng_seed(&r, g->o->seed, 0, 0x5348554646ULL); /* family numbers start at 1 */
  for (int64_t i = np - 1; i > 0; i--) {
    int64_t j = (int64_t)(unif(&r) * (double)(i + 1));
    uint64_t t = slot[i]; slot[i] = slot[j]; slot[j] = t;
  }
  int rc = 0;
  for (int64_t s = 0; s < np && !rc; s++) {
    int64_t i = (int64_t)(slot[s] >> 4);
    int j = (int)(slot[s] & 15);
    gen_core(g, &f, nums[i]);
    gen_member(g, &f, j, &p);
    rc = insert_person(g, &f, &p, first[i] + j + 1, e);
  }
  free(slot);
  free(first);
  return rc;
}

int gen_layout_parse(const char *s, gen_layout *out) {
  static const char *const names[] = {"key", "registry", "shuffled"};
  for (int i = 0; i < 3; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = (gen_layout)i;
      return 0;
    }
  return -1;
}

static int prepare(genctx *g, af_err *e) {
  static const char *const pragmas =
      "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
      "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-262144; PRAGMA page_size=16384;";
  if (exec(g, pragmas, e) || exec(g, FAMILY_DDL, e) || exec(g, PERSON_DDL, e)) return -1;
  if (sqlite3_prepare_v2(g->db, FAMILY_INS, -1, &g->fam_ins, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(g->db, PERSON_INS, -1, &g->per_ins, NULL) != SQLITE_OK)
    return db_fail(g, e, "prepare");
  /* Guard the hand-kept column order of bind_family / bind_person. */
  family f;
  person p;
  memset(&f, 0, sizeof f);
  memset(&p, 0, sizeof p);
  p.sex = "M";
  if (bind_family(g->fam_ins, &f) != sqlite3_bind_parameter_count(g->fam_ins) ||
      bind_person(g->per_ins, &f, &p, 0) != sqlite3_bind_parameter_count(g->per_ins))
    return af_fail(e, "generate: internal error: column lists out of step");
  sqlite3_clear_bindings(g->fam_ins);
  sqlite3_clear_bindings(g->per_ins);
  return 0;
}

static int generate(genctx *g, af_err *e) {
  const gen_opts *o = g->o;
  if (prepare(g, e) || exec(g, "BEGIN", e)) return -1;
  uint64_t *nums = sorted_numbers(g, o->families);
  int rc = o->layout == GEN_REGISTRY ? write_registry(g, nums, o->families, e)
         : o->layout == GEN_SHUFFLED ? write_shuffled(g, nums, o->families, e)
                                     : write_key(g, nums, o->families, e);
  free(nums);
  if (rc) return -1;
  if (exec(g, "COMMIT", e)) return -1;
  /* The index is built after the inserts: one sort instead of 20M B-tree inserts. */
  if (!o->no_index && exec(g, "CREATE INDEX persons_family ON persons(family_id)", e))
    return -1;
  return 0;
}

static void init_ctx(genctx *g, const gen_opts *o) {
  memset(g, 0, sizeof *g);
  g->o = o;
  uint64_t x = o->seed ^ 0x6166736373636f72ULL; /* "afscore" */
  g->k1 = splitmix(&x);
  g->k2 = splitmix(&x);
  double tot = 0, acc = 0;
  for (int i = 0; i < NREGIONS; i++) tot += REGIONS[i].pop;
  for (int i = 0; i < NREGIONS; i++) {
    acc += REGIONS[i].pop;
    g->region_cdf[i] = acc / tot;
  }
}

static int remove_file(const char *path, af_err *e) {
  if (unlink(path) != 0 && errno != ENOENT)
    return af_fail(e, "generate: cannot replace %s: %s", path, strerror(errno));
  return 0;
}

int gen_population(const char *path, const gen_opts *o, af_err *e) {
  if (!path || !*path) return af_fail(e, "generate: no output path");
  if (o->families < 0 || o->families > ((int64_t)1 << 40))
    return af_fail(e, "generate: --families must be between 0 and 2^40");
  if (remove_file(path, e)) return -1;
  genctx g;
  init_ctx(&g, o);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path, &g.db, flags, NULL) != SQLITE_OK) {
    af_fail(e, "generate: cannot create %s: %s", path,
            g.db ? sqlite3_errmsg(g.db) : "out of memory");
    sqlite3_close(g.db);
    return -1;
  }
  int rc = generate(&g, e);
  sqlite3_finalize(g.fam_ins);
  sqlite3_finalize(g.per_ins);
  if (sqlite3_close(g.db) != SQLITE_OK && rc == 0)
    rc = af_fail(e, "generate: cannot close %s", path);
  if (rc) unlink(path); /* no half-written database left behind */
  return rc;
}
