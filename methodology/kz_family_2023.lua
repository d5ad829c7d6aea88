-- kz_family_2023.lua: the Kazakhstan family social well-being methodology
-- (Digital Family Card) in its Alkire-Foster form, as public information
-- describes it: developed by the Ministry of Labour and Social Protection with
-- UNDP experts on the Alkire-Foster model, four areas, five categories A-E.
-- Sources: the ministry's public statement of 2022 and the launch of the
-- Digital Family Card on 1 January 2023.
--
-- The public record names the four areas and the five categories only. The
-- indicators, cutoffs, weights, k and band bounds below are OUR CHOICES,
-- marked "choice:" where made. Columns are those of the generated sample
-- (docs/data.md). The approved points-based order is kz_order267_2023.lua.

-- The notice texts both Kazakhstan methodologies share.
local notices = import("kz_notices_2023")

return {
  name    = "Family social well-being (Alkire-Foster, UNDP design)",
  version = "2023.1",

  -- Each family counts once (no sampling weight), broken down by region and
  -- by urban/rural.
  unit    = { table = "families", id = "family_id", groups = { "region", "urban" } },
  members = { table = "persons", unit = "family_id" },
  population = "units",

  -- Subsistence minimum (прожиточный минимум), 2026: 50,851 tenge a month.
  params = { subsistence_minimum = 50851 },

  -- choice: the four areas weigh 1/4 each (UNDP style nested equal weights);
  -- indicators share their area's weight equally (defaults, not written).
  dimensions = {
    { id = "living", name = "Socio-economic living conditions", indicators = {
        { id = "no_housing", name = "No own dwelling",
          deprived = "dwellings = 0" },
        -- choice: 15 m2 of living space per person, the social-housing norm.
        -- Unknown area, or no member rows: not counted as deprived.
        { id = "overcrowded", name = "Less than 15 m2 of living space per person",
          deprived = "living_area / count() < 15", missing = "not_deprived" },
        { id = "no_work", name = "Able-bodied members but nobody in work",
          deprived = "any(able_bodied = 1) and none(employed = 1)" },
        -- the same threshold as the approved order: > 90 days, > 1,000 tenge
        { id = "overdue_debt", name = "A member with debt overdue > 90 days",
          deprived = "any(overdue_days > 90 and overdue_amount > 1000)" },
    }},
    { id = "health", name = "Health coverage and disability", indicators = {
        -- choice: groups 1-2 (severe) and disabled children; group 3 is not
        -- a deprivation here.
        { id = "disability", name = "A member with disability of group 1-2 or a disabled child",
          deprived = "any(disability_group in (1, 2) or disabled_child = 1)" },
        -- A missing attachment record is not proof of a gap: not_deprived.
        { id = "no_clinic", name = "A member not attached to a polyclinic",
          deprived = "any(clinic_attached = 0)", missing = "not_deprived" },
        { id = "uninsured", name = "A member outside compulsory health insurance",
          deprived = "any(health_insured = 0)" },
    }},
    { id = "education", name = "Education coverage and level", indicators = {
        { id = "out_of_school", name = "A child aged 6-17 not in school",
          deprived = "any(age between 6 and 17 and school = 0)" },
        { id = "no_preschool", name = "A child aged 3-6 not in a kindergarten",
          deprived = "any(age between 3 and 6 and kindergarten = 0)" },
        -- choice: general secondary (11 years) is the compulsory level.
        { id = "low_education", name = "No adult with general secondary education or more",
          deprived = "none(age >= 18 and edu_level in ('secondary', 'vocational', 'higher'))" },
    }},
    { id = "income", name = "Average per-capita income", indicators = {
        -- choice: mean(income) skips members whose income is unknown, so an
        -- unknown income is not read as zero; with no known income at all the
        -- rule is null and the family is excluded (methodology default).
        { id = "low_income", name = "Per-capita income below the subsistence minimum",
          deprived = "mean(income) < subsistence_minimum" },
    }},
  },

  -- choice: the UNDP/OPHI cutoff of one third.
  k = 1/3,

  -- choice: bands on the deprivation score (0 = no deprivation). C starts at
  -- k, so C, D and E are the multidimensionally poor. On the generated sample
  -- (seed 1) about 82% are A, 9% B, 6% C, 2% D and 0.5% E.
  bands = {
    { id = "A", name = "well-off",       from = 0   },
    { id = "B", name = "satisfactory",   from = 1/6 },
    { id = "C", name = "unsatisfactory", from = 1/3 },
    { id = "D", name = "crisis",         from = 0.4 },
    { id = "E", name = "emergency",      from = 0.5 },
  },

  -- Families whose data cannot answer an indicator are left out and counted
  -- (OPHI practice), except where an indicator says otherwise.
  missing = "exclude",

  -- Support the Digital Family Card offers (public description: SMS notice of
  -- measures; for the worst-off a visit and a needs assessment; targeted
  -- social assistance, housing, work, school and kindergarten places,
  -- registration with a medical organisation). Notices may use {category}
  -- and {score}.
  measures = {
    { id = "social_worker_visit", name = "Visit by a social worker or local official",
      eligible = "category in ('D', 'E')",
      notice = {
        kk = "Отбасыңыз {category} санатына жатқызылды. Жақын күндері сізге әлеуметтік қызметкер келіп, қажеттіліктеріңізді бағалайды.",
        ru = "Ваша семья отнесена к категории {category}. В ближайшие дни вас посетит социальный работник и оценит ваши потребности." } },
    { id = "tsa", name = "Targeted social assistance (АСП)",
      eligible = "category in ('C', 'D', 'E') and deprived('low_income')",
      notice = {
        kk = "Отбасыңыздың жан басына шаққандағы табысы ең төменгі күнкөріс деңгейінен төмен. Сіз атаулы әлеуметтік көмекке өтініш бере аласыз.",
        ru = "Среднедушевой доход вашей семьи ниже прожиточного минимума. Вы можете подать заявление на адресную социальную помощь." } },
    { id = "housing_assistance", name = "Housing assistance or a place in the housing queue",
      eligible = "category in ('C', 'D', 'E') and (deprived('no_housing') or deprived('overcrowded'))",
      notice = notices.housing_assistance },
    { id = "employment_help", name = "Help finding work (career centre)",
      eligible = "deprived('no_work')",
      notice = notices.employment_help },
    { id = "school_place", name = "A place in a school",
      eligible = "deprived('out_of_school')",
      notice = notices.school_place },
    { id = "kindergarten_place", name = "A place in a kindergarten",
      eligible = "deprived('no_preschool')",
      notice = notices.kindergarten_place },
    { id = "clinic_registration", name = "Registration with a polyclinic",
      eligible = "deprived('no_clinic')",
      notice = notices.clinic_registration },
  },
}
