-- Views for business-intelligence tools (Grafana, Superset, Metabase), read by the
-- `ekino_bi` user (readonly=1). They are what BI should query: each reads its table with
-- FINAL, so a row replaced by a later version or a re-sent batch is counted once, which a
-- hand-written query on the tables easily gets wrong. Money is in tiyn (1/100 tenge), as
-- stored: divide by 100 for tenge. Days are Kazakhstan's (UTC+5) screening days.

-- Events database: one row per film and day, the public chart's figures.
CREATE VIEW IF NOT EXISTS bi_film_day AS
SELECT film_id, day, qty_sum AS admissions, gross_sum AS gross_tiyn, net_sum AS net_tiyn,
       n_sales AS sales, n_refunds AS refunds, n_cinemas AS cinemas, n_screens AS screens, n_screenings AS screenings
FROM sales_by_film_day FINAL;

-- Events database: one row per cinema, film and day.
CREATE VIEW IF NOT EXISTS bi_cinema_day AS
SELECT cinema_bin, film_id, day, qty_sum AS admissions, gross_sum AS gross_tiyn, net_sum AS net_tiyn,
       n_sales AS sales, n_refunds AS refunds, n_halls AS halls, n_screenings AS screenings
FROM sales_by_cinema_day FINAL;

-- Application database: each film's registered version in force.
CREATE VIEW IF NOT EXISTS bi_films AS
SELECT film_id, title_kk, title_ru, title_en, release_date, producer_bin, distributor_bin, national, budget_tiyn
FROM films FINAL;

-- Application database: each cinema's registered version in force.
CREATE VIEW IF NOT EXISTS bi_cinemas AS
SELECT bin, name, region, city, halls, seats, vat_payer
FROM cinemas FINAL;
