-- kz_family_2023.test.lua: cases for kz_family_2023.lua, run by
-- `afscore test methodology/kz_family_2023.lua` (and by `make test`).
--
-- Weights (default shares of 1/4 per area): living 1/16 for each of its four
-- indicators, health and education 1/12 for each of their three, low_income
-- 1/4. k = 1/3; bands A [0, 1/6), B [1/6, 1/3), C [1/3, 2/5), D [2/5, 1/2),
-- E from 1/2. The scores below are those sums, worked out by hand.
--
-- The defaults are deprived in nothing: two working adults with secondary
-- education and 100,000 tenge each (above the subsistence minimum of
-- 50,851), one dwelling of 60 m2 (30 m2 each), attached and insured.

return {
  defaults = {
    unit = { region = 1, urban = 1, dwellings = 1, living_area = 60 },
    member = { age = 40, income = 100000, able_bodied = 1, employed = 1,
               overdue_days = 0, overdue_amount = 0, disability_group = 0,
               disabled_child = 0, clinic_attached = 1, health_insured = 1,
               school = 0, kindergarten = 0, edu_level = "secondary" },
  },
  cases = {
    { name = "no deprivation: A, not poor",
      members = { {}, {} },
      expect = { category = "A", score = 0, poor = false, measures = {} } },

    -- mean income 30,000 < 50,851: 1/4, between 1/6 and 1/3.
    { name = "low income alone is 1/4: B, not poor",
      members = { { income = 30000 }, { income = 30000 } },
      expect = { category = "B", score = 1/4, poor = false, measures = {} } },

    -- 1/4 + 1/16 = 5/16, still below k; help finding work goes with the
    -- deprivation, whatever the category.
    { name = "low income and nobody in work is 5/16: B, not poor",
      members = { { income = 30000, employed = 0 }, { income = 30000, employed = 0 } },
      expect = { category = "B", score = 5/16, poor = false, measures = { "employment_help" } } },

    -- 1/4 + 1/12 = 1/3 = k exactly: poor (score >= k), C.
    { name = "low income and disability is exactly k: C, poor",
      members = { { income = 30000, disability_group = 2 }, { income = 30000 } },
      expect = { category = "C", score = 1/3, poor = true, measures = { "tsa" } } },

    -- 1/4 + 1/12 + 1/12 = 5/12, from 2/5: D.
    { name = "low income, disability, uninsured is 5/12: D",
      members = { { income = 30000, disability_group = 1 }, { income = 30000, health_insured = 0 } },
      expect = { category = "D", score = 5/12, poor = true,
                 measures = { "social_worker_visit", "tsa" } } },

    -- 1/4 + 3/12 = 1/2, E's lower bound.
    { name = "low income and all of health is 1/2: E",
      members = { { income = 30000, disability_group = 1, clinic_attached = 0 },
                  { income = 30000, health_insured = 0 } },
      expect = { category = "E", score = 1/2, poor = true,
                 measures = { "social_worker_visit", "tsa", "clinic_registration" } } },

    -- a child of 8 out of school: 1/12 = 0.083, A; the school place is offered.
    { name = "a child out of school is 1/12: A, with a school place",
      members = { {}, {}, { age = 8, able_bodied = 0, employed = 0, income = 0 } },
      expect = { category = "A", score = 1/12, poor = false, measures = { "school_place" } } },

    -- no member's income is known: mean(income) is null, and the
    -- methodology excludes such families.
    { name = "no known income: excluded",
      members = { { income = null }, { income = null } },
      expect = { excluded = true } },
  },
}
