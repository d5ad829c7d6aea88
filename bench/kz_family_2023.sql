-- bench/kz_family_2023.sql: methodology/kz_family_2023.lua written by hand as
-- one SQL query, for the sqlite3 shell over a generated population:
--   sqlite3 -readonly DATA.db < bench/kz_family_2023.sql
-- It prints n, excluded, H, A and M0 with the definitions of the spec
-- (cli.md): each family counts 1 (the methodology has no weight column),
-- population = units. The benchmark checks that afscore reports the same.
--
-- Exactness: every weight is a multiple of 1/48 (living 1/16 = 3/48, health
-- and education 1/12 = 4/48, income 1/4 = 12/48), so scores are summed as
-- integers in 48ths and compared with k = 1/3 = 16/48 exactly.
--
-- Null semantics follow the expression language: any() is true if a member
-- satisfies the condition, else null if the condition is null for a member,
-- else false; over no members any() is false and none() is true; mean()
-- skips nulls and is null over no values; division by zero is null.
-- Missing policies: overcrowded and no_clinic "not_deprived", every other
-- indicator "exclude" (only low_income can actually be null on this data).
WITH m AS (
  SELECT family_id,
    count(*) AS n,
    max(able_bodied = 1) AS any_able,
    max(employed = 1) AS any_employed,
    max(overdue_days > 90 AND overdue_amount > 1000) AS any_debt,
    max(disability_group IN (1, 2) OR disabled_child = 1) AS any_disab,
    CASE WHEN max(clinic_attached = 0) = 1 THEN 1
         WHEN count(clinic_attached) < count(*) THEN NULL ELSE 0 END AS any_noclinic,
    max(health_insured = 0) AS any_uninsured,
    max(age BETWEEN 6 AND 17 AND school = 0) AS any_out_of_school,
    max(age BETWEEN 3 AND 6 AND kindergarten = 0) AS any_no_preschool,
    max(age >= 18 AND edu_level IN ('secondary', 'vocational', 'higher')) AS any_educated,
    avg(income) AS mean_income
  FROM persons GROUP BY family_id),
g AS (  -- the ten indicators per family: 1 deprived, 0 not, NULL missing
  SELECT
    (f.dwellings = 0) AS no_housing,
    coalesce(f.living_area / m.n < 15, 0) AS overcrowded,
    (coalesce(m.any_able, 0) = 1 AND coalesce(m.any_employed, 0) = 0) AS no_work,
    coalesce(m.any_debt, 0) AS overdue_debt,
    coalesce(m.any_disab, 0) AS disability,
    coalesce(m.any_noclinic, 0) AS no_clinic,
    coalesce(m.any_uninsured, 0) AS uninsured,
    coalesce(m.any_out_of_school, 0) AS out_of_school,
    coalesce(m.any_no_preschool, 0) AS no_preschool,
    (coalesce(m.any_educated, 0) = 0) AS low_education,
    (m.mean_income < 50851) AS low_income
  FROM families f LEFT JOIN m ON m.family_id = f.family_id),
c AS (  -- score in 48ths; NULL when an "exclude" indicator is missing
  SELECT 3 * (no_housing + overcrowded + no_work + overdue_debt)
       + 4 * (disability + no_clinic + uninsured)
       + 4 * (out_of_school + no_preschool + low_education)
       + 12 * low_income AS s48
  FROM g)
SELECT count(s48) AS n,
       count(*) - count(s48) AS excluded,
       1.0 * sum(s48 >= 16) / count(s48) AS H,
       coalesce(avg(CASE WHEN s48 >= 16 THEN s48 / 48.0 END), 0) AS A,
       coalesce(sum(CASE WHEN s48 >= 16 THEN s48 / 48.0 END), 0) / count(s48) AS M0
FROM c;
