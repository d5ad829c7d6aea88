-- kz_order267_2023.test.lua: cases for kz_order267_2023.lua, run by
-- `afscore test methodology/kz_order267_2023.lua` (and by `make test`).
--
-- Each case is one family: its row of `families` and its rows of `persons`,
-- starting from the defaults below, and what the order gives it. The points
-- are added up by hand in each case's comment, from the table of the order
-- (PM = 50,851 tenge; bands E < -459 <= D < -30 <= C < 730 <= B < 1800 <= A).
-- The first three are the worked examples quoted at the top of the
-- methodology: an urban family of 670 points (C), the same family with an
-- income of 2-3 PM (780, B), a rural family of 500 points (C).
--
-- The defaults score 0 everywhere except housing: one dwelling of 60 m2
-- (+50 for 18 m2 or more per person up to 3 people). A default adult is 40,
-- able-bodied, without work, income, loan, debt, disability or illness,
-- attached to a polyclinic and insured.

return {
  defaults = {
    unit = { region = 1, urban = 1, cars = 1, commercial_vehicle = 0, agri_machinery = 0,
             dwellings = 1, living_area = 60, commercial_property = 0,
             settlement = "oblast_city", farm_value = 0, land_plot = 0 },
    member = { age = 40, income = 0, has_loan = 0, overdue_days = 0, overdue_amount = 0,
               student = 0, able_bodied = 1, employed = 0, sole_trader = 0, founder = 0,
               disability_group = 0, disabled_child = 0, clinic_attached = 1,
               health_insured = 1, chronic_disease = 0, dispensary = 0,
               kindergarten = 0, school = 0 },
  },
  cases = {
    -- income 250,000 / 4 = 62,500 = 1.23 PM: +170; two working: +300;
    -- two children: +100; 80 m2 / 4 = 20 m2: +50; Astana: +70; one child
    -- not attached to a polyclinic: -20. Total 670: C.
    { name = "worked example: urban family of 670 points is C",
      unit = { settlement = "republic_city", living_area = 80 },
      members = { { income = 150000, employed = 1 }, { income = 100000, employed = 1 },
                  { age = 8, school = 1, able_bodied = 0 },
                  { age = 10, school = 1, able_bodied = 0, clinic_attached = 0 } },
      expect = { category = "C", score = 670, measures = { "clinic_registration" } } },

    -- the same family with 500,000 / 4 = 125,000 = 2.46 PM: +280 instead of
    -- +170. Total 780: B.
    { name = "worked example: the same family with income 2-3 PM has 780 and is B",
      unit = { settlement = "republic_city", living_area = 80 },
      members = { { income = 300000, employed = 1 }, { income = 200000, employed = 1 },
                  { age = 8, school = 1, able_bodied = 0 },
                  { age = 10, school = 1, able_bodied = 0, clinic_attached = 0 } },
      expect = { category = "B", score = 780, measures = { "clinic_registration" } } },

    -- income 90,000 / 3 = 30,000 = 0.59 PM: +100; a loan: +50; one working:
    -- +150; one child: +50; chronic disease: -80; no car: -50; one type of
    -- machinery: +100; 60 m2 / 3 = 20 m2: +50; village: -70; farm of
    -- 300,000: +50; land plot: +150. Total 500: C.
    { name = "worked example: rural family of 500 points is C",
      unit = { urban = 0, settlement = "village", cars = 0, agri_machinery = 1,
               farm_value = 300000, land_plot = 1 },
      members = { { income = 90000, employed = 1, has_loan = 1 },
                  { chronic_disease = 1 },
                  { age = 12, school = 1, able_bodied = 0 } },
      expect = { category = "C", score = 500, measures = {} } },

    -- one adult with income 10,000 = 0.20 PM: +40; the only adult overdue:
    -- -500; no car: -50; 60 m2: +50. Total -460, one below D's -459: E.
    { name = "-460 is E (D starts at -459)",
      unit = { cars = 0 },
      members = { { income = 10000, overdue_days = 120, overdue_amount = 5000 } },
      expect = { category = "E", score = -460,
                 measures = { "social_worker_visit", "tsa", "employment_help" } } },

    -- no income: 0; no car: -50; no dwelling: -200; not registered: -100;
    -- chronic disease: -80; not insured: -20. Total -450: D.
    { name = "-450 is D, with housing help",
      unit = { cars = 0, dwellings = 0, settlement = "not_registered" },
      members = { { chronic_disease = 1, health_insured = 0 } },
      expect = { category = "D", score = -450,
                 measures = { "social_worker_visit", "tsa", "housing_assistance",
                              "employment_help" } } },

    -- no income: 0; no car: -50; 60 m2: +50; district town: -30. Total -30:
    -- the lowest C. Income points 0 <= 40: targeted social assistance in C.
    { name = "-30 is C, the lowest",
      unit = { cars = 0, settlement = "district_town" },
      members = { {} },
      expect = { category = "C", score = -30, measures = { "tsa", "employment_help" } } },

    -- the same in a rural district centre (-50): D.
    { name = "-50 is D",
      unit = { cars = 0, settlement = "district_centre" },
      members = { {} },
      expect = { category = "D", score = -50,
                 measures = { "social_worker_visit", "tsa", "employment_help" } } },

    -- 12 dwellings: +2000 (the housing indicator's first matching case).
    -- Total 2000: A; still without work, so help finding work.
    { name = "twelve dwellings make A",
      unit = { dwellings = 12 },
      members = { {} },
      expect = { category = "A", score = 2000, measures = { "employment_help" } } },
  },
}
