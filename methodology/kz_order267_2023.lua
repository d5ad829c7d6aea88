-- kz_order267_2023.lua: "Methodology for determining the social well-being of
-- a family (person)", approved by Order No. 267 of the Minister of Labour and
-- Social Protection of the Population of 29 June 2023 (Ministry of Justice
-- registration No. 32923), under Article 24 of the Social Code.
--
-- Points-based: each indicator adds or subtracts points; the total (Usb, the
-- level of social well-being, higher is better) is cut into five bands.
-- Source of every value: a public, unofficial re-implementation of the
-- order's annex (its table of points): check against the annex before
-- official use. ASSUMPTION marks where the table is
-- ambiguous and we chose a reading. Columns: the generated sample, docs/data.md.
--
-- Worked examples of the reference, still valid with these bands: an urban
-- family of 670 points is C; with income 2-3 PM (280 instead of 170 points)
-- the same family has 780 and is B; the rural family of 500 points is C.

-- The notice texts both Kazakhstan methodologies share.
local notices = import("kz_notices_2023")

return {
  name    = "Family social well-being, Order No. 267 (points)",
  version = "2023.267",
  scoring = "points",

  unit    = { table = "families", id = "family_id", groups = { "region", "urban" } },
  members = { table = "persons", unit = "family_id" },

  -- PM: the subsistence minimum, 50,851 tenge a month in 2026 (46,228 in 2025).
  params = { pm = 50851 },

  -- Named values usable by every rule below.
  define = {
    -- per-capita family income in multiples of PM (null for no member rows)
    income_pm      = "sum(income) / count() / pm",
    adults         = "count(age >= 18)",
    overdue_adults = "count(age >= 18 and overdue_days > 90 and overdue_amount > 1000)",
    -- ASSUMPTION: "minors and students under 23" = members under 18, plus
    -- students aged 18-22.
    dependants     = "count(age < 18 or (student = 1 and age < 23))",
    area_pp        = "living_area / count()",
  },

  dimensions = {
    { id = "income_credit", name = "Income and credit", indicators = {
        { id = "income", name = "Per-capita income in multiples of PM", points = {
            { when = "income_pm is null or income_pm <= 0", points = 0 },
            { when = "income_pm < 0.25", points = 40 },
            { when = "income_pm < 1",    points = 100 },
            { when = "income_pm < 2",    points = 170 },
            { when = "income_pm < 3",    points = 280 },
            { when = "income_pm < 4",    points = 400 },
            { points = 620 },
        }},
        { id = "loan", name = "Has a loan", when = "any(has_loan = 1)", points = 50 },
        -- ASSUMPTION: "all adults" is checked first, so a family whose only
        -- adult is overdue gets -500.
        { id = "overdue", name = "Debt overdue more than 90 days and over 1,000 tenge", points = {
            { when = "overdue_adults > 0 and overdue_adults = adults", points = -500 },
            { when = "overdue_adults > 0", points = -250 },
        }},
    }},
    { id = "movable_property", name = "Movable property", indicators = {
        { id = "cars", name = "Passenger cars", points = {
            { when = "cars = 0",  points = -50 },
            { when = "cars = 1",  points = 0 },
            { when = "cars = 2",  points = 50 },
            { when = "cars >= 3", points = 100 },
        }},
        { id = "commercial_vehicle", name = "Commercial vehicle",
          when = "commercial_vehicle = 1", points = 80 },
        { id = "agri_machinery", name = "Agricultural machinery (number of types)", points = {
            { when = "agri_machinery >= 2", points = 200 },
            { when = "agri_machinery = 1",  points = 100 },
        }},
    }},
    { id = "employment", name = "Employment", indicators = {
        -- ASSUMPTION: a family without member records is not penalised for
        -- what is unknown (count() > 0); the same below for insurance.
        { id = "no_able_bodied", name = "No able-bodied member",
          when = "count() > 0 and none(able_bodied = 1)", points = -100 },
        { id = "working", name = "Working members", points = {
            { when = "count(employed = 1) >= 2", points = 300 },
            { when = "count(employed = 1) = 1",  points = 150 },
        }},
        { id = "business", name = "Sole trader / company founder / both", points = {
            { when = "any(sole_trader = 1) and any(founder = 1)", points = 150 },
            { when = "any(founder = 1)",     points = 100 },
            { when = "any(sole_trader = 1)", points = 50 },
        }},
    }},
    { id = "social_protection", name = "Social protection", indicators = {
        { id = "dependants", name = "Minors and students under 23 (+50 each, at most +200)", points = {
            { when = "dependants >= 4", points = 200 },
            { when = "dependants = 3",  points = 150 },
            { when = "dependants = 2",  points = 100 },
            { when = "dependants = 1",  points = 50 },
        }},
        -- ASSUMPTION: counted once per family, by the most severe group.
        { id = "adult_disability", name = "Adult with disability", points = {
            { when = "any(age >= 18 and disability_group in (1, 2))", points = -250 },
            { when = "any(age >= 18 and disability_group = 3)",       points = -100 },
        }},
        { id = "disabled_child", name = "Disabled child",
          when = "any(disabled_child = 1)", points = -150 },
    }},
    { id = "health", name = "Health", indicators = {
        { id = "no_clinic", name = "A member not attached to a polyclinic",
          when = "any(clinic_attached = 0)", points = -20 },
        { id = "no_insurance", name = "No member in compulsory health insurance",
          when = "count() > 0 and none(health_insured = 1)", points = -20 },
        { id = "chronic", name = "Chronic disease under observation",
          when = "any(chronic_disease = 1)", points = -80 },
        -- ASSUMPTION: registration at a psychiatric or narcological dispensary.
        { id = "dispensary", name = "Dispensary registration",
          when = "any(dispensary = 1)", points = -50 },
    }},
    { id = "education", name = "Education", indicators = {
        -- ASSUMPTION: preschool age 3-6, school age 6-17.
        { id = "no_kindergarten", name = "Preschool-age child not in a kindergarten",
          when = "any(age between 3 and 6 and kindergarten = 0)", points = -50 },
        { id = "not_in_school", name = "School-age child not in school",
          when = "any(age between 6 and 17 and school = 0)", points = -100 },
    }},
    { id = "housing", name = "Housing", indicators = {
        -- ASSUMPTION: one indicator, first matching case. The reference's
        -- ranges "2-3, 3-6, 6-11, > 11" overlap at their ends; read as 2-3,
        -- 4-6, 7-11, 12+. The floor-area cases apply to a single dwelling.
        { id = "housing", name = "Dwellings and living space", points = {
            { when = "dwellings = 0",  points = -200 },
            { when = "dwellings > 11", points = 2000 },
            { when = "dwellings > 6",  points = 1000 },
            { when = "dwellings > 3",  points = 400 },
            { when = "dwellings >= 2", points = 100 },
            { when = "area_pp < 18",   points = -80 },
            { when = "area_pp >= 18",  points = 50 },
        }},
        { id = "commercial_property", name = "Commercial real estate",
          when = "commercial_property = 1", points = 80 },
        { id = "residence", name = "Place of residence", points = {
            { when = "settlement = 'republic_city'",   points = 70 },  -- Astana, Almaty, Shymkent
            { when = "settlement = 'oblast_city'",     points = 0 },
            { when = "settlement = 'district_town'",   points = -30 },
            { when = "settlement = 'district_centre'", points = -50 },  -- rural district centre
            { when = "settlement = 'village'",         points = -70 },
            { when = "settlement = 'not_registered'",  points = -100 },
        }},
    }},
    { id = "agriculture", name = "Agriculture", indicators = {
        -- ASSUMPTION: "< 500k" applies to a household farm of some value (> 0).
        { id = "farm", name = "Household farm value (tenge)", points = {
            { when = "farm_value > 2000000",  points = 600 },
            { when = "farm_value >= 1000000", points = 350 },
            { when = "farm_value >= 500000",  points = 150 },
            { when = "farm_value > 0",        points = 50 },
        }},
        { id = "land_plot", name = "Land plot", when = "land_plot = 1", points = 150 },
    }},
  },

  -- Bands of the order (half-open): E (-inf, -459), D [-459, -30),
  -- C [-30, 730), B [730, 1800), A [1800, inf); written ascending.
  bands = {
    { id = "E", name = "emergency",      from = -math.huge },
    { id = "D", name = "crisis",         from = -459 },
    { id = "C", name = "unsatisfactory", from = -30 },
    { id = "B", name = "satisfactory",   from = 730 },
    { id = "A", name = "well-off",       from = 1800 },
  },

  -- A rule that is null (an unknown value) does not match: the case gives no
  -- points and the next case is tried.
  missing = "not_deprived",

  -- Support measures (see kz_family_2023.lua); rules may use category, score
  -- and points('indicator'); notices may use {category} and {score}.
  measures = {
    { id = "social_worker_visit", name = "Visit by the district mobile group or a social worker",
      eligible = "category in ('D', 'E')",
      notice = {
        kk = "Отбасыңыздың әлеуметтік әл-ауқат деңгейі {score} балл ({category} санаты). Жақын күндері сізге әлеуметтік қызметкер келеді.",
        ru = "Уровень социального благополучия вашей семьи {score} баллов (категория {category}). В ближайшие дни вас посетит социальный работник." } },
    { id = "tsa", name = "Targeted social assistance (АСП)",
      -- income below a quarter of PM (or none) in C; any income level in D/E.
      -- The notice says nothing about income: a D or E family can have an
      -- income above the subsistence minimum and still be eligible, and a
      -- notice must be true for everyone it reaches.
      eligible = "category in ('D', 'E') or (category = 'C' and points('income') <= 40)",
      notice = {
        kk = "Отбасыңыздың әлеуметтік жағдайы бойынша сіз атаулы әлеуметтік көмекке өтініш бере аласыз.",
        ru = "По социальному положению вашей семьи вы можете подать заявление на адресную социальную помощь." } },
    { id = "housing_assistance", name = "Housing assistance or a place in the housing queue",
      eligible = "category in ('C', 'D', 'E') and points('housing') < 0",
      notice = notices.housing_assistance },
    { id = "employment_help", name = "Help finding work (career centre)",
      eligible = "points('no_able_bodied') = 0 and points('working') = 0",
      notice = notices.employment_help },
    { id = "school_place", name = "A place in a school",
      eligible = "points('not_in_school') < 0",
      notice = notices.school_place },
    { id = "kindergarten_place", name = "A place in a kindergarten",
      eligible = "points('no_kindergarten') < 0",
      notice = notices.kindergarten_place },
    { id = "clinic_registration", name = "Registration with a polyclinic",
      eligible = "points('no_clinic') < 0",
      notice = notices.clinic_registration },
  },
}
